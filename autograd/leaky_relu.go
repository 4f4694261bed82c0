package autograd

import "github.com/zebra-go/zebra/tensor"

// LeakyRelu returns x where x > 0 and slope·x elsewhere (PyTorch's negative_slope; CycleGAN's
// discriminator uses 0.2). The derivative is 1 for x > 0 and slope for x ≤ 0: at x = 0 PyTorch
// takes the left side, slope, and so do we.
//
// For a slope of 0 or more the backward reads the output, whose sign is the input's (out > 0
// exactly where x > 0), as Relu does: the next convolution keeps the output anyway, and the input
// is freed after the forward. A negative slope flips the sign, so the input is kept then.
func LeakyRelu(x *Var, slope float64) *Var {
	out := tensor.LeakyRelu(x.Value, slope)
	sign := out
	if slope < 0 {
		sign = x.Value
	}
	return Record("leaky_relu", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.LeakyReluBackward(g, sign, slope)}
	})
}
