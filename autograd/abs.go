package autograd

import "github.com/zebra-go/zebra/tensor"

// Abs returns |x|: d|x|/dx = sign(x), which is 0 at x = 0 (PyTorch's choice of subgradient).
func Abs(x *Var) *Var {
	out := tensor.Abs(x.Value)
	return Record("abs", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(g, tensor.Sign(x.Value))}
	})
}
