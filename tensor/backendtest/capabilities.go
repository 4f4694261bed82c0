package backendtest

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/tensor"
)

// capabilities lists the optional interfaces of tensor/capabilities.go (and tensor.Convolver and ReflectConvolver)
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
	_, ok = b.(tensor.ReflectConvolver)
	add("ReflectConvolver", ok)
	_, ok = b.(tensor.FiniteChecker)
	add("FiniteChecker", ok)
	_, ok = b.(tensor.NonFiniteFlagger)
	add("NonFiniteFlagger", ok)
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

// testAllFinite checks tensor.AllFinite on the backend, and the optional FiniteChecker's
// AllFinite or NonFiniteFlagger's FlagNonFinite when it has one, on ragged sizes (one large enough for the CPU to split) holding only
// finite numbers, then a NaN, +Inf or -Inf at the first, a middle and the last position. Without
// FiniteChecker, tensor.AllFinite is Σ x·0 computed by the backend's Unary and Reduce: this is
// the one place the suite feeds those kernels NaNs and infinities, and a device whose x·0 is 0
// for every x (a fast-math multiply) fails here. It also checks tensors of two backends at once.
func testAllFinite(h *harness) {
	fc, hasChecker := h.b.(tensor.FiniteChecker)
	ff, hasFlagger := h.b.(tensor.NonFiniteFlagger)
	check := func(what string, p pair, want bool) {
		h.t.Helper()
		x := tensor.FromStorage(p.got, p.got.Len())
		if got := tensor.AllFinite(x); got != want {
			h.t.Errorf("tensor.AllFinite(%s) = %v, want %v", what, got, want)
		}
		if hasChecker {
			if got := fc.AllFinite(p.got); got != want {
				h.t.Errorf("FiniteChecker.AllFinite(%s) = %v, want %v", what, got, want)
			}
		}
		if hasFlagger {
			// The flag goes to 1 for a NaN or an infinity, and is otherwise left as it was.
			for _, before := range []float64{0, 1, 0.5} {
				flag := upload(h.b, h.dt, []float64{before})
				ff.FlagNonFinite(flag, p.got)
				wantFlag := before
				if !want {
					wantFlag = 1
				}
				if got := download(h.b, flag)[0]; got != wantFlag {
					h.t.Errorf("NonFiniteFlagger.FlagNonFinite(%s) on a flag of %g: %g, want %g", what, before, got, wantFlag)
				}
			}
		}
		h.intact("AllFinite "+what, p)
	}
	for _, n := range []int{0, 1, 3, 1025, 1<<17 + 3} { // the CPU splits from 1<<17 on
		data := h.normal(n, 0, 1e3)
		check(fmt.Sprintf("%d finite numbers", n), h.pair(data), true)
		if n == 0 {
			continue
		}
		for _, at := range []int{0, n / 2, n - 1} {
			for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				bad := slices.Clone(data)
				bad[at] = v
				check(fmt.Sprintf("%d numbers with %g at %d", n, v, at), h.pair(bad), false)
			}
		}
	}
	// Tensors of two backends in one call: each backend's share is checked its own way.
	onCPU := tensor.FromStorage(upload(tensor.CPU, h.dt, h.normal(5, 0, 1)), 5)
	finite := tensor.FromStorage(upload(h.b, h.dt, h.normal(5, 0, 1)), 5)
	infinite := tensor.FromStorage(upload(h.b, h.dt, []float64{1, math.Inf(1)}), 2)
	for _, c := range []struct {
		what string
		ts   []*tensor.Tensor
		want bool
	}{
		{"finite tensors on the CPU and the device", []*tensor.Tensor{onCPU, finite}, true},
		{"finite tensors on the CPU and the device, then +Inf on the device", []*tensor.Tensor{onCPU, finite, infinite}, false},
		{"+Inf on the device, then a finite CPU tensor", []*tensor.Tensor{infinite, onCPU}, false},
	} {
		if got := tensor.AllFinite(c.ts...); got != c.want {
			h.t.Errorf("tensor.AllFinite(%s) = %v, want %v", c.what, got, c.want)
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
