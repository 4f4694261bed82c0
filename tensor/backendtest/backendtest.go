package backendtest

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// Option changes what Run checks.
type Option func(*config)

type config struct {
	float64s bool
	seed     uint64
	skip     []string
}

// NoFloat64 says the backend does not support float64; Run then checks float32 only.
func NoFloat64() Option { return func(c *config) { c.float64s = false } }

// Seed sets the seed of the random inputs (default 1).
func Seed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// Skip skips the named kernels (the Backend method names, e.g. "Im2col"), for a backend that is
// still being written. Every skip is reported in the test log.
func Skip(kernels ...string) Option {
	return func(c *config) { c.skip = append(c.skip, kernels...) }
}

// Run checks every kernel of b against tensor.CPU. It is meant to be the whole body of a test:
//
//	func TestConformance(t *testing.T) { backendtest.Run(t, mybackend) }
func Run(t *testing.T, b tensor.Backend, opts ...Option) {
	t.Helper()
	cfg := config{float64s: true, seed: 1}
	for _, o := range opts {
		o(&cfg)
	}
	dtypes := []tensor.DType{tensor.Float32}
	if cfg.float64s {
		dtypes = append(dtypes, tensor.Float64)
	}
	for _, name := range cfg.skip {
		if !slices.ContainsFunc(kernelTests, func(k kernelTest) bool { return k.name == name }) {
			t.Fatalf("backendtest.Skip(%q): no such kernel", name)
		}
	}
	t.Logf("backendtest: optional capabilities of %s: %s", b.Name(), capabilities(b))
	for _, k := range kernelTests {
		t.Run(k.name, func(t *testing.T) {
			if slices.Contains(cfg.skip, k.name) {
				t.Skipf("backendtest: %s skipped for backend %s by option", k.name, b.Name())
			}
			for _, dt := range dtypes {
				t.Run(dt.String(), func(t *testing.T) {
					// A kernel that panics fails its own subtest, not the whole suite.
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s on %s panicked: %v\n%s", k.name, b.Name(), r, debug.Stack())
						}
					}()
					k.run(&harness{t: t, b: b, dt: dt, rng: tensor.NewRNG(cfg.seed), float64s: cfg.float64s})
				})
			}
		})
	}
}

// kernelTest checks one kernel of the contract (named as the Backend method) in one dtype.
type kernelTest struct {
	name string
	run  func(h *harness)
}

var kernelTests = []kernelTest{
	{"Alloc", testAlloc},
	{"UploadDownload", testUploadDownload},
	{"Fill", testFill},
	{"Cast", testCast},
	{"Copy", testCopy},
	{"Unary", testUnary},
	{"Binary", testBinary},
	{"Reduce", testReduce},
	{"Gemm", testGemm},
	{"Im2col", testIm2col},
	{"GemmIm2col", testGemmIm2col}, // optional: tensor.Im2colGemmer
	{"Col2im", testCol2im},
	{"Convolver", testConvolver},               // optional: tensor.Convolver
	{"ReflectConvolver", testReflectConvolver}, // optional: tensor.ReflectConvolver
	{"ReflectPad", testReflectPad},
	{"ReflectPadBackward", testReflectPadBackward},
	{"InstanceNormForward", testInstanceNormForward},
	{"InstanceNormBackward", testInstanceNormBackward},
	{"AdamStep", testAdamStep},
	{"Release", testRelease},         // optional: tensor.Releaser
	{"AllocEmpty", testAllocEmpty},   // optional: tensor.EmptyAllocator
	{"Synchronize", testSynchronize}, // optional: tensor.Synchronizer
	{"Compile", testCompile},         // optional: tensor.Compiler
	{"AllFinite", testAllFinite},     // optional: tensor.FiniteChecker or NonFiniteFlagger; else tensor.AllFinite's Σ x·0
	{"Ops", testOps},                 // package tensor's composite ops, end to end
}

// harness carries what every kernel test needs: the backend under test, the dtype, and a seeded
// source of inputs. The reference backend is always tensor.CPU.
type harness struct {
	t        *testing.T
	b        tensor.Backend
	dt       tensor.DType
	rng      *tensor.RNG
	float64s bool // whether the backend supports float64 (for Cast)
}

// tol is a tolerance: |got − want| ≤ atol + rtol·scale.
type tol struct{ atol, rtol float64 }

// exact demands bit-identical results (up to the sign of zero).
var exact = tol{}

// pick returns the float32 tolerance or the float64 one for the harness's dtype.
func (h *harness) pick(f32, f64 tol) tol {
	if h.dt == tensor.Float32 {
		return f32
	}
	return f64
}

// round returns v as the harness's dtype can hold it, so that host data uploads exactly.
func (h *harness) round(v []float64) []float64 {
	if h.dt == tensor.Float32 {
		for i := range v {
			v[i] = float64(float32(v[i]))
		}
	}
	return v
}

// normal returns n values from N(mean, std²), representable in the harness's dtype.
func (h *harness) normal(n int, mean, std float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = mean + std*h.rng.NormFloat64()
	}
	return h.round(v)
}

// uniform returns n values from [lo, hi), representable in the harness's dtype.
func (h *harness) uniform(n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*h.rng.Float64()
	}
	return h.round(v)
}

// signed flips the sign of about half of v, in place, and returns it.
func (h *harness) signed(v []float64) []float64 {
	for i := range v {
		if h.rng.IntN(2) == 0 {
			v[i] = -v[i]
		}
	}
	return v
}

// smallInts returns n values from {-2, -1, 0, 1, 2}, so that comparisons meet ties and zeros.
func (h *harness) smallInts(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(h.rng.IntN(5) - 2)
	}
	return v
}

// upload allocates storage on backend be and copies data (as the harness's dtype) into it.
func upload(be tensor.Backend, dt tensor.DType, data []float64) tensor.Storage {
	s := be.Alloc(dt, len(data))
	if dt == tensor.Float32 {
		f := make([]float32, len(data))
		for i, v := range data {
			f[i] = float32(v)
		}
		be.Upload(s, f)
	} else {
		be.Upload(s, slices.Clone(data))
	}
	return s
}

// download returns the contents of s as float64.
func download(be tensor.Backend, s tensor.Storage) []float64 {
	if s.DType() == tensor.Float32 {
		f := make([]float32, s.Len())
		be.Download(f, s)
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	}
	out := make([]float64, s.Len())
	be.Download(out, s)
	return out
}

// pair is the same data uploaded to the reference CPU and to the backend under test.
type pair struct {
	ref, got tensor.Storage
	data     []float64 // what was uploaded
}

func (h *harness) pair(data []float64) pair {
	return pair{upload(tensor.CPU, h.dt, data), upload(h.b, h.dt, data), data}
}

// intact checks that a kernel left its inputs alone, on both backends: a kernel must not use an
// input as scratch space.
func (h *harness) intact(what string, inputs ...pair) {
	h.t.Helper()
	for i, p := range inputs {
		compare(h.t, fmt.Sprintf("%s: input %d afterwards (CPU)", what, i), p.data, download(tensor.CPU, p.ref), exact, nil)
		compare(h.t, fmt.Sprintf("%s: input %d afterwards", what, i), p.data, download(h.b, p.got), exact, nil)
	}
}

// check downloads both sides of p and compares them element by element. scale, when not nil, is
// the magnitude each element's error is measured against (else |want|).
func (h *harness) check(what string, p pair, tl tol, scale []float64) {
	h.t.Helper()
	want, got := download(tensor.CPU, p.ref), download(h.b, p.got)
	compare(h.t, what, want, got, tl, scale)
}

// compare reports the elements of got that are not within tolerance of want (the CPU's result, or
// the data a kernel must have left alone), at most a few.
func compare(t *testing.T, what string, want, got []float64, tl tol, scale []float64) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: got %d elements, want %d", what, len(got), len(want))
		return
	}
	var bad []string
	nbad, worst := 0, 0.0
	for i := range want {
		w, g := want[i], got[i]
		s := math.Abs(w)
		if scale != nil {
			s = scale[i]
		}
		allowed := tl.atol + tl.rtol*s
		diff := math.Abs(g - w)
		if diff <= allowed || (math.IsNaN(w) && math.IsNaN(g)) || g == w {
			continue
		}
		nbad++
		worst = max(worst, diff)
		if len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("[%d] got %.9g, want %.9g (|diff| %.3g > %.3g)", i, g, w, diff, allowed))
		}
	}
	if nbad > 0 {
		t.Errorf("%s: %d of %d elements differ from the reference (worst |diff| %.3g):\n\t%s",
			what, nbad, len(want), worst, strings.Join(bad, "\n\t"))
	}
}

// span is the number of elements a strided view of shape starting at 0 reaches (0 when empty);
// a view with negative strides starts that far into its buffer and reaches back to its start.
func span(shape, strides []int) int {
	if tensor.Numel(shape) == 0 {
		return 0
	}
	last := 0
	for d := range shape {
		last += (shape[d] - 1) * max(strides[d], 0) // a negative stride reaches back into the offset
	}
	return last + 1
}

// absAll returns |v| elementwise.
func absAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Abs(x)
	}
	return out
}
