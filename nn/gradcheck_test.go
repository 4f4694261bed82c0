package nn

import (
	"fmt"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// Every layer and loss is grad-checked in float64 through its Module (or function) API, with its
// input and every parameter as checked inputs. The tolerances are ten times tighter than
// torch.autograd.gradcheck's defaults (atol 1e-5, rtol 1e-3), which these smooth or piecewise
// linear functions meet with a wide margin; Fast (one random projection per input) is used only
// where the full Jacobian would make the test slow.
var gradCheckOptions = autograd.GradCheckOptions{Atol: 1e-6, Rtol: 1e-4, Seed: 3}

func randn(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	return tensor.Normal(rng, tensor.Float64, 0, 1, shape...)
}

// bind points a layer's parameters at GradCheck's leaves xs (in NamedParameters order), so that
// the gradients GradCheck reads are the layer's.
func bind(m Module, xs []*autograd.Var) {
	switch l := m.(type) {
	case *Conv2d:
		l.Weight = xs[0]
		if l.Bias != nil {
			l.Bias = xs[1]
		}
	case *ConvTranspose2d:
		l.Weight = xs[0]
		if l.Bias != nil {
			l.Bias = xs[1]
		}
	case *InstanceNorm2d:
		if l.Weight != nil {
			l.Weight, l.Bias = xs[0], xs[1]
		}
	default:
		if len(xs) > 0 {
			panic(fmt.Sprintf("bind: %T has no parameters to bind", m))
		}
	}
}

// gradCheckModule checks m (cast to float64) with respect to an input of the given shape and all
// of m's parameters, whose current values are the point of the check.
func gradCheckModule(t *testing.T, name string, m Module, rng *tensor.RNG, xShape []int, fast bool) {
	t.Helper()
	Cast(m, tensor.Float64)
	inputs := []*tensor.Tensor{randn(rng, xShape...)}
	for _, p := range Parameters(m) {
		// Fresh random values: a default-initialized bias or an affine weight of ones would not
		// catch a backward that mixes up channels.
		inputs = append(inputs, randn(rng, p.Shape()...))
	}
	f := func(xs []*autograd.Var) *autograd.Var {
		bind(m, xs[1:])
		return m.Forward(xs[0])
	}
	opts := gradCheckOptions
	opts.Fast = fast
	res, err := autograd.GradCheck(f, inputs, opts)
	if err != nil {
		t.Errorf("%s: %v", name, err)
	} else if res.Entries == 0 {
		t.Errorf("%s: nothing compared", name)
	}
}

func TestConv2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(1)
	cases := []struct {
		name    string
		in, out int
		k       int
		o       Conv2dOptions
		x       []int
		fast    bool
	}{
		{"3x3 stride1 odd batch1", 2, 3, 3, Conv2dOptions{}, []int{1, 2, 5, 5}, false},
		{"3x3 stride2 pad1 even batch3", 2, 2, 3, Conv2dOptions{Stride: 2, Padding: 1}, []int{3, 2, 6, 4}, false},
		{"3x3 dilation2 pad2 nobias", 2, 3, 3, Conv2dOptions{Padding: 2, Dilation: 2, NoBias: true}, []int{1, 2, 6, 5}, false},
		{"4x4 stride2 pad1", 3, 2, 4, Conv2dOptions{Stride: 2, Padding: 1}, []int{1, 3, 6, 6}, false},
		{"1x1 batch3", 3, 2, 1, Conv2dOptions{}, []int{3, 3, 2, 3}, false},
		{"7x7 fast", 3, 4, 7, Conv2dOptions{Padding: 3}, []int{3, 3, 9, 8}, true},
	}
	for _, c := range cases {
		gradCheckModule(t, c.name, NewConv2d(rng, c.in, c.out, c.k, c.o), rng, c.x, c.fast)
	}
}

func TestConvTranspose2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(2)
	cases := []struct {
		name    string
		in, out int
		k       int
		o       ConvTranspose2dOptions
		x       []int
		fast    bool
	}{
		{"3x3 stride2 pad1 outpad1", 2, 3, 3, ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}, []int{1, 2, 3, 4}, false},
		{"3x3 stride1 batch3 nobias", 2, 2, 3, ConvTranspose2dOptions{NoBias: true}, []int{3, 2, 3, 3}, false},
		{"dilation2 outpad1", 2, 2, 3, ConvTranspose2dOptions{Padding: 1, OutputPadding: 1, Dilation: 2}, []int{1, 2, 4, 3}, false},
		{"4x4 stride2 even", 3, 2, 4, ConvTranspose2dOptions{Stride: 2, Padding: 1}, []int{1, 3, 2, 4}, false},
		{"3x3 stride2 batch3 fast", 4, 3, 3, ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}, []int{3, 4, 5, 6}, true},
	}
	for _, c := range cases {
		gradCheckModule(t, c.name, NewConvTranspose2d(rng, c.in, c.out, c.k, c.o), rng, c.x, c.fast)
	}
}

func TestInstanceNorm2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(3)
	for _, affine := range []bool{false, true} {
		for _, x := range [][]int{{1, 2, 3, 4}, {3, 2, 3, 3}, {2, 5, 3}} {
			name := fmt.Sprintf("affine=%v %v", affine, x)
			gradCheckModule(t, name, NewInstanceNorm2d(x[len(x)-3], InstanceNorm2dOptions{Affine: affine}), rng, x, false)
		}
	}
}

func TestReflectionPad2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(4)
	gradCheckModule(t, "pad1", NewReflectionPad2d(1), rng, []int{1, 2, 3, 3}, false)
	gradCheckModule(t, "pad3 batch3", NewReflectionPad2d(3), rng, []int{3, 1, 4, 5}, false)
	gradCheckModule(t, "asymmetric", &ReflectionPad2d{Pad: tensor.Pad2d{Left: 2, Right: 0, Top: 1, Bottom: 3}}, rng, []int{2, 2, 4, 3}, false)
}

func TestActivationsGradCheck(t *testing.T) {
	rng := tensor.NewRNG(5)
	for _, m := range []Module{NewReLU(), NewLeakyReLU(DefaultNegativeSlope), NewLeakyReLU(0.2), NewTanh(), NewSigmoid(), NewIdentity()} {
		gradCheckModule(t, fmt.Sprint(m), m, rng, []int{2, 3, 4}, false)
	}
}

// Dropout's mask is random, so each evaluation builds the layer from the same seed: the check then
// differentiates one fixed mask, which is what a single training step does.
func TestDropoutGradCheck(t *testing.T) {
	x := randn(tensor.NewRNG(6), 4, 5)
	f := func(xs []*autograd.Var) *autograd.Var { return NewDropout(0.3, tensor.NewRNG(7)).Forward(xs[0]) }
	if _, err := autograd.GradCheck(f, []*tensor.Tensor{x}, gradCheckOptions); err != nil {
		t.Error(err)
	}
}

// A CycleGAN residual block's body, through Sequential.
func TestSequentialGradCheck(t *testing.T) {
	rng := tensor.NewRNG(8)
	seq := NewSequential(NewReflectionPad2d(1), NewConv2d(rng, 2, 2, 3, Conv2dOptions{}), NewInstanceNorm2d(2, InstanceNorm2dOptions{}), NewReLU())
	Cast(seq, tensor.Float64)
	x := randn(rng, 1, 2, 4, 4)
	w, b := seq.Layers[1].(*Conv2d).Weight.Value, seq.Layers[1].(*Conv2d).Bias.Value
	f := func(xs []*autograd.Var) *autograd.Var {
		bind(seq.Layers[1], xs[1:])
		return seq.Forward(xs[0])
	}
	if _, err := autograd.GradCheck(f, []*tensor.Tensor{x, w, b}, gradCheckOptions); err != nil {
		t.Error(err)
	}
}

func TestLossesGradCheck(t *testing.T) {
	rng := tensor.NewRNG(9)
	for name, loss := range lossFuncs {
		for _, r := range []Reduction{ReductionMean, ReductionSum, ReductionNone} {
			input := randn(rng, 2, 3, 4)
			target := randn(rng, 2, 3, 4)
			if name == "bce_with_logits" {
				target = tensor.Uniform(rng, tensor.Float64, 0, 1, 2, 3, 4)
			}
			f := func(xs []*autograd.Var) *autograd.Var { return loss(xs[0], xs[1], r) }
			if _, err := autograd.GradCheck(f, []*tensor.Tensor{input, target}, gradCheckOptions); err != nil {
				t.Errorf("%s/%s: %v", name, r, err)
			}
		}
	}
	// A target broadcast from one value, as CycleGAN's "real" label.
	f := func(xs []*autograd.Var) *autograd.Var { return MSELoss(xs[0], xs[1], ReductionMean) }
	if _, err := autograd.GradCheck(f, []*tensor.Tensor{randn(rng, 1, 1, 3, 3), randn(rng, 1)}, gradCheckOptions); err != nil {
		t.Errorf("mse with a broadcast target: %v", err)
	}
}
