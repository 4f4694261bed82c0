package device

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"github.com/zebra-go/zebra/tensor"
)

// fakeDriver is a device with a fixed amount of memory and no kernels but fill, enough to test
// the allocator's bookkeeping without a GPU.
type fakeDriver struct {
	mu        sync.Mutex
	capacity  int
	used      int
	peak      int
	sizes     map[Mem]int
	next      Mem
	failAlloc bool
}

func newFake(capacity int) *fakeDriver { return &fakeDriver{capacity: capacity, sizes: map[Mem]int{}} }

func (f *fakeDriver) Name() string                                                             { return "fake:0" }
func (f *fakeDriver) FP64() bool                                                               { return true }
func (f *fakeDriver) MemBytes() int64                                                          { return int64(f.capacity) }
func (f *fakeDriver) Compile(tensor.DType) error                                               { return nil }
func (f *fakeDriver) Write(Mem, unsafe.Pointer, int)                                           {}
func (f *fakeDriver) Read(unsafe.Pointer, Mem, int)                                            {}
func (f *fakeDriver) Launch(dt tensor.DType, name string, groups, local [3]int, args [][]byte) {}
func (f *fakeDriver) Gemm(tensor.GemmArgs, Mem, Mem, Mem) bool                                 { return false }

func (f *fakeDriver) Alloc(bytes int) (Mem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.used+bytes > f.capacity {
		return 0, errors.New("fake: out of memory")
	}
	f.next++
	f.sizes[f.next] = bytes
	f.used += bytes
	f.peak = max(f.peak, f.used)
	return f.next, nil
}

func (f *fakeDriver) Free(m Mem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.used -= f.sizes[m]
	delete(f.sizes, m)
}

func TestSizeClass(t *testing.T) {
	prev := 0
	for bytes := 1; bytes < 1<<20; bytes += 37 {
		c := sizeClass(bytes)
		if c < bytes || c < prev || (bytes > 256 && float64(c) > 1.25*float64(bytes)) {
			t.Fatalf("sizeClass(%d) = %d (previous %d)", bytes, c, prev)
		}
		prev = c
	}
	for _, c := range []struct{ bytes, want int }{{0, 256}, {256, 256}, {257, 320}, {1024, 1024}, {1025, 1280}, {1 << 20, 1 << 20}} {
		if got := sizeClass(c.bytes); got != c.want {
			t.Errorf("sizeClass(%d) = %d, want %d", c.bytes, got, c.want)
		}
	}
}

// TestGarbageIsReused allocates and drops far more than the device holds: the pool must reuse
// what the collector frees, and never ask the driver for more than the device has.
func TestGarbageIsReused(t *testing.T) {
	fake := newFake(8 << 20)
	b := New(fake, nil)
	for range 200 { // 200 × 1 MiB through an 8 MiB device
		b.Alloc(tensor.Float32, 1<<18)
	}
	if fake.peak > fake.capacity {
		t.Fatalf("driver peak %d over capacity %d", fake.peak, fake.capacity)
	}
	s := b.MemStats()
	if s.DriverAllocs >= 200 {
		t.Errorf("%d driver allocations for 200 tensors of one size: nothing was reused", s.DriverAllocs)
	}
}

// TestSteadyStateStopsAllocating: a loop that allocates the same sizes each iteration, as a
// training step does, calls the driver only while it warms up.
func TestSteadyStateStopsAllocating(t *testing.T) {
	fake := newFake(1 << 30)
	b := New(fake, nil)
	step := func() {
		for _, n := range []int{1000, 5000, 1000, 70000} {
			b.Alloc(tensor.Float32, n)
		}
	}
	step()
	runtime.GC()
	b.pool.collectNoTrim()
	before := b.MemStats().DriverAllocs
	for range 5 {
		step()
		runtime.GC()
		b.pool.collectNoTrim()
	}
	if after := b.MemStats().DriverAllocs; after != before {
		t.Errorf("driver allocations grew from %d to %d in steady state", before, after)
	}
}

func TestOutOfMemoryPanicsWithMessage(t *testing.T) {
	fake := newFake(1 << 20)
	b := New(fake, nil)
	var live []tensor.Storage
	defer func() {
		r := recover()
		msg, _ := r.(string)
		if r == nil || !contains(msg, "out of device memory") {
			t.Fatalf("recovered %v, want an out-of-memory panic", r)
		}
		runtime.KeepAlive(live)
	}()
	for range 10 {
		live = append(live, b.Alloc(tensor.Float32, 1<<17)) // 512 KiB each, all kept alive
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// noFP64 is a device without double precision.
type noFP64 struct{ *fakeDriver }

func (noFP64) FP64() bool { return false }

func TestFloat64WithoutFP64Panics(t *testing.T) {
	b := New(noFP64{newFake(1 << 20)}, nil)
	b.Alloc(tensor.Float32, 10) // float32 is fine
	defer func() {
		msg, _ := recover().(string)
		if !contains(msg, "float64") || !contains(msg, "fake:0") {
			t.Fatalf("recovered %q, want a panic naming the dtype and the device", msg)
		}
	}()
	b.Alloc(tensor.Float64, 10)
}

func TestCompileFloat64WithoutFP64IsAnError(t *testing.T) {
	b := New(noFP64{newFake(1 << 20)}, nil)
	if err := b.Compile(tensor.Float64); err == nil || !contains(err.Error(), "float64") {
		t.Fatalf("Compile(Float64) = %v, want an error naming float64", err)
	}
}

// TestRelease: released memory is reused by the next allocation of its size without a collection,
// the garbage collector does not return it a second time, and a released storage cannot be used.
func TestRelease(t *testing.T) {
	fake := newFake(1 << 30)
	b := New(fake, nil)
	var kept []tensor.Storage
	for range 5 {
		s := b.Alloc(tensor.Float32, 1<<16)
		kept = append(kept, s) // reachable: only Release can return the memory
		b.Release(s)
	}
	if got := b.MemStats().DriverAllocs; got != 1 {
		t.Errorf("%d driver allocations for five allocate-release pairs, want 1", got)
	}
	before := b.MemStats()
	kept = nil
	runtime.GC()
	b.pool.collectNoTrim()
	if after := b.MemStats(); after.Cached != before.Cached || after.Live != before.Live {
		t.Errorf("collecting released storage changed the pool: %+v -> %+v", before, after)
	}
	s := b.Alloc(tensor.Float32, 10)
	b.Release(s)
	defer func() {
		if msg, _ := recover().(string); !contains(msg, "after its Release") {
			t.Errorf("using released storage: recovered %q", msg)
		}
	}()
	b.Fill(s, 1)
}

// TestPeaks: the high-water marks follow live storage and what the pool holds, and stay where
// they were when storage is released and reused.
func TestPeaks(t *testing.T) {
	b := New(newFake(1<<30), nil)
	x := b.Alloc(tensor.Float32, 1<<16) // 256 KiB
	y := b.Alloc(tensor.Float32, 1<<17) // 512 KiB
	b.Release(x)
	b.Release(y)
	z := b.Alloc(tensor.Float32, 1<<16) // reuses x's buffer
	s := b.MemStats()
	if s.PeakLive != 3<<18 || s.PeakHeld != 3<<18 {
		t.Errorf("peaks live %d, held %d; want %d for both", s.PeakLive, s.PeakHeld, 3<<18)
	}
	if s.Live != 1<<18 || s.Cached != 1<<19 {
		t.Errorf("live %d, cached %d; want %d and %d", s.Live, s.Cached, 1<<18, 1<<19)
	}
	b.Release(z)
	b.pool.trim()
	w := b.Alloc(tensor.Float32, 1<<18) // 1 MiB from the driver: held peaks again
	if s := b.MemStats(); s.PeakLive != 1<<20 || s.PeakHeld != 1<<20 {
		t.Errorf("after trimming and a 1 MiB tensor: peaks live %d, held %d; want %d", s.PeakLive, s.PeakHeld, 1<<20)
	}
	runtime.KeepAlive(w)
}

// TestCounters: launches, library GEMMs and copies are counted where the backend makes them.
func TestCounters(t *testing.T) {
	b := New(newFake(1<<30), nil)
	x := b.Alloc(tensor.Float32, 4) // Alloc clears: one fill launch
	b.Upload(x, []float32{1, 2, 3, 4})
	b.Download(make([]float32, 4), x)
	b.Download(make([]float32, 4), x)
	c := b.Alloc(tensor.Float32, 4)
	b.Gemm(tensor.GemmArgs{M: 2, N: 2, K: 2, Alpha: 1, A: x, LDA: 2, B: x, LDB: 2, C: c, LDC: 2, Batch: 1})
	want := Counters{Launches: 3, Uploads: 1, Downloads: 2} // two fills and the own GEMM kernel
	if got := b.Counters(); got != want {
		t.Errorf("counters %+v, want %+v", got, want)
	}
	if got := b.LaunchesByKernel(); got["fill"] != 2 || got["gemm"] != 1 || len(got) != 2 {
		t.Errorf("launches by kernel %v, want 2 fill and 1 gemm", got)
	}
}
