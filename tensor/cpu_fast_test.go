package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The CPU backend runs some float32 kernels through internal/vec's SIMD loops (which have their own
// tests against their Go twins). These tests check the wiring: every result against the definition,
// bit for bit, on ragged lengths around the 8-lane vector and one long enough to be split across
// goroutines, with NaN, ±0 and infinities mixed in.
var fastPathSizes = []int{0, 1, 7, 8, 9, 15, 16, 17, 33, 100, 2*elementwiseGrain + 13}

func fastPathData(rng *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
		if rng.IntN(10) == 0 {
			xs[i] = special[rng.IntN(len(special))]
		}
	}
	return xs
}

// sameFloat32 is equality of bits, with any NaN matching any NaN.
func sameFloat32(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestFloat32FastPathsMatchDefinitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	unaries := []struct {
		name string
		f    func(*Tensor) *Tensor
		def  func(x float32) float32
	}{
		{"Relu", Relu, func(x float32) float32 { return max(x, 0) }},
		{"LeakyRelu", func(x *Tensor) *Tensor { return LeakyRelu(x, 0.2) }, func(x float32) float32 {
			if x > 0 {
				return x
			}
			return float32(0.2) * x
		}},
	}
	binaries := []struct {
		name string
		f    func(a, b *Tensor) *Tensor
		def  func(a, b float32) float32
	}{
		{"Add", Add, func(a, b float32) float32 { return a + b }},
		{"Sub", Sub, func(a, b float32) float32 { return a - b }},
		{"Mul", Mul, func(a, b float32) float32 { return a * b }},
		{"LeakyReluBackward", func(g, x *Tensor) *Tensor { return LeakyReluBackward(g, x, 0.2) }, func(g, x float32) float32 {
			if x > 0 {
				return g
			}
			return float32(0.2) * g
		}},
	}
	for _, n := range fastPathSizes {
		a, b := fastPathData(rng, n), fastPathData(rng, n)
		ta, tb := FromFloat32(a, n), FromFloat32(b, n)
		for _, op := range unaries {
			got := CPUFloat32s(op.f(ta))
			for i := range got {
				if want := op.def(a[i]); !sameFloat32(got[i], want) {
					t.Fatalf("%s n=%d: f(%v) = %v, want %v", op.name, n, a[i], got[i], want)
				}
			}
		}
		for _, op := range binaries {
			got := CPUFloat32s(op.f(ta, tb))
			for i := range got {
				if want := op.def(a[i], b[i]); !sameFloat32(got[i], want) {
					t.Fatalf("%s n=%d: f(%v, %v) = %v, want %v", op.name, n, a[i], b[i], got[i], want)
				}
			}
		}
		// In place, as gradient accumulation does it.
		acc := ta.Clone()
		AddInPlace(acc, tb)
		for i, v := range CPUFloat32s(acc) {
			if want := a[i] + b[i]; !sameFloat32(v, want) {
				t.Fatalf("AddInPlace n=%d: %v + %v = %v", n, a[i], b[i], v)
			}
		}
	}
}

// Without weight decay the float32 Adam step runs through internal/vec; it must agree with the
// generic loop, which the textbook test checks, to an ulp or two (the compiler may fuse the
// loop's multiply-adds).
func TestFloat32AdamFastPathMatchesLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range fastPathSizes {
		p, g, m := make([]float32, n), make([]float32, n), make([]float32, n)
		v := make([]float32, n)
		for i := range p {
			p[i], g[i], m[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
			v[i] = float32(rng.ExpFloat64())
		}
		h := AdamHyper{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, BiasCorrection1: 0.75, BiasCorrection2: 1 - 0.999*0.999}
		wp, wm, wv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		adamStep(wp, g, wm, wv, h)
		P, M, V := FromFloat32(p, n), FromFloat32(m, n), FromFloat32(v, n)
		AdamStep(P, FromFloat32(g, n), M, V, h)
		for _, c := range []struct {
			name      string
			got, want []float32
		}{{"param", CPUFloat32s(P), wp}, {"m", CPUFloat32s(M), wm}, {"v", CPUFloat32s(V), wv}} {
			for i := range c.got {
				if d := math.Abs(float64(c.got[i] - c.want[i])); d > 2*ulp32(c.want[i]) {
					t.Fatalf("Adam %s n=%d i=%d: %v, loop gives %v", c.name, n, i, c.got[i], c.want[i])
				}
			}
		}
	}
}

func ulp32(x float32) float64 {
	a := float32(math.Abs(float64(x)))
	return float64(math.Nextafter32(a, float32(math.Inf(1))) - a)
}

// The float32 InstanceNorm kernels run through internal/vec; they must agree with the generic
// loops (which the formula and finite-difference tests check) up to the order of their float64
// sums, on planes around the 8-lane vector and its remainders, split across goroutines or not.
func TestFloat32InstanceNormFastPathMatchesLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, size := range []int{1, 7, 8, 9, 17, 1024, 4099} {
		planes := 3
		x, dy := make([]float32, planes*size), make([]float32, planes*size)
		for i := range x {
			x[i], dy[i] = 5+float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		y, mean, rstd := make([]float32, len(x)), make([]float32, planes), make([]float32, planes)
		wy, wmean, wrstd := make([]float32, len(x)), make([]float32, planes), make([]float32, planes)
		CPU.InstanceNormForward(&cpuStorage{dtype: Float32, f32: y}, &cpuStorage{dtype: Float32, f32: mean},
			&cpuStorage{dtype: Float32, f32: rstd}, &cpuStorage{dtype: Float32, f32: x}, planes, size, 1e-5)
		instanceNormForward(wy, wmean, wrstd, x, planes, size, 1e-5)
		dx, wdx := make([]float32, len(x)), make([]float32, len(x))
		CPU.InstanceNormBackward(&cpuStorage{dtype: Float32, f32: dx}, &cpuStorage{dtype: Float32, f32: dy},
			&cpuStorage{dtype: Float32, f32: x}, &cpuStorage{dtype: Float32, f32: mean}, &cpuStorage{dtype: Float32, f32: rstd}, planes, size)
		instanceNormBackward(wdx, dy, x, wmean, wrstd, planes, size)
		for _, c := range []struct {
			name      string
			got, want []float32
		}{{"y", y, wy}, {"mean", mean, wmean}, {"rstd", rstd, wrstd}, {"dx", dx, wdx}} {
			for i := range c.got {
				if d := math.Abs(float64(c.got[i] - c.want[i])); d > 1e-6+2*ulp32(c.want[i]) {
					t.Fatalf("InstanceNorm %s size=%d i=%d: %v, loop gives %v", c.name, size, i, c.got[i], c.want[i])
				}
			}
		}
	}
}

// Stride-2 im2col and col2im rows go through internal/vec in float32: im2col must equal the
// float64 kernel's columns exactly (it only moves values), col2im its sums to float32 rounding.
// Widths from a few pixels to several vectors, padded or not, cover the SIMD loop and remainder.
func TestFloat32Stride2ConvMatchesFloat64(t *testing.T) {
	rng := NewRNG(7)
	for _, g := range []ConvGeom{
		NewConvGeom(1, 2, 9, 41, 3, 3, 2, 2, 1, 1, 1, 1),
		NewConvGeom(2, 3, 8, 64, 4, 4, 2, 2, 1, 1, 1, 1),
		NewConvGeom(1, 2, 7, 37, 3, 3, 2, 2, 0, 0, 1, 1),
		NewConvGeom(1, 1, 5, 6, 3, 2, 1, 2, 1, 0, 1, 1),
	} {
		x := Normal(rng, Float32, 0, 1, g.N, g.C, g.H, g.W)
		got := Im2col(x, g).Float64s()
		want := Im2col(Cast(x, Float64), g).Float64s()
		checkClose(t, "float32 stride-2 im2col", got, want, tolerance{})
		cols := Normal(rng, Float32, 0, 1, g.N, g.C*g.KH*g.KW, g.OH*g.OW)
		gotX := Col2im(cols, g).Float64s()
		wantX := Col2im(Cast(cols, Float64), g).Float64s()
		checkClose(t, "float32 stride-2 col2im", gotX, wantX, tolerance{atol: 1e-5, rtol: 1e-5})
	}
}

// A float32 sum over a contiguous run (a whole plane or tensor) goes through vec.Sum64: it must
// agree with reduceRun's front-to-back float64 sum up to the order of the float64 additions,
// and so to float32 rounding of that sum, with NaN and infinities where the loop has them; runs
// around the 8-lane vector and its remainders, one output and many, split across goroutines or
// not.
func TestFloat32ContiguousSumMatchesLoop(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, mid := range fastPathSizes[1:] {
		for _, outer := range []int{1, 3, 2*elementwiseGrain/mid + 1} {
			x := fastPathData(rng, outer*mid)
			if outer > 1 {
				// Finite planes beside the special values, so that the rounding is tested too.
				for i := range x[:mid] {
					x[i] = float32(rng.NormFloat64())
				}
			}
			got := make([]float32, outer)
			CPU.Reduce(ReduceSum, &cpuStorage{dtype: Float32, f32: got}, &cpuStorage{dtype: Float32, f32: x}, outer, mid, 1)
			for o := range got {
				run := x[o*mid : (o+1)*mid]
				loop := reduceRun(ReduceSum, run)
				var abs float64
				for _, v := range run {
					abs += math.Abs(float64(v))
				}
				want := float32(loop)
				if math.IsNaN(loop) || math.IsInf(loop, 0) {
					if !sameFloat32(got[o], want) {
						t.Fatalf("sum of %d (output %d of %d): %v, loop gives %v", mid, o, outer, got[o], want)
					}
					continue
				}
				// Both orders are within mid roundings of float64 of the exact sum; then float32.
				if d := math.Abs(float64(got[o]) - loop); d > ulp32(want)+2*float64(mid)*0x1p-53*abs {
					t.Fatalf("sum of %d (output %d of %d): %v, loop gives %v", mid, o, outer, got[o], loop)
				}
			}
		}
	}
}
