package gradtest

import (
	"fmt"
	"strings"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// The layer table: the nn layers and losses, each in several configurations, checked through the
// nn API with respect to the input and every parameter. Parameter values are drawn fresh: a
// default-initialized bias or an affine weight of ones would hide a backward that mixes up
// channels. Names are PyTorch's module names, to tell them from the autograd ops of ops.go. Shapes
// stay small: the full Jacobian of a convolution costs one backward per output element.

// registerLayer registers a check of the layer that newLayer makes, on an input of shape x.
func registerLayer(name string, newLayer func(rng *tensor.RNG) nn.Module, x []int, d draw, fast bool) {
	shapes := []string{shapeList(x)}
	for _, np := range newLayer(tensor.NewRNG(0)).NamedParameters() {
		shapes = append(shapes, np.Name+shapeList(np.Param.Shape()))
	}
	Register(Case{
		Name:   name,
		Shapes: strings.Join(shapes, " "),
		Fast:   fast,
		Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
			m := newLayer(rng)
			for _, p := range nn.Parameters(m) {
				p.Value = Normal(rng, p.Shape()...)
			}
			return Module(m, d(rng, x...))
		},
	})
}

func init() {
	registerConvs()
	norm := func(c int, affine bool) func(*tensor.RNG) nn.Module {
		return func(*tensor.RNG) nn.Module { return nn.NewInstanceNorm2d(c, nn.InstanceNorm2dOptions{Affine: affine}) }
	}
	module := func(m nn.Module) func(*tensor.RNG) nn.Module { return func(*tensor.RNG) nn.Module { return m } }

	layers := []layerCase{
		{"InstanceNorm2d/plain", norm(2, false), []int{1, 2, 3, 4}, Normal, false},
		{"InstanceNorm2d/plain_batch3", norm(2, false), []int{3, 2, 3, 3}, Normal, false},
		{"InstanceNorm2d/affine", norm(2, true), []int{2, 2, 3, 3}, Normal, false},
		{"InstanceNorm2d/affine_3d", norm(3, true), []int{3, 4, 3}, Normal, false},

		{"ReflectionPad2d/1", module(nn.NewReflectionPad2d(1)), []int{1, 2, 3, 3}, Normal, false},
		{"ReflectionPad2d/3_batch3", module(nn.NewReflectionPad2d(3)), []int{3, 1, 4, 5}, Normal, false},
		{"ReflectionPad2d/asymmetric", module(&nn.ReflectionPad2d{Pad: tensor.Pad2d{Left: 2, Right: 0, Top: 1, Bottom: 3}}), []int{2, 2, 4, 3}, Normal, false},

		{"ReLU", module(nn.NewReLU()), []int{3, 4}, AwayFromZero, false},
		{"LeakyReLU/0.01", module(nn.NewLeakyReLU(nn.DefaultNegativeSlope)), []int{3, 4}, AwayFromZero, false},
		{"LeakyReLU/0.2", module(nn.NewLeakyReLU(0.2)), []int{2, 3, 2}, AwayFromZero, false},
		{"Tanh", module(nn.NewTanh()), []int{3, 4}, Normal, false},
		{"Sigmoid", module(nn.NewSigmoid()), []int{3, 4}, Normal, false},
		{"Identity", module(nn.NewIdentity()), []int{3, 4}, Normal, false},

		{"Linear", func(rng *tensor.RNG) nn.Module { return nn.NewLinear(rng, 4, 3, nn.LinearOptions{}) }, []int{5, 4}, Normal, false},
		{"Linear/leading_dims_nobias", func(rng *tensor.RNG) nn.Module { return nn.NewLinear(rng, 3, 2, nn.LinearOptions{NoBias: true}) }, []int{2, 3, 3}, Normal, false},
		{"Flatten", module(nn.NewFlatten()), []int{2, 3, 2, 2}, Normal, false},
		{"Flatten/middle", module(&nn.Flatten{StartDim: 1, EndDim: 2}), []int{2, 3, 2, 2}, Normal, false},

		// A CycleGAN residual block's body, through Sequential.
		{"Sequential/resnet_block_body", func(rng *tensor.RNG) nn.Module {
			return nn.NewSequential(nn.NewReflectionPad2d(1), nn.NewConv2d(rng, 2, 2, 3, nn.Conv2dOptions{}),
				nn.NewInstanceNorm2d(2, nn.InstanceNorm2dOptions{}), nn.NewReLU())
		}, []int{1, 2, 4, 4}, Normal, false},
		// Sequential runs a pad followed by a convolution as autograd.ReflectionPad2dConv2d.
		{"Sequential/reflection_pad3_conv7", func(rng *tensor.RNG) nn.Module {
			return nn.NewSequential(nn.NewReflectionPad2d(3), nn.NewConv2d(rng, 2, 3, 7, nn.Conv2dOptions{}))
		}, []int{2, 2, 4, 5}, Normal, true},
		{"Sequential/reflection_pad_asymmetric_conv_stride2_nobias", func(rng *tensor.RNG) nn.Module {
			return nn.NewSequential(&nn.ReflectionPad2d{Pad: tensor.Pad2d{Left: 2, Right: 0, Top: 1, Bottom: 2}},
				nn.NewConv2d(rng, 2, 2, 3, nn.Conv2dOptions{Stride: 2, Padding: 1, NoBias: true}))
		}, []int{1, 2, 5, 4}, Normal, false},
	}
	for _, l := range layers {
		registerLayer(l.name, l.layer, l.x, l.draw, l.fast)
	}
	registerDropoutAndLosses()
}

// layerCase is one row of the layer table: a name, how to make the layer, the input's shape and
// draw, and whether to check a projection only.
type layerCase struct {
	name  string
	layer func(*tensor.RNG) nn.Module
	x     []int
	draw  draw
	fast  bool
}

// registerConvs registers the convolutions, transposed ones included.
func registerConvs() {
	conv := func(in, out, k int, o nn.Conv2dOptions) func(*tensor.RNG) nn.Module {
		return func(rng *tensor.RNG) nn.Module { return nn.NewConv2d(rng, in, out, k, o) }
	}
	convT := func(in, out, k int, o nn.ConvTranspose2dOptions) func(*tensor.RNG) nn.Module {
		return func(rng *tensor.RNG) nn.Module { return nn.NewConvTranspose2d(rng, in, out, k, o) }
	}
	for _, l := range []layerCase{
		{"Conv2d/3x3", conv(2, 3, 3, nn.Conv2dOptions{}), []int{1, 2, 5, 5}, Normal, false},
		{"Conv2d/3x3_stride2_pad1_batch3", conv(2, 2, 3, nn.Conv2dOptions{Stride: 2, Padding: 1}), []int{3, 2, 6, 4}, Normal, false},
		{"Conv2d/3x3_dilation2_nobias", conv(2, 2, 3, nn.Conv2dOptions{Padding: 2, Dilation: 2, NoBias: true}), []int{1, 2, 5, 6}, Normal, false},
		{"Conv2d/4x4_stride2_pad1", conv(2, 2, 4, nn.Conv2dOptions{Stride: 2, Padding: 1}), []int{1, 2, 6, 6}, Normal, false},
		{"Conv2d/1x1_batch3", conv(3, 2, 1, nn.Conv2dOptions{}), []int{3, 3, 2, 3}, Normal, false},
		{"Conv2d/7x7_fast", conv(3, 4, 7, nn.Conv2dOptions{Padding: 3}), []int{2, 3, 9, 8}, Normal, true},

		{"ConvTranspose2d/3x3_stride2_pad1_outpad1", convT(2, 3, 3, nn.ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}), []int{1, 2, 3, 4}, Normal, false},
		{"ConvTranspose2d/3x3_batch3_nobias", convT(2, 2, 3, nn.ConvTranspose2dOptions{NoBias: true}), []int{3, 2, 3, 3}, Normal, false},
		{"ConvTranspose2d/3x3_dilation2_outpad1", convT(2, 2, 3, nn.ConvTranspose2dOptions{Padding: 1, OutputPadding: 1, Dilation: 2}), []int{1, 2, 4, 3}, Normal, false},
		{"ConvTranspose2d/4x4_stride2_pad1", convT(2, 2, 4, nn.ConvTranspose2dOptions{Stride: 2, Padding: 1}), []int{1, 2, 3, 2}, Normal, false},
		{"ConvTranspose2d/3x3_stride2_batch3_fast", convT(4, 3, 3, nn.ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}), []int{3, 4, 5, 6}, Normal, true},
	} {
		registerLayer(l.name, l.layer, l.x, l.draw, l.fast)
	}
}

// registerDropoutAndLosses registers Dropout and the losses, which are functions of tensors.
func registerDropoutAndLosses() {

	// Dropout's mask is random: each evaluation rebuilds the layer from one seed, so the check
	// differentiates a single fixed mask, as one training step does.
	for _, p := range []float64{0.3, 0.5} {
		Register(Case{Name: fmt.Sprintf("Dropout/%g", p), Shapes: "[4,5]", Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
			seed := rng.Uint64()
			return Func(func(xs []*autograd.Var) *autograd.Var { return nn.NewDropout(p, tensor.NewRNG(seed)).Forward(xs[0]) }, Normal(rng, 4, 5))
		}})
	}

	losses := []struct {
		name string
		loss func(input, target *autograd.Var, r nn.Reduction) *autograd.Var
		// inputs draws the input and the target: any reals for the regression losses (kept apart
		// for L1, whose |input − target| has a kink where they meet), a probability target for BCE.
		inputs func(rng *tensor.RNG, shape ...int) (input, target *tensor.Tensor)
	}{
		{"MSELoss", nn.MSELoss, func(rng *tensor.RNG, s ...int) (*tensor.Tensor, *tensor.Tensor) {
			return Normal(rng, s...), Normal(rng, s...)
		}},
		{"L1Loss", nn.L1Loss, func(rng *tensor.RNG, s ...int) (*tensor.Tensor, *tensor.Tensor) {
			input := Normal(rng, s...)
			return input, tensor.Sub(input, AwayFromZero(rng, s...))
		}},
		{"BCEWithLogitsLoss", nn.BCEWithLogitsLoss, func(rng *tensor.RNG, s ...int) (*tensor.Tensor, *tensor.Tensor) {
			return Normal(rng, s...), Uniform(rng, 0, 1, s...)
		}},
	}
	for _, l := range losses {
		for _, r := range []nn.Reduction{nn.ReductionMean, nn.ReductionSum, nn.ReductionNone} {
			Register(Case{Name: l.name + "/" + r.String(), Shapes: "[2,3,4], [2,3,4]", Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
				input, target := l.inputs(rng, 2, 3, 4)
				return Func(func(xs []*autograd.Var) *autograd.Var { return l.loss(xs[0], xs[1], r) }, input, target)
			}})
		}
	}
	// LSGAN's loss against a broadcast "real" label, as CycleGAN computes it on a patch map.
	registerFunc("MSELoss/broadcast_target", "[1,1,3,3], [1]",
		func(rng *tensor.RNG) []*tensor.Tensor {
			return []*tensor.Tensor{Normal(rng, 1, 1, 3, 3), Normal(rng, 1)}
		},
		func(xs []*autograd.Var) *autograd.Var { return nn.MSELoss(xs[0], xs[1], nn.ReductionMean) })
}
