package autograd

import "github.com/zebra-go/zebra/tensor"

// Neg returns -x: d(-x)/dx = -1.
func Neg(x *Var) *Var {
	out := tensor.Neg(x.Value)
	return Record("neg", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Neg(g)}
	})
}
