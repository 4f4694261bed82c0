package backendtest

import (
	"fmt"
	"strings"

	"github.com/zebra-go/zebra/tensor"
)

// capabilities lists the optional interfaces of tensor/capabilities.go (and tensor.Convolver)
// that b implements, for the test log: a backend that loses one by a changed signature then
// shows it there, besides its subtest skipping.
func capabilities(b tensor.Backend) string {
	var has []string
	add := func(name string, ok bool) {
		if ok {
			has = append(has, name)
		}
	}
	_, ok := b.(tensor.Releaser)
	add("Releaser", ok)
	_, ok = b.(tensor.EmptyAllocator)
	add("EmptyAllocator", ok)
	_, ok = b.(tensor.Synchronizer)
	add("Synchronizer", ok)
	_, ok = b.(tensor.Compiler)
	add("Compiler", ok)
	_, ok = b.(tensor.Im2colGemmer)
	add("Im2colGemmer", ok)
	_, ok = b.(tensor.Convolver)
	add("Convolver", ok)
	if len(has) == 0 {
		return "none"
	}
	return strings.Join(has, ", ")
}

// releaseLen is large enough for the CPU's pool to keep the buffer (it leaves small ones to the
// garbage collector), and ragged.
const releaseLen = 1<<16 + 3

// testRelease checks the optional Releaser: a kernel queued before Release still reads the
// released storage's data, and a later Alloc of the same size, which may get the buffer back,
// is zeroed as Alloc promises.
func testRelease(h *harness) {
	r, ok := h.b.(tensor.Releaser)
	if !ok {
		h.t.Skipf("%s does not implement tensor.Releaser (tensor.Release does nothing)", h.b.Name())
	}
	for _, n := range []int{0, 1, releaseLen} {
		src := h.pair(h.normal(n, 0, 1))
		dst := h.pair(make([]float64, n))
		tensor.CPU.Unary(tensor.OpNeg, dst.ref, src.ref, 0)
		h.b.Unary(tensor.OpNeg, dst.got, src.got, 0)
		r.Release(src.got)
		h.check(fmt.Sprintf("Unary(neg) queued before Release of its source, n = %d", n), dst, exact, nil)
		again := h.b.Alloc(h.dt, n)
		compare(h.t, fmt.Sprintf("Alloc(%d) after a Release of that size", n), make([]float64, n), download(h.b, again), exact, nil)
	}
}

// testAllocEmpty checks the optional EmptyAllocator: its storage has the asked-for dtype, length
// and backend and holds what is uploaded into it, also when it is a released buffer reused.
func testAllocEmpty(h *harness) {
	ea, ok := h.b.(tensor.EmptyAllocator)
	if !ok {
		h.t.Skipf("%s does not implement tensor.EmptyAllocator (tensor.Empty allocates as New)", h.b.Name())
	}
	for _, n := range []int{0, 1, releaseLen} {
		if r, ok := h.b.(tensor.Releaser); ok {
			r.Release(upload(h.b, h.dt, h.normal(n, 0, 1)))
		}
		s := ea.AllocEmpty(h.dt, n)
		what := fmt.Sprintf("AllocEmpty(%s, %d)", h.dt, n)
		if s.Len() != n || s.DType() != h.dt || s.Backend() != h.b {
			h.t.Fatalf("%s: storage of %d %s on %v", what, s.Len(), s.DType(), s.Backend())
		}
		want := h.normal(n, 0, 1)
		h.b.Upload(s, hostSlice(h.dt, want))
		compare(h.t, what+" uploaded and read back", want, download(h.b, s), exact, nil)
	}
}

// testSynchronize checks the optional Synchronizer: it returns with nothing queued and after a
// queue of kernels, whose results are then complete.
func testSynchronize(h *harness) {
	s, ok := h.b.(tensor.Synchronizer)
	if !ok {
		h.t.Skipf("%s does not implement tensor.Synchronizer (its kernels return when done)", h.b.Name())
	}
	s.Synchronize()
	const n = 4099
	x := h.pair(h.normal(n, 0, 1))
	for range 8 {
		tensor.CPU.Unary(tensor.OpScale, x.ref, x.ref, 0.5)
		h.b.Unary(tensor.OpScale, x.got, x.got, 0.5)
	}
	s.Synchronize()
	h.check("8 queued Unary(scale) then Synchronize", x, exact, nil)
	s.Synchronize()
}

// testCompile checks the optional Compiler: the kernels of a dtype the backend computes in build,
// twice, and asking for float64 on a backend without it is an error that says so.
func testCompile(h *harness) {
	c, ok := h.b.(tensor.Compiler)
	if !ok {
		h.t.Skipf("%s does not implement tensor.Compiler (nothing to compile)", h.b.Name())
	}
	for range 2 {
		if err := c.Compile(h.dt); err != nil {
			h.t.Fatalf("Compile(%s): %v", h.dt, err)
		}
	}
	if !h.float64s {
		err := c.Compile(tensor.Float64)
		if err == nil || !strings.Contains(err.Error(), "float64") {
			h.t.Errorf("Compile(float64) on a backend tested without float64 = %v, want an error naming float64", err)
		}
	}
}

// hostSlice returns v as the host slice Upload takes for dt.
func hostSlice(dt tensor.DType, v []float64) any {
	if dt == tensor.Float64 {
		return v
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return f
}
