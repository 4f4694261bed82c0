package autograd

import "github.com/zebra-go/zebra/tensor"

// LeakyRelu returns x where x > 0 and slope·x elsewhere (PyTorch's negative_slope; CycleGAN's
// discriminator uses 0.2). The derivative is 1 for x > 0 and slope for x ≤ 0: at x = 0 PyTorch
// takes the left side, slope, and so do we.
func LeakyRelu(x *Var, slope float64) *Var {
	out := tensor.LeakyRelu(x.Value, slope)
	return Record("leaky_relu", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.LeakyReluBackward(g, x.Value, slope)}
	})
}
