package nn

import (
	"math"
	"slices"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

func maxAbs(t *tensor.Tensor) float64 {
	m := 0.0
	for _, v := range t.Float64s() {
		m = max(m, math.Abs(v))
	}
	return m
}

// CycleGAN puts an InstanceNorm after every biased convolution. The normalization subtracts each
// plane's mean, so a per-channel constant such as the bias cannot change the output: the bias's
// gradient must vanish (up to rounding), while the weight's does not.
func TestConvBiasBeforeInstanceNormGetsNoGradient(t *testing.T) {
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		rng := tensor.NewRNG(1)
		conv := NewConv2d(rng, 3, 4, 3, Conv2dOptions{Stride: 2, Padding: 1})
		InitUniform(conv.Bias.Value, rng, -1, 1) // a bias far from 0
		Cast(conv, dt)
		model := NewSequential(conv, NewInstanceNorm2d(4, InstanceNorm2dOptions{}), NewReLU())
		x := autograd.Constant(tensor.Cast(tensor.Normal(rng, tensor.Float64, 0, 1, 2, 3, 8, 8), dt))
		target := autograd.Constant(tensor.Cast(tensor.Normal(rng, tensor.Float64, 0, 1, 2, 4, 4, 4), dt))
		MSELoss(model.Forward(x), target, ReductionMean).Backward()
		bias, weight := maxAbs(conv.Bias.Grad), maxAbs(conv.Weight.Grad)
		limit := 1e-6 // float32: the sum of 32 rounded gradients per plane
		if dt == tensor.Float64 {
			limit = 1e-15
		}
		if bias > limit || weight < 1e-3 {
			t.Errorf("%s: |bias grad| ≤ %.3g (want ≤ %g), |weight grad| ≤ %.3g (want a real gradient)", dt, bias, limit, weight)
		}
	}
}

func TestReflectionPad2dTooLargeIsRefused(t *testing.T) {
	x := autograd.Constant(tensor.Zeros(tensor.Float32, 1, 3, 3, 8))
	expectPanic(t, func() { NewReflectionPad2d(3).Forward(x) }, "ReflectPad2d", "(3, 3, 3, 3)", "3x8")
	expectPanic(t, func() { NewReflectionPad2d(-1) }, "nn.NewReflectionPad2d", "-1")
	if got := NewReflectionPad2d(2).Forward(x).Shape(); !slices.Equal(got, []int{1, 3, 7, 12}) {
		t.Errorf("pad 2 of [1 3 3 8]: %v", got)
	}
}

// The output-size formulas of the Shape lines, on CycleGAN's 256×256 generator and 70×70
// discriminator geometry (computed without running the convolutions' arithmetic at full size:
// one channel in, one out).
func TestOutputShapesOfCycleGANLayers(t *testing.T) {
	rng := tensor.NewRNG(2)
	shape := func(m Module, in ...int) []int {
		RequiresGrad(m, false) // a forward without a graph
		return m.Forward(autograd.Constant(tensor.Zeros(tensor.Float32, in...))).Shape()
	}
	for _, c := range []struct {
		name string
		m    Module
		in   []int
		want []int
	}{
		{"reflection pad 3", NewReflectionPad2d(3), []int{1, 1, 256, 256}, []int{1, 1, 262, 262}},
		{"c7s1", NewConv2d(rng, 1, 1, 7, Conv2dOptions{}), []int{1, 1, 262, 262}, []int{1, 1, 256, 256}},
		{"d128", NewConv2d(rng, 1, 1, 3, Conv2dOptions{Stride: 2, Padding: 1}), []int{1, 1, 256, 256}, []int{1, 1, 128, 128}},
		{"u128", NewConvTranspose2d(rng, 1, 1, 3, ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}), []int{1, 1, 64, 64}, []int{1, 1, 128, 128}},
		{"C64", NewConv2d(rng, 1, 1, 4, Conv2dOptions{Stride: 2, Padding: 1}), []int{1, 1, 256, 256}, []int{1, 1, 128, 128}},
		{"C512 stride1", NewConv2d(rng, 1, 1, 4, Conv2dOptions{Padding: 1}), []int{1, 1, 32, 32}, []int{1, 1, 31, 31}},
		{"patch output", NewConv2d(rng, 1, 1, 4, Conv2dOptions{Padding: 1}), []int{1, 1, 31, 31}, []int{1, 1, 30, 30}},
	} {
		if got := shape(c.m, c.in...); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v -> %v, want %v", c.name, c.in, got, c.want)
		}
	}
}

func TestConstructorsRefuseBadSettings(t *testing.T) {
	rng := tensor.NewRNG(3)
	expectPanic(t, func() { NewConv2d(rng, 0, 4, 3, Conv2dOptions{}) }, "nn.NewConv2d", "channels 0 -> 4")
	expectPanic(t, func() { NewConv2d(rng, 3, 4, 3, Conv2dOptions{Padding: -1}) }, "nn.NewConv2d", "padding -1")
	expectPanic(t, func() { NewConvTranspose2d(rng, 3, 4, 3, ConvTranspose2dOptions{Stride: 2, OutputPadding: 2}) },
		"nn.NewConvTranspose2d", "output padding 2", "stride 2")
	expectPanic(t, func() { NewInstanceNorm2d(0, InstanceNorm2dOptions{}) }, "nn.NewInstanceNorm2d", "0 features")
	expectPanic(t, func() { NewDropout(1.5, rng) }, "nn.NewDropout", "1.5")
	norm := NewInstanceNorm2d(4, InstanceNorm2dOptions{Affine: true})
	expectPanic(t, func() { norm.Forward(autograd.Constant(tensor.Zeros(tensor.Float32, 1, 3, 4, 4))) },
		"nn.InstanceNorm2d", "[1 3 4 4]", "3 channels", "has 4")
}

func TestDefaultsArePyTorchs(t *testing.T) {
	rng := tensor.NewRNG(4)
	norm := NewInstanceNorm2d(3, InstanceNorm2dOptions{})
	if norm.Eps != 1e-5 || norm.Weight != nil || norm.Bias != nil || len(Parameters(norm)) != 0 {
		t.Errorf("InstanceNorm2d defaults: eps %g, affine parameters %v", norm.Eps, Parameters(norm))
	}
	affine := NewInstanceNorm2d(3, InstanceNorm2dOptions{Affine: true, Eps: 1e-3})
	if affine.Eps != 1e-3 || !slices.Equal(affine.Weight.Value.Float32s(), []float32{1, 1, 1}) || maxAbs(affine.Bias.Value) != 0 {
		t.Errorf("affine InstanceNorm2d: eps %g, weight %v, bias %v", affine.Eps, affine.Weight.Value, affine.Bias.Value)
	}
	conv := NewConv2d(rng, 3, 8, 5, Conv2dOptions{})
	if conv.Options != (autograd.Conv2dOptions{Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}}) || conv.Bias == nil {
		t.Errorf("Conv2d defaults: %+v, bias %v", conv.Options, conv.Bias)
	}
	if conv.Weight.DType() != tensor.Float32 || conv.Weight.Value.Backend() != tensor.CPU {
		t.Errorf("parameters are %s on %s, want float32 on the CPU", conv.Weight.DType(), conv.Weight.Value.Backend().Name())
	}
	if DefaultNegativeSlope != 0.01 || DefaultDropoutP != 0.5 {
		t.Error("PyTorch's LeakyReLU slope is 0.01 and its dropout probability 0.5")
	}
	var r Reduction
	if r != ReductionMean {
		t.Error("the zero Reduction must be the mean, PyTorch's default")
	}
}

func TestLossesRefuseMismatchedTargets(t *testing.T) {
	in := autograd.Constant(tensor.Zeros(tensor.Float32, 2, 3))
	expectPanic(t, func() { MSELoss(in, autograd.Constant(tensor.Zeros(tensor.Float32, 3, 3)), ReductionMean) },
		"nn.MSELoss", "[3 3]", "[2 3]")
	expectPanic(t, func() { L1Loss(in, autograd.Constant(tensor.Zeros(tensor.Float32, 1, 2, 3)), ReductionSum) },
		"nn.L1Loss", "[1 2 3]")
	expectPanic(t, func() { BCEWithLogitsLoss(in, autograd.Constant(tensor.Zeros(tensor.Float64, 2, 3)), ReductionNone) },
		"nn.BCEWithLogitsLoss", "float64")
	expectPanic(t, func() { MSELoss(in, in, Reduction(7)) }, "reduction", "7")
	if got := MSELoss(in, autograd.Constant(tensor.Scalar(tensor.Float32, 1)), ReductionNone).Shape(); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("none with a scalar target: shape %v, want the input's", got)
	}
}

// The stable form of BCEWithLogitsLoss stays finite and exact where the textbook formula
// −y·log σ(x) − (1−y)·log(1−σ(x)) overflows or rounds to log(0) in float32.
func TestBCEWithLogitsLossIsStable(t *testing.T) {
	x := autograd.Constant(tensor.FromFloat32([]float32{200, -200, 100, -100}, 4))
	y := autograd.Constant(tensor.FromFloat32([]float32{0, 1, 1, 0}, 4))
	got := BCEWithLogitsLoss(x, y, ReductionNone).Value.Float32s()
	want := []float32{200, 200, 0, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("element %d: %g, want %g", i, got[i], want[i])
		}
	}
}

// TestConvWithoutRNGIsZero: a nil rng leaves a convolution's parameters zero (to be loaded), with
// their shapes and gradients as usual; an rng draws them.
func TestConvWithoutRNGIsZero(t *testing.T) {
	for name, params := range map[string]func(rng *tensor.RNG) []*autograd.Var{
		"Conv2d": func(rng *tensor.RNG) []*autograd.Var { return Parameters(NewConv2d(rng, 3, 4, 3, Conv2dOptions{})) },
		"ConvTranspose2d": func(rng *tensor.RNG) []*autograd.Var {
			return Parameters(NewConvTranspose2d(rng, 3, 4, 3, ConvTranspose2dOptions{}))
		},
	} {
		zero, drawn := params(nil), params(tensor.NewRNG(5))
		if len(zero) != 2 || len(drawn) != 2 {
			t.Fatalf("%s: %d and %d parameters, want weight and bias", name, len(zero), len(drawn))
		}
		for i := range zero {
			if !zero[i].RequiresGrad() || !slices.Equal(zero[i].Shape(), drawn[i].Shape()) {
				t.Errorf("%s parameter %d: shape %v, requires grad %v; want %v and true", name, i, zero[i].Shape(), zero[i].RequiresGrad(), drawn[i].Shape())
			}
			if slices.ContainsFunc(zero[i].Value.Float32s(), func(v float32) bool { return v != 0 }) {
				t.Errorf("%s parameter %d is not zero without an rng", name, i)
			}
			if !slices.ContainsFunc(drawn[i].Value.Float32s(), func(v float32) bool { return v != 0 }) {
				t.Errorf("%s parameter %d is all zero with an rng", name, i)
			}
		}
	}
}

func TestLinearAndFlattenRefuseBadShapes(t *testing.T) {
	x := autograd.Constant(tensor.Zeros(tensor.Float32, 2, 3))
	expectPanic(t, func() { NewLinear(nil, 4, 2, LinearOptions{}).Forward(x) }, "nn.Linear", "[2 3]", "4")
	expectPanic(t, func() { NewLinear(nil, 0, 2, LinearOptions{}) }, "nn.NewLinear", "0")
	expectPanic(t, func() { (&Flatten{StartDim: 2, EndDim: -1}).Forward(x) }, "nn.Flatten", "[2 3]")
	if got := NewFlatten().Forward(autograd.Constant(tensor.Zeros(tensor.Float32, 2, 3, 4, 5))).Shape(); !slices.Equal(got, []int{2, 60}) {
		t.Errorf("Flatten of [2 3 4 5]: %v", got)
	}
	if got := NewLinear(nil, 3, 5, LinearOptions{}).Forward(autograd.Constant(tensor.Zeros(tensor.Float32, 4, 2, 3))).Shape(); !slices.Equal(got, []int{4, 2, 5}) {
		t.Errorf("Linear 3→5 of [4 2 3]: %v", got)
	}
}

// PadConv finds a ReflectionPad2d directly followed by a Conv2d, and nothing else.
func TestPadConv(t *testing.T) {
	rng := tensor.NewRNG(3)
	pad, conv, relu := NewReflectionPad2d(1), NewConv2d(rng, 2, 2, 3, Conv2dOptions{}), NewReLU()
	layers := []Module{pad, conv, relu, pad, relu, conv, pad}
	for i, want := range []bool{true, false, false, false, false, false, false, false} {
		p, c, ok := PadConv(layers, i)
		if ok != want || (ok && (p != pad || c != conv)) {
			t.Errorf("PadConv at %d: %v, %v, %v; want a pair %v", i, p, c, ok, want)
		}
	}
	if _, _, ok := PadConv(layers, -1); ok {
		t.Error("PadConv at -1 found a pair")
	}
}
