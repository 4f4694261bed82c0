package autograd

import "github.com/zebra-go/zebra/tensor"

// Relu returns max(x, 0). Its derivative is 1 for x > 0 and 0 for x < 0; at x = 0, where ReLU has
// no derivative, the gradient is 0, as in PyTorch.
//
// The backward reads the output, not the input: out > 0 exactly where x > 0, so the gradient is
// the same, and the output is what the next layer keeps anyway when it is a convolution (the
// weight gradient reads its input). The input, an InstanceNorm's output that the InstanceNorm's
// backward does not read, is then freed after the forward.
func Relu(x *Var) *Var {
	out := tensor.Relu(x.Value)
	return Record("relu", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.LeakyReluBackward(g, out, 0)}
	})
}
