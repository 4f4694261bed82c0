package autograd

import "github.com/zebra-go/zebra/tensor"

// Relu returns max(x, 0). Its derivative is 1 for x > 0 and 0 for x < 0; at x = 0, where ReLU has
// no derivative, the gradient is 0, as in PyTorch.
func Relu(x *Var) *Var {
	out := tensor.Relu(x.Value)
	return Record("relu", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.LeakyReluBackward(g, x.Value, 0)}
	})
}
