package nn

import (
	"math"
	"slices"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// meanStd returns the sample mean and standard deviation.
func meanStd(xs []float64) (float64, float64) {
	var s, sq float64
	for _, v := range xs {
		s += v
	}
	m := s / float64(len(xs))
	for _, v := range xs {
		sq += (v - m) * (v - m)
	}
	return m, math.Sqrt(sq / float64(len(xs)))
}

// With n = 40000 draws, the sample mean is within 5 standard errors (5σ/√n = σ/40) of the true
// mean with probability 1 − 6e-7, and the sample std within a few percent of σ; the generator is
// seeded, so the test is deterministic and these bounds only say it is not fragile.
func TestInitNormalAndUniformStatistics(t *testing.T) {
	rng := tensor.NewRNG(1)
	w := tensor.Zeros(tensor.Float32, 200, 200)
	InitNormal(w, rng, 0.5, 0.02)
	if m, s := meanStd(w.Float64s()); math.Abs(m-0.5) > 0.02/40 || math.Abs(s-0.02) > 0.02*0.03 {
		t.Errorf("Normal(0.5, 0.02): mean %g, std %g", m, s)
	}
	InitUniform(w, rng, -3, 1)
	xs := w.Float64s()
	if lo, hi := slices.Min(xs), slices.Max(xs); lo < -3 || hi >= 1 || lo > -2.99 || hi < 0.99 {
		t.Errorf("Uniform(-3, 1): range [%g, %g]", lo, hi)
	}
	// U(a, b) has mean (a+b)/2 and std (b−a)/√12.
	if m, s := meanStd(xs); math.Abs(m+1) > 4/math.Sqrt(12)/40 || math.Abs(s-4/math.Sqrt(12)) > 0.03 {
		t.Errorf("Uniform(-3, 1): mean %g, std %g", m, s)
	}
	InitConstant(w, 2.5)
	InitZeros(w.Clone()) // a clone: w keeps its constant
	if slices.Min(w.Float64s()) != 2.5 || slices.Max(w.Float64s()) != 2.5 {
		t.Error("InitConstant")
	}
	InitZeros(w)
	if maxAbs(w) != 0 {
		t.Error("InitZeros")
	}
}

func TestInitIsReproducible(t *testing.T) {
	a, b := tensor.Zeros(tensor.Float64, 50), tensor.Zeros(tensor.Float64, 50)
	InitNormal(a, tensor.NewRNG(42), 0, 1)
	InitNormal(b, tensor.NewRNG(42), 0, 1)
	if !slices.Equal(a.Float64s(), b.Float64s()) {
		t.Error("the same seed gave different draws")
	}
	InitNormal(b, tensor.NewRNG(43), 0, 1)
	if slices.Equal(a.Float64s(), b.Float64s()) {
		t.Error("different seeds gave the same draws")
	}
}

func TestFanIn(t *testing.T) {
	if got := FanIn(tensor.Zeros(tensor.Float32, 64, 3, 7, 7)); got != 147 {
		t.Errorf("Conv2d weight [64 3 7 7]: fan_in %d, want 3·7·7 = 147", got)
	}
	// PyTorch's formula reads dimension 1, which is the output channels of a ConvTranspose2d weight.
	if got := FanIn(tensor.Zeros(tensor.Float32, 256, 128, 3, 3)); got != 1152 {
		t.Errorf("ConvTranspose2d weight [256 128 3 3]: fan_in %d, want 128·3·3 = 1152", got)
	}
	expectPanic(t, func() { FanIn(tensor.Zeros(tensor.Float32, 5)) }, "nn.FanIn", "[5]")
}

// PyTorch's default: weight and bias both uniform on ±1/√fan_in (kaiming_uniform_ with a = √5
// works out to that bound for the weight).
func TestDefaultConvInitBounds(t *testing.T) {
	rng := tensor.NewRNG(2)
	check := func(name string, w, b *tensor.Tensor, fanIn int) {
		bound := 1 / math.Sqrt(float64(fanIn))
		for _, p := range []*tensor.Tensor{w, b} {
			xs := p.Float64s()
			lo, hi := slices.Min(xs), slices.Max(xs)
			// Every draw within the bound, and enough draws to reach close to both ends.
			if lo < -bound || hi > bound || (len(xs) > 1000 && (lo > -0.99*bound || hi < 0.99*bound)) {
				t.Errorf("%s %v: range [%g, %g], want within ±%g", name, p.Shape(), lo, hi, bound)
			}
			if len(xs) > 1000 {
				if _, s := meanStd(xs); math.Abs(s-bound/math.Sqrt(3)) > 0.03*bound {
					t.Errorf("%s: std %g, want %g", name, s, bound/math.Sqrt(3))
				}
			}
		}
	}
	c := NewConv2d(rng, 16, 32, 3, Conv2dOptions{})
	check("Conv2d", c.Weight.Value, c.Bias.Value, 16*9)
	ct := NewConvTranspose2d(rng, 32, 8, 4, ConvTranspose2dOptions{Stride: 2})
	check("ConvTranspose2d", ct.Weight.Value, ct.Bias.Value, 8*16)
}

// TestLinearInitAndKeys: PyTorch's defaults, U(±1/√in) for the weight [out, in] and the bias, and
// its state_dict keys.
func TestLinearInitAndKeys(t *testing.T) {
	rng := tensor.NewRNG(3)
	l := NewLinear(rng, 50, 40, LinearOptions{})
	bound := 1 / math.Sqrt(50)
	for _, p := range Parameters(l) {
		xs := p.Value.Float64s()
		// Every draw within the bound; the 2000 of the weight reach close to both ends.
		if lo, hi := slices.Min(xs), slices.Max(xs); lo < -bound || hi > bound || (len(xs) > 1000 && (lo > -0.99*bound || hi < 0.99*bound)) {
			t.Errorf("%v: range [%g, %g], want within ±%g and close to both ends", p.Shape(), lo, hi, bound)
		}
	}
	if _, s := meanStd(l.Weight.Value.Float64s()); math.Abs(s-bound/math.Sqrt(3)) > 0.03*bound {
		t.Errorf("weight std %g, want %g", s, bound/math.Sqrt(3))
	}
	if !slices.Equal(l.Weight.Shape(), []int{40, 50}) || !slices.Equal(l.Bias.Shape(), []int{40}) {
		t.Errorf("weight %v, bias %v", l.Weight.Shape(), l.Bias.Shape())
	}
	var keys []string
	for _, np := range l.NamedParameters() {
		keys = append(keys, np.Name)
	}
	if !slices.Equal(keys, []string{"weight", "bias"}) || len(NewLinear(rng, 2, 3, LinearOptions{NoBias: true}).NamedParameters()) != 1 {
		t.Errorf("keys %q", keys)
	}
}
