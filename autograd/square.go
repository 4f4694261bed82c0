package autograd

import "github.com/zebra-go/zebra/tensor"

// Square returns x²: d(x²)/dx = 2x.
func Square(x *Var) *Var {
	out := tensor.Square(x.Value)
	return Record("square", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(tensor.Scale(g, 2), x.Value)}
	})
}
