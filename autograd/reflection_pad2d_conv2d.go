package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// ReflectionPad2dConv2d is Conv2d(ReflectionPad2d(x, p), w, b, o), computed the same way, pass by
// pass, but keeping x rather than the padded image for the backward.
//
// Conv2d keeps its input for the weight gradient, dW = Conv2dWeight(dY, x_padded). After a
// ReflectionPad2d that input is a padded copy of a value that is usually kept anyway: in a
// CycleGAN residual block the ReLU output before the second pad (ReLU keeps it), the block's input
// before the first (the previous block's second pad would otherwise keep its copy). So this op
// pads x again when the backward needs the weight gradient, and lets the padded copy go after the
// forward: 11% of a generator's saved values at 256x256, for one more pad per backward (a copy,
// a few hundredths of the convolution's time). The input gradient goes back through the pad's
// adjoint, as it would through the two ops, but in one tensor call that may skip the padded
// gradient (tensor.ReflectPad2dConv2dInput):
//
//	dx = ReflectPad2dBackward(Conv2dInput(dY))   dW = Conv2dWeight(dY, ReflectPad2d(x))   db = Σ dY
//
// The results are those of the two ops, bit for bit, except where the CPU computes dx by
// Winograd without the padded gradient (float32, a one-pixel pad, 3×3): its tiles then fall
// elsewhere and round differently. nn.Sequential runs a ReflectionPad2d layer followed by a
// Conv2d layer through it.
func ReflectionPad2dConv2d(x *Var, p tensor.Pad2d, w, b *Var, o Conv2dOptions) *Var {
	const op = "autograd.ReflectionPad2dConv2d"
	if x.Value.NDim() != 4 {
		panic(fmt.Sprintf("%s: input %v must be 4-D", op, x.Shape()))
	}
	padded := tensor.ReflectPad2d(x.Value, p)
	checkConvOperands(op, Constant(padded), w, b, 0)
	if padded.Dim(1) != w.Value.Dim(1) {
		panic(fmt.Sprintf("%s: input %v has %d channels, weight %v expects %d", op, x.Shape(), x.Value.Dim(1), w.Shape(), w.Value.Dim(1)))
	}
	g := newConvGeom(op, padded.Dim(0), padded.Dim(1), padded.Dim(2), padded.Dim(3), w.Value.Dim(2), w.Value.Dim(3), o.Stride, o.Padding, o.Dilation)
	inputs := convInputs(x, w, b)
	out := tensor.Conv2d(padded, w.Value, valueOrNil(b), forwardGeom(g, inputs))
	tensor.Release(padded) // read by nothing else: the pool hands its buffer to the next of its size
	return Record("reflection_pad2d_conv2d", out, inputs, func(gy *tensor.Tensor) []*tensor.Tensor {
		grads := make([]*tensor.Tensor, len(inputs))
		if x.requiresGrad {
			grads[0] = tensor.ReflectPad2dConv2dInput(gy, w.Value, g, p)
		}
		if w.requiresGrad {
			again := tensor.ReflectPad2d(x.Value, p)
			grads[1] = tensor.Conv2dWeight(gy, again, g)
			tensor.Release(again)
		}
		if b != nil && b.requiresGrad {
			grads[2] = tensor.Sum(gy, []int{0, 2, 3}, false)
		}
		return grads
	})
}
