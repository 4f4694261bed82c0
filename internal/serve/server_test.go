package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/gif"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// TestTranslateServesTranslatesPixels: the answer has exactly the pixels that cyclegan
// translate computes for the same file, for JPEG and PNG, each direction in any case, with the
// type declared, left out (sniffed) or generic.
func TestTranslateServesTranslatesPixels(t *testing.T) {
	generators := testGenerators(4, 1)
	want := testGenerators(4, 1) // the same weights, in generators the server does not freeze
	_, ts := newTestServer(t, Config{Generators: generators})
	dir := t.TempDir()
	img := testImage(37, 22, 1) // odd sizes: the generator pads to a multiple of 4 and crops back
	for _, c := range []struct {
		name, contentType, query string
		direction                cyclegan.Direction
		body                     []byte
	}{
		{"a.png", "image/png", "direction=AtoB", cyclegan.AtoB, encodePNG(t, img)},
		{"a.jpg", "image/jpeg", "direction=btoa", cyclegan.BtoA, encodeJPEG(t, img)},
		{"b.jpg", "", "direction=ATOB", cyclegan.AtoB, encodeJPEG(t, img)},
		{"b.png", "application/octet-stream", "direction=BtoA", cyclegan.BtoA, encodePNG(t, img)},
		{"c.jpg", "application/x-www-form-urlencoded", "direction=AtoB", cyclegan.AtoB, encodeJPEG(t, img)}, // curl --data-binary
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.body, 0o644); err != nil {
			t.Fatal(err)
		}
		// What cyclegan translate does with the file: LoadRGBWithin, then Translate.
		input, err := imageio.LoadRGBWithin(path, DefaultMaxPixels)
		if err != nil {
			t.Fatal(err)
		}
		expected := cyclegan.Translate(want[c.direction], input)
		resp := post(t, ts, c.query, c.contentType, c.body)
		if got := resp.Header.Get("X-Image-Size"); got != "37x22" {
			t.Errorf("%s: X-Image-Size %q, want 37x22", c.name, got)
		}
		if timing := resp.Header.Get("Server-Timing"); !strings.Contains(timing, "translate;dur=") {
			t.Errorf("%s: Server-Timing %q, want a translate duration", c.name, timing)
		}
		got := readPNG(t, resp)
		if got.Bounds() != expected.Bounds() || !bytes.Equal(got.Pix, expected.Pix) {
			t.Errorf("%s %s: the served pixels differ from Translate's", c.name, c.query)
		}
	}
}

// TestTranslateSizeResizesTheLongerSide: size=N scales the longer side to N (bicubic, as
// imageio.ResizeBicubic), for landscape and portrait images, before translating.
func TestTranslateSizeResizesTheLongerSide(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	g := s.cfg.Generators[cyclegan.AtoB]
	for _, c := range []struct{ w, h, size, wantW, wantH int }{
		{40, 20, 16, 16, 8},
		{21, 60, 30, 11, 30}, // 10.5 rounds to 11
		{24, 24, 24, 24, 24}, // already that size
		{12, 9, 48, 48, 36},  // up
	} {
		img := testImage(c.w, c.h, 2)
		expected := cyclegan.Translate(g, imageio.ResizeBicubic(img, c.wantW, c.wantH))
		got := readPNG(t, post(t, ts, fmt.Sprintf("direction=AtoB&size=%d", c.size), "image/png", encodePNG(t, img)))
		if got.Bounds().Dx() != c.wantW || got.Bounds().Dy() != c.wantH {
			t.Errorf("%dx%d with size=%d: answered %v, want %dx%d", c.w, c.h, c.size, got.Bounds(), c.wantW, c.wantH)
		} else if !bytes.Equal(got.Pix, expected.Pix) {
			t.Errorf("%dx%d with size=%d: pixels differ from Translate of the resized image", c.w, c.h, c.size)
		}
	}
}

// TestTranslateErrors: every error a client can cause is a 4xx with a JSON message that says
// what was wrong, and the server goes on serving.
func TestTranslateErrors(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxBodyBytes: 4000, MaxPixels: 50 * 50})
	_, onlyAtoB := newTestServer(t, Config{
		Generators: map[cyclegan.Direction]*cyclegan.ResnetGenerator{cyclegan.AtoB: testGenerators(4, 1)[cyclegan.AtoB]},
		Checkpoint: "bare.safetensors",
	})
	good := encodePNG(t, testImage(20, 16, 3))
	var gifBody bytes.Buffer
	if err := gif.Encode(&gifBody, testImage(8, 8, 1), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name         string
		server       *httptest.Server
		query, ctype string
		body         []byte
		status       int
		says         string // a part of the message
	}{
		{"no direction", ts, "", "image/png", good, 400, "missing direction"},
		{"bad direction", ts, "direction=sideways", "image/png", good, 400, `"sideways"`},
		{"direction not held", onlyAtoB, "direction=BtoA", "image/png", good, 400, "no generator for it, only AtoB"},
		{"size 0", ts, "direction=AtoB&size=0", "image/png", good, 400, "size=0"},
		{"size text", ts, "direction=AtoB&size=big", "image/png", good, 400, "size=big"},
		{"size huge", ts, "direction=AtoB&size=40000", "image/png", good, 400, "size=40000"},
		{"junk body", ts, "direction=AtoB", "", []byte("hello, this is not an image"), 415, "text/plain"},
		{"junk declared png", ts, "direction=AtoB", "image/png", []byte("hello"), 415, "not a JPEG or PNG"},
		{"empty body", ts, "direction=AtoB", "image/png", nil, 400, "empty"},
		{"gif declared", ts, "direction=AtoB", "image/gif", gifBody.Bytes(), 415, "image/gif"},
		{"gif sniffed", ts, "direction=AtoB", "", gifBody.Bytes(), 415, "image/gif"},
		{"webp declared", ts, "direction=AtoB", "image/webp", good, 415, "image/webp"},
		{"multipart", ts, "direction=AtoB", "multipart/form-data; boundary=x", good, 415, "not a form"},
		{"bad content type", ts, "direction=AtoB", "image/png; ;;", good, 415, "does not parse"},
		{"truncated png", ts, "direction=AtoB", "image/png", good[:len(good)/2], 400, "corrupt"},
		{"body too large", ts, "direction=AtoB", "image/png", make([]byte, 4001), 413, "4001 bytes"},
		{"too many pixels", ts, "direction=AtoB", "image/png", encodePNG(t, testImage(51, 50, 1)), 413, "51x50"},
		{"bomb", ts, "direction=AtoB", "image/png", pngClaiming(100_000, 100_000), 413, "100000x100000"},
		{"size too many pixels", ts, "direction=AtoB&size=60", "image/png", good, 413, "60x48"},
	} {
		got := readError(t, post(t, c.server, c.query, c.ctype, c.body), c.status)
		if !strings.Contains(got, c.says) {
			t.Errorf("%s: message %q does not say %q", c.name, got, c.says)
		}
	}
	// A body of unknown length (chunked) is cut at the limit too.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/translate?direction=AtoB", io.MultiReader(bytes.NewReader(make([]byte, 5000))))
	req.ContentLength = -1
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readError(t, resp, 413); !strings.Contains(got, "more than the 4000 bytes") {
		t.Errorf("chunked body over the limit: %q", got)
	}
	resp, err = ts.Client().Get(ts.URL + "/v1/translate?direction=AtoB")
	if err != nil {
		t.Fatal(err)
	}
	readError(t, resp, 405)
	if resp.Header.Get("Allow") != "POST" {
		t.Errorf("405 Allow %q, want POST", resp.Header.Get("Allow"))
	}
	readPNG(t, post(t, ts, "direction=AtoB", "image/png", good)) // still serving
}

// TestBombAllocatesNothing: a PNG whose header claims 30000x30000 pixels (3.6 GB as RGBA) is
// refused from its header: the request allocates well under a megabyte.
func TestBombAllocatesNothing(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	h := s.Handler()
	bomb := pngClaiming(30_000, 30_000)
	request := func() int {
		req := httptest.NewRequest(http.MethodPost, "/v1/translate?direction=AtoB", bytes.NewReader(bomb))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	request() // warm up: first-use allocations of the metrics and the decoder tables
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code := request()
	runtime.ReadMemStats(&after)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", code)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes, want under 1 MiB", allocated)
	}
}

// TestInfoHealthPageMetrics: the other endpoints answer what they promise.
func TestInfoHealthPageMetrics(t *testing.T) {
	_, ts := newTestServer(t, Config{
		Generators: testGenerators(4, 2), Device: "cpu", Version: map[string]string{"cyclegan": "(devel)"},
		Checkpoint: "run/latest.safetensors", CheckpointSHA256: "ab12", Workers: 1, Queue: 3,
	})
	resp, body := get(t, ts, "/v1/info")
	var info Info
	if err := json.Unmarshal(body, &info); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/v1/info: %s %s (%v)", resp.Status, body, err)
	}
	if info.NGF != 4 || info.Blocks != 2 || strings.Join(info.Directions, ",") != "AtoB,BtoA" || info.Device != "cpu" ||
		info.Version["cyclegan"] != "(devel)" || info.Checkpoint != "run/latest.safetensors" || info.CheckpointSHA256 != "ab12" ||
		info.Limits.Queue != 3 || info.Limits.MaxPixels != DefaultMaxPixels || info.Limits.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Errorf("/v1/info: %+v", info)
	}
	if resp, body := get(t, ts, "/healthz"); resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("/healthz: %s %s", resp.Status, body)
	}
	resp, body = get(t, ts, "/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte(`type="file"`)) {
		t.Errorf("/: %s %s, want the page with a file input", resp.Status, resp.Header.Get("Content-Type"))
	}
	if bytes.Contains(body, []byte("http://")) || bytes.Contains(body, []byte("https://")) {
		t.Error("the page refers to another site; it must work offline")
	}
	if resp, body := get(t, ts, "/nowhere"); resp.StatusCode != 404 || !strings.Contains(string(body), `"error"`) {
		t.Errorf("/nowhere: %s %s, want 404 with a JSON error", resp.Status, body)
	}

	readPNG(t, post(t, ts, "direction=AtoB", "image/png", encodePNG(t, testImage(16, 16, 1))))
	readError(t, post(t, ts, "direction=up", "image/png", nil), 400)
	text := metricsText(t, ts)
	for _, want := range [][2]string{
		{`cyclegan_serve_requests_total{code="200",handler="translate"}`, "1"},
		{`cyclegan_serve_requests_total{code="400",handler="translate"}`, "1"},
		{`cyclegan_serve_requests_total{code="200",handler="info"}`, "1"},
		{`cyclegan_serve_translation_duration_seconds_count{direction="AtoB"}`, "1"},
		{`cyclegan_serve_request_duration_seconds_count{handler="translate"}`, "2"},
		{`cyclegan_serve_queue_depth`, "0"},
		{`cyclegan_serve_translations_running`, "0"},
		{`cyclegan_serve_workers`, "1"},
		{`cyclegan_serve_translations_dropped_total{reason="queue_full"}`, "0"},
	} {
		if !hasMetric(text, want[0], want[1]) {
			t.Errorf("/metrics has no line %q", want[0]+" "+want[1])
		}
	}
	if !strings.Contains(text, "process_resident_memory_bytes ") {
		t.Error("/metrics has no process_resident_memory_bytes")
	}
}

// TestQueueFullRefuses: with one worker busy and the one queue place taken, the next request
// is refused at once with 503, Retry-After and JSON; the admitted two then finish.
func TestQueueFullRefuses(t *testing.T) {
	s, ts := newTestServer(t, Config{Workers: 1, Queue: 1})
	held := holdTranslations(s)
	defer held.releaseAll()
	body := encodePNG(t, testImage(16, 16, 1))
	answers := make(chan *http.Response, 2)
	for range 2 {
		go func() { answers <- post(t, ts, "direction=AtoB", "image/png", body) }()
	}
	waitFor(t, "one running, one waiting", func() bool { return s.queue.running() == 1 && s.queue.waiting.Load() == 1 })
	resp := post(t, ts, "direction=AtoB", "image/png", body)
	if msg := readError(t, resp, 503); !strings.Contains(msg, "busy") {
		t.Errorf("503 message %q", msg)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if text := metricsText(t, ts); !hasMetric(text, "cyclegan_serve_queue_depth", "1") || !hasMetric(text, "cyclegan_serve_translations_running", "1") {
		t.Error("/metrics does not show the running translation and the waiting one")
	}
	held.releaseAll()
	for range 2 {
		readPNG(t, <-answers)
	}
	if !hasMetric(metricsText(t, ts), `cyclegan_serve_translations_dropped_total{reason="queue_full"}`, "1") {
		t.Error("the refusal is not counted")
	}
}

// TestClientGoneNeverStarts: a request whose client leaves while it waits for the worker never
// runs the generator, and frees its queue place.
func TestClientGoneNeverStarts(t *testing.T) {
	s, ts := newTestServer(t, Config{Workers: 1, Queue: 2})
	held := holdTranslations(s)
	defer held.releaseAll()
	body := encodePNG(t, testImage(16, 16, 1))
	first := make(chan *http.Response, 1)
	go func() { first <- post(t, ts, "direction=AtoB", "image/png", body) }()
	waitFor(t, "the first translation", func() bool { return held.started.Load() == 1 })

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/v1/translate?direction=AtoB", bytes.NewReader(body))
	gone := make(chan error, 1)
	go func() {
		_, err := ts.Client().Do(req)
		gone <- err
	}()
	waitFor(t, "the second request to wait", func() bool { return s.queue.waiting.Load() == 1 })
	cancel()
	if err := <-gone; err == nil {
		t.Fatal("the cancelled request got an answer")
	}
	waitFor(t, "the second request to leave the queue", func() bool { return s.queue.waiting.Load() == 0 && len(s.queue.tickets) == 1 })
	held.releaseAll()
	readPNG(t, <-first)
	readPNG(t, post(t, ts, "direction=AtoB", "image/png", body))
	if n := held.started.Load(); n != 2 {
		t.Errorf("%d translations started, want 2: the first and the last, not the one whose client left", n)
	}
	if !hasMetric(metricsText(t, ts), `cyclegan_serve_translations_dropped_total{reason="client_gone"}`, "1") {
		t.Error("the request whose client left is not counted")
	}
}

// TestTimeout: a request whose translation outlasts -timeout gets 503 on time, and so does
// one that waited that long for the worker; the latter never starts.
func TestTimeout(t *testing.T) {
	s, ts := newTestServer(t, Config{Workers: 1, Queue: 1, Timeout: 300 * time.Millisecond})
	held := holdTranslations(s)
	defer held.releaseAll()
	body := encodePNG(t, testImage(16, 16, 1))
	running := make(chan *http.Response, 1)
	go func() { running <- post(t, ts, "direction=AtoB", "image/png", body) }()
	waitFor(t, "the first translation", func() bool { return held.started.Load() == 1 })
	waiting := post(t, ts, "direction=AtoB", "image/png", body)
	if msg := readError(t, waiting, 503); !strings.Contains(msg, "waiting for a worker") {
		t.Errorf("queued request: %q", msg)
	}
	if msg := readError(t, <-running, 503); !strings.Contains(msg, "took longer") {
		t.Errorf("running request: %q", msg)
	}
	if n := held.started.Load(); n != 1 {
		t.Errorf("%d translations started, want 1", n)
	}
	held.releaseAll()
	waitFor(t, "the worker to be free", func() bool { return s.queue.running() == 0 })
	if !hasMetric(metricsText(t, ts), `cyclegan_serve_translations_dropped_total{reason="timeout"}`, "2") {
		t.Error("the timeouts are not counted")
	}
}

// TestTranslationPanicIs500: a generator that panics (a failing device) gives a 500 with JSON,
// and the server goes on.
func TestTranslationPanicIs500(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	s.translate = func(*cyclegan.ResnetGenerator, *image.RGBA) *image.RGBA { panic("device lost") }
	if msg := readError(t, post(t, ts, "direction=AtoB", "image/png", encodePNG(t, testImage(8, 8, 1))), 500); !strings.Contains(msg, "device lost") {
		t.Errorf("message %q", msg)
	}
	s.translate = cyclegan.Translate
	readPNG(t, post(t, ts, "direction=AtoB", "image/png", encodePNG(t, testImage(8, 8, 1))))
}

// TestServeShutsDownGracefully: once Serve's context ends, new connections are refused and
// /healthz would say so, while the translation in flight finishes and is answered.
func TestServeShutsDownGracefully(t *testing.T) {
	s, err := New(Config{Generators: testGenerators(4, 1)})
	if err != nil {
		t.Fatal(err)
	}
	held := holdTranslations(s)
	defer held.releaseAll()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	inFlight := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(url+"/v1/translate?direction=AtoB", "image/png", bytes.NewReader(encodePNG(t, testImage(12, 12, 1))))
		if err != nil {
			t.Error(err)
			close(inFlight)
			return
		}
		inFlight <- resp
	}()
	waitFor(t, "the translation to start", func() bool { return held.started.Load() == 1 })
	stop()
	waitFor(t, "new connections to be refused", func() bool {
		conn, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	if !s.draining.Load() {
		t.Error("not draining after the context ended")
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	default:
	}
	held.releaseAll()
	if resp, ok := <-inFlight; ok {
		readPNG(t, resp)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
