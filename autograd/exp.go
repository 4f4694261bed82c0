package autograd

import "github.com/zebra-go/zebra/tensor"

// Exp returns e^x: d(e^x)/dx = e^x, which is the output, so the backward keeps the output rather
// than recomputing it.
func Exp(x *Var) *Var {
	out := tensor.Exp(x.Value)
	return Record("exp", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(g, out)}
	})
}
