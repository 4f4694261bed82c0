package parallel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zebra-go/zebra/internal/vec"
)

// TestRunRunsEveryPartOnce runs calls of every part count from several goroutines at once (more
// parts than workers, more callers than Ps) and checks that each part ran exactly once.
func TestRunRunsEveryPartOnce(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for rep := range 200 {
				parts := (g + rep) % 7
				counts := make([]atomic.Int32, parts)
				Run(parts, func(p int) { counts[p].Add(1) })
				for p := range counts {
					if c := counts[p].Load(); c != 1 {
						t.Errorf("goroutine %d, %d parts: part %d ran %d times", g, parts, p, c)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestRunNested calls Run from inside a part: the inner call must not wait on workers that the
// outer call holds.
func TestRunNested(t *testing.T) {
	var total atomic.Int32
	Run(3, func(int) { Run(3, func(int) { total.Add(1) }) })
	if got := total.Load(); got != 9 {
		t.Fatalf("nested Run ran %d inner parts, want 9", got)
	}
}

// TestForChunks checks that For's chunks tile [0, n) in order, each at least grain long unless
// the whole range is one chunk, for every n around the grain and GOMAXPROCS 1 to 4.
func TestForChunks(t *testing.T) {
	prev := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(prev)
	for _, procs := range []int{1, 2, 3, 4} {
		runtime.GOMAXPROCS(procs)
		for _, grain := range []int{0, 1, 5, 64} {
			for n := 0; n <= 4*grain+9; n++ {
				var mu sync.Mutex
				var chunks [][2]int
				For(n, grain, func(lo, hi int) {
					mu.Lock()
					chunks = append(chunks, [2]int{lo, hi})
					mu.Unlock()
				})
				covered := make([]int, n)
				for _, c := range chunks {
					if len(chunks) > 1 && c[1]-c[0] < grain {
						t.Fatalf("procs %d grain %d n %d: chunk %v shorter than the grain", procs, grain, n, c)
					}
					for i := c[0]; i < c[1]; i++ {
						covered[i]++
					}
				}
				for i, c := range covered {
					if c != 1 {
						t.Fatalf("procs %d grain %d n %d: index %d covered %d times (chunks %v)", procs, grain, n, i, c, chunks)
					}
				}
				if len(chunks) > procs {
					t.Fatalf("procs %d grain %d n %d: %d chunks", procs, grain, n, len(chunks))
				}
			}
		}
	}
}

// BenchmarkAdd is a contiguous float32 add of n elements, on one goroutine and through For with
// the grain n/2 (two chunks): where the second is faster, a grain of n/2 pays for itself.
// go test -run '^$' -bench Add -count 6 ./internal/parallel | benchstat -col /mode
func BenchmarkAdd(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 18} {
		x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
		for _, mode := range []string{"serial", "for"} {
			b.Run(fmt.Sprintf("n=%d/mode=%s", n, mode), func(b *testing.B) {
				b.SetBytes(int64(12 * n))
				for b.Loop() {
					if mode == "serial" {
						vec.Add(z, x, y)
						continue
					}
					For(n, n/2, func(lo, hi int) { vec.Add(z[lo:hi], x[lo:hi], y[lo:hi]) })
				}
			})
		}
	}
}

// TestRunPanics checks that a part's panic reaches the caller of Run, whichever goroutine ran
// the part, after the other parts have finished, and that the workers survive it.
func TestRunPanics(t *testing.T) {
	for rep := range 50 {
		var finished atomic.Int32
		func() {
			defer func() {
				if v := recover(); v != "part 1" {
					t.Fatalf("repetition %d: recovered %v, want the panic of part 1", rep, v)
				}
				if got := finished.Load(); got != 2 {
					t.Fatalf("repetition %d: Run returned with %d of the other parts finished, want 2", rep, got)
				}
			}()
			Run(3, func(p int) {
				if p == 1 {
					panic("part 1")
				}
				finished.Add(1)
			})
		}()
	}
	var ran atomic.Int32
	Run(2, func(int) { ran.Add(1) })
	if ran.Load() != 2 {
		t.Fatalf("after the panics, Run ran %d parts, want 2", ran.Load())
	}
}

// TestFinishedJobsAreNotRetained runs calls whose parts capture a buffer each, and checks that
// once they have returned the collector frees every buffer: the pool must not keep a finished
// job, and with it what its closure captured (a convolution's output, a workspace), reachable.
// It once did, through the backing array of its list of open jobs, and TestActivationCounts
// (models/cyclegan) then measured a training graph a tensor short in most runs.
func TestFinishedJobsAreNotRetained(t *testing.T) {
	const calls = 64
	var freed atomic.Int32
	for range calls {
		buf := make([]float32, 1<<12)
		runtime.AddCleanup(&buf[0], func(struct{}) { freed.Add(1) }, struct{}{})
		// Part 0 is slow, so that a worker done with its part looks for the next job while this
		// one is still open and finds nothing to claim in it (the path that kept it).
		Run(4, func(p int) {
			if p == 0 {
				time.Sleep(100 * time.Microsecond)
			}
			buf[p]++
		})
	}
	for range 10 {
		runtime.GC()
		if freed.Load() == calls {
			return
		}
		time.Sleep(10 * time.Millisecond) // cleanups run on their own goroutine
	}
	t.Fatalf("%d of %d buffers captured by finished calls are still reachable", calls-freed.Load(), calls)
}

// TestClaimRunsEveryItemOnce runs Claim with more items than workers, fewer, and none, and
// checks that every item ran exactly once and every worker number is below workers.
func TestClaimRunsEveryItemOnce(t *testing.T) {
	for _, c := range [][2]int{{2, 100}, {4, 3}, {3, 0}, {1, 5}} {
		workers, items := c[0], c[1]
		counts := make([]atomic.Int32, items)
		var badWorker atomic.Int32
		Claim(workers, items, func(worker, item int) {
			if worker < 0 || worker >= workers {
				badWorker.Store(int32(worker) + 1)
			}
			counts[item].Add(1)
		})
		if w := badWorker.Load(); w != 0 {
			t.Errorf("%d workers, %d items: ran on worker %d", workers, items, w-1)
		}
		for i := range counts {
			if n := counts[i].Load(); n != 1 {
				t.Errorf("%d workers, %d items: item %d ran %d times", workers, items, i, n)
			}
		}
	}
}
