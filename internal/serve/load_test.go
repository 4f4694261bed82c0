package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	runtimemetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zebra-go/zebra/models/cyclegan"
)

// loadEnv, set to 1, makes TestLoad the load test (200 requests from 8 clients at
// 256x256) and runs TestWorkersCompared; without it TestLoad is a short smoke run.
const loadEnv = "ZEBRA_SERVE_LOAD"

// load is a load test's setting: clients translating requests images between them, each a
// size x size PNG, against a server with the given workers and queue on a generator of ngf and
// blocks.
type load struct {
	requests, clients, size int
	workers, queue          int
	ngf, blocks             int
}

// loadResult is what a load run measured.
type loadResult struct {
	ok, refused    int           // 200s, and 503s (the queue was full)
	elapsed        time.Duration // the whole run
	latencies      []time.Duration
	maxAdmitted    int    // the most requests holding a queue ticket at once, sampled
	peakHeap       uint64 // the most heap bytes in use, sampled
	peakRSS        int64  // the process's peak resident set during the run, in bytes (-1: unknown)
	perRequestCeil int64  // an upper bound on one admitted request's memory
}

// run has l.clients goroutines send translate requests over loopback until l.requests have been
// translated. A client whose request is refused (503) waits as its Retry-After says (at most 2
// s) and tries again; the refusals are counted. It stops by itself when the translations are
// done, or after two minutes.
func (l load) run(t *testing.T) loadResult {
	t.Helper()
	s, ts := newTestServer(t, Config{Generators: testGenerators(l.ngf, l.blocks), Workers: l.workers, Queue: l.queue})
	body := encodePNG(t, testImage(l.size, l.size, 1))
	readPNG(t, post(t, ts, "direction=AtoB", "image/png", body)) // warm up, not measured
	resetPeakRSS()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var r loadResult
	var mu sync.Mutex
	var claimed atomic.Int64 // translations claimed by a client, done or in progress
	var wg sync.WaitGroup
	stopSampling := sampleWhile(func() {
		mu.Lock()
		r.maxAdmitted = max(r.maxAdmitted, len(s.queue.tickets))
		r.peakHeap = max(r.peakHeap, heapInUse())
		mu.Unlock()
	})
	start := time.Now()
	for range l.clients {
		wg.Go(func() {
			for claimed.Add(1) <= int64(l.requests) {
				for ctx.Err() == nil {
					began := time.Now()
					status, retryAfter, err := postStatus(ctx, ts.Client(), ts.URL+"/v1/translate?direction=AtoB", body)
					took := time.Since(began)
					if err != nil {
						t.Errorf("request: %v", err)
						return
					}
					mu.Lock()
					switch status {
					case http.StatusOK:
						r.ok++
						r.latencies = append(r.latencies, took)
					case http.StatusServiceUnavailable:
						r.refused++
					default:
						t.Errorf("status %d under load, want 200 or 503", status)
					}
					mu.Unlock()
					if status != http.StatusServiceUnavailable {
						break
					}
					time.Sleep(min(retryAfter, 2*time.Second))
				}
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	stopSampling()
	r.peakRSS = peakRSS()
	r.perRequestCeil = int64(len(body)) + 2*4*int64(l.size*l.size) + cyclegan.TranslateMemoryEstimate(l.ngf, l.blocks, l.size, l.size)
	slices.Sort(r.latencies)
	return r
}

// postStatus posts body and returns the answer's status and, for a 503, its Retry-After.
func postStatus(ctx context.Context, client *http.Client, url string, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "image/png")
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusServiceUnavailable {
		return resp.StatusCode, 0, nil
	}
	seconds, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || seconds < 1 {
		return 0, 0, fmt.Errorf("503 with Retry-After %q, want whole seconds", resp.Header.Get("Retry-After"))
	}
	return resp.StatusCode, time.Duration(seconds) * time.Second, nil
}

// percentile returns the p-th percentile (0 to 1) of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func (r loadResult) String() string {
	rss := "unknown"
	if r.peakRSS >= 0 {
		rss = fmt.Sprintf("%.0f MB", float64(r.peakRSS)/1e6)
	}
	return fmt.Sprintf("%d translated, %d refusals (503) in %.2f s: %.1f translations/s, latency p50 %.0f ms, p99 %.0f ms; at most %d admitted at once, peak heap %.0f MB, peak RSS %s",
		r.ok, r.refused, r.elapsed.Seconds(), float64(r.ok)/r.elapsed.Seconds(),
		ms(percentile(r.latencies, 0.5)), ms(percentile(r.latencies, 0.99)), r.maxAdmitted, float64(r.peakHeap)/1e6, rss)
}

// TestLoad has more clients than the server admits translate images over loopback: every
// answer is a translation or a refusal with Retry-After, never more requests are admitted than
// workers plus queue, and the heap stays within what the admitted requests can need. It reports
// translations/s, latencies and the peak RSS. Short by default; ZEBRA_SERVE_LOAD=1 has 8 clients
// translate 200 images at 256x256 on ngf 8 with 2 blocks, 1 worker and a queue of 4.
func TestLoad(t *testing.T) {
	l := load{requests: 24, clients: 4, size: 64, workers: 1, queue: 2, ngf: 8, blocks: 2}
	if os.Getenv(loadEnv) == "1" {
		l = load{requests: 200, clients: 8, size: 256, workers: 1, queue: 4, ngf: 8, blocks: 2}
	}
	r := l.run(t)
	t.Logf("%d requests from %d clients, %dx%d, ngf %d, %d blocks, %d worker, queue %d: %v",
		l.requests, l.clients, l.size, l.size, l.ngf, l.blocks, l.workers, l.queue, r)
	if r.ok != l.requests {
		t.Errorf("%d translations, want %d", r.ok, l.requests)
	}
	if r.maxAdmitted > l.workers+l.queue {
		t.Errorf("%d requests admitted at once, more than %d workers + %d queue", r.maxAdmitted, l.workers, l.queue)
	}
	// The heap holds the generator, the server and the admitted requests; the garbage collector
	// lets it grow to twice what is live (GOGC 100) before collecting. 64 MB covers the test
	// binary, the HTTP machinery and the metrics.
	bound := 2 * (64<<20 + int64(l.workers+l.queue)*r.perRequestCeil)
	if int64(r.peakHeap) > bound {
		t.Errorf("peak heap %d bytes, more than %d: memory grows with the load", r.peakHeap, bound)
	}
}

// TestWorkersCompared measures throughput and latency with one and with two translations at
// once, two clients keeping both busy, at 64x64 and 256x256 on ngf 8 with 2 blocks. The runs
// alternate, three of each, because the machine may be shared: compare the ranges. Only with
// ZEBRA_SERVE_LOAD=1; it asserts nothing (speed is measured, not asserted).
func TestWorkersCompared(t *testing.T) {
	if os.Getenv(loadEnv) != "1" {
		t.Skipf("a measurement: set %s=1 to run it", loadEnv)
	}
	for _, size := range []int{64, 256} {
		requests := 48
		if size == 256 {
			requests = 24
		}
		for round := range 3 {
			for _, workers := range []int{1, 2} {
				r := load{requests: requests, clients: 2, size: size, workers: workers, queue: 8, ngf: 8, blocks: 2}.run(t)
				t.Logf("%dx%d round %d, %d worker(s): %v", size, size, round+1, workers, r)
			}
		}
	}
}

// sampleWhile calls sample every 2 ms until the returned stop is called.
func sampleWhile(sample func()) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// heapInUse returns the bytes of heap objects, live or not yet collected.
func heapInUse() uint64 {
	s := []runtimemetrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	runtimemetrics.Read(s)
	return s[0].Value.Uint64()
}

// resetPeakRSS resets the kernel's record of the process's peak resident set (Linux: writing
// 5 to /proc/self/clear_refs), so that peakRSS then reports the peak of what follows.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak resident set in bytes (VmHWM), or -1 where unknown.
func peakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return -1
}
