package main

import (
	"fmt"
	"strings"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// The nn layers and losses, each in several configurations, checked through the nn API: a check
// differentiates a layer with respect to its input and every parameter, whose values are drawn
// fresh (a default-initialized bias or an affine weight of ones would hide a backward that mixes
// up channels). Names are PyTorch's module names, to tell them from the autograd ops of ops.go.
// Shapes stay small: the full Jacobian of a convolution costs one backward per output element.

// layerCase describes one layer check: the layer, the input shape and how to draw the input.
type layerCase struct {
	name  string
	layer func() nn.Module
	x     []int
	draw  func(rng *tensor.RNG, shape ...int) *tensor.Tensor
	fast  bool
}

func init() {
	rng := tensor.NewRNG(0) // initial parameter values, replaced by every check's own draws
	conv := func(in, out, k int, o nn.Conv2dOptions) func() nn.Module {
		return func() nn.Module { return nn.NewConv2d(rng, in, out, k, o) }
	}
	convT := func(in, out, k int, o nn.ConvTranspose2dOptions) func() nn.Module {
		return func() nn.Module { return nn.NewConvTranspose2d(rng, in, out, k, o) }
	}
	norm := func(c int, affine bool) func() nn.Module {
		return func() nn.Module { return nn.NewInstanceNorm2d(c, nn.InstanceNorm2dOptions{Affine: affine}) }
	}
	module := func(m nn.Module) func() nn.Module { return func() nn.Module { return m } }

	cases := []layerCase{
		{"Conv2d/3x3", conv(2, 3, 3, nn.Conv2dOptions{}), []int{1, 2, 5, 5}, normal, false},
		{"Conv2d/3x3_stride2_pad1_batch3", conv(2, 2, 3, nn.Conv2dOptions{Stride: 2, Padding: 1}), []int{3, 2, 6, 4}, normal, false},
		{"Conv2d/3x3_dilation2_nobias", conv(2, 2, 3, nn.Conv2dOptions{Padding: 2, Dilation: 2, NoBias: true}), []int{1, 2, 5, 6}, normal, false},
		{"Conv2d/4x4_stride2_pad1", conv(2, 2, 4, nn.Conv2dOptions{Stride: 2, Padding: 1}), []int{1, 2, 6, 6}, normal, false},
		{"Conv2d/1x1_batch3", conv(3, 2, 1, nn.Conv2dOptions{}), []int{3, 3, 2, 3}, normal, false},
		{"Conv2d/7x7_fast", conv(3, 4, 7, nn.Conv2dOptions{Padding: 3}), []int{2, 3, 9, 8}, normal, true},

		{"ConvTranspose2d/3x3_stride2_pad1_outpad1", convT(2, 3, 3, nn.ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}), []int{1, 2, 3, 4}, normal, false},
		{"ConvTranspose2d/3x3_batch3_nobias", convT(2, 2, 3, nn.ConvTranspose2dOptions{NoBias: true}), []int{3, 2, 3, 3}, normal, false},
		{"ConvTranspose2d/3x3_dilation2_outpad1", convT(2, 2, 3, nn.ConvTranspose2dOptions{Padding: 1, OutputPadding: 1, Dilation: 2}), []int{1, 2, 4, 3}, normal, false},
		{"ConvTranspose2d/4x4_stride2_pad1", convT(2, 2, 4, nn.ConvTranspose2dOptions{Stride: 2, Padding: 1}), []int{1, 2, 3, 2}, normal, false},

		{"InstanceNorm2d/plain", norm(2, false), []int{1, 2, 3, 4}, normal, false},
		{"InstanceNorm2d/plain_batch3", norm(2, false), []int{3, 2, 3, 3}, normal, false},
		{"InstanceNorm2d/affine", norm(2, true), []int{2, 2, 3, 3}, normal, false},
		{"InstanceNorm2d/affine_3d", norm(3, true), []int{3, 4, 3}, normal, false},

		{"ReflectionPad2d/1", module(nn.NewReflectionPad2d(1)), []int{1, 2, 3, 3}, normal, false},
		{"ReflectionPad2d/3_batch3", module(nn.NewReflectionPad2d(3)), []int{3, 1, 4, 5}, normal, false},
		{"ReflectionPad2d/asymmetric", module(&nn.ReflectionPad2d{Pad: tensor.Pad2d{Left: 2, Right: 0, Top: 1, Bottom: 3}}), []int{2, 2, 4, 3}, normal, false},

		{"ReLU", module(nn.NewReLU()), []int{3, 4}, awayFromZero, false},
		{"LeakyReLU/0.01", module(nn.NewLeakyReLU(nn.DefaultNegativeSlope)), []int{3, 4}, awayFromZero, false},
		{"LeakyReLU/0.2", module(nn.NewLeakyReLU(0.2)), []int{2, 3, 2}, awayFromZero, false},
		{"Tanh", module(nn.NewTanh()), []int{3, 4}, normal, false},
		{"Sigmoid", module(nn.NewSigmoid()), []int{3, 4}, normal, false},
		{"Identity", module(nn.NewIdentity()), []int{3, 4}, normal, false},
	}
	for _, c := range cases {
		registerLayer(c)
	}

	// Dropout's mask is random: each evaluation rebuilds the layer from one seed, so the check
	// differentiates a single fixed mask, as one training step does.
	for _, p := range []float64{0.3, 0.5} {
		register(check{
			name:   fmt.Sprintf("Dropout/%g", p),
			shapes: "[4,5]",
			build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
				seed := rng.Uint64()
				f := func(xs []*autograd.Var) *autograd.Var { return nn.NewDropout(p, tensor.NewRNG(seed)).Forward(xs[0]) }
				return f, inputs(normal(rng, 4, 5))
			},
		})
	}

	losses := []struct {
		name string
		loss func(input, target *autograd.Var, r nn.Reduction) *autograd.Var
		// target draws the target: any real for the regression losses, a probability for BCE.
		target func(rng *tensor.RNG, shape ...int) *tensor.Tensor
	}{
		{"MSELoss", nn.MSELoss, normal},
		{"L1Loss", nn.L1Loss, normal},
		{"BCEWithLogitsLoss", nn.BCEWithLogitsLoss, func(rng *tensor.RNG, shape ...int) *tensor.Tensor { return uniform(rng, 0, 1, shape...) }},
	}
	for _, l := range losses {
		for _, r := range []nn.Reduction{nn.ReductionMean, nn.ReductionSum, nn.ReductionNone} {
			register(check{
				name:   l.name + "/" + r.String(),
				shapes: "[2,3,4], [2,3,4]",
				build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
					input := normal(rng, 2, 3, 4)
					target := l.target(rng, 2, 3, 4)
					if l.name == "L1Loss" {
						// |input − target| has a kink where they meet: keep them apart.
						target = tensor.Sub(input, awayFromZero(rng, 2, 3, 4))
					}
					return func(xs []*autograd.Var) *autograd.Var { return l.loss(xs[0], xs[1], r) }, inputs(input, target)
				},
			})
		}
	}
	// LSGAN's loss against a broadcast "real" label, as CycleGAN computes it on a patch map.
	register(check{
		name:   "MSELoss/broadcast_target",
		shapes: "[1,1,3,3], [1]",
		build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
			f := func(xs []*autograd.Var) *autograd.Var { return nn.MSELoss(xs[0], xs[1], nn.ReductionMean) }
			return f, inputs(normal(rng, 1, 1, 3, 3), normal(rng, 1))
		},
	})
}

// registerLayer registers a check of c's layer with respect to its input and all its parameters.
func registerLayer(c layerCase) {
	shapes := []string{shapeList(c.x)}
	for _, np := range c.layer().NamedParameters() {
		shapes = append(shapes, np.Name+shapeList(np.Param.Shape()))
	}
	register(check{
		name:   c.name,
		shapes: strings.Join(shapes, " "),
		fast:   c.fast,
		build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
			m := c.layer()
			nn.Cast(m, tensor.Float64)
			xs := inputs(c.draw(rng, c.x...))
			for _, p := range nn.Parameters(m) {
				xs = append(xs, normal(rng, p.Shape()...))
			}
			f := func(vs []*autograd.Var) *autograd.Var {
				bindParameters(m, vs[1:])
				return m.Forward(vs[0])
			}
			return f, xs
		},
	})
}

// bindParameters points a layer's parameters at GradCheck's leaves, in NamedParameters order, so
// that the gradients GradCheck reads are the layer's.
func bindParameters(m nn.Module, ps []*autograd.Var) {
	switch l := m.(type) {
	case *nn.Conv2d:
		l.Weight = ps[0]
		if l.Bias != nil {
			l.Bias = ps[1]
		}
	case *nn.ConvTranspose2d:
		l.Weight = ps[0]
		if l.Bias != nil {
			l.Bias = ps[1]
		}
	case *nn.InstanceNorm2d:
		if l.Weight != nil {
			l.Weight, l.Bias = ps[0], ps[1]
		}
	default:
		if len(ps) > 0 {
			panic(fmt.Sprintf("gradcheck: cannot bind the parameters of %T", m))
		}
	}
}

// shapeList prints a shape as the table does: [1,2,5,5].
func shapeList(shape []int) string {
	return strings.ReplaceAll(fmt.Sprint(shape), " ", ",")
}
