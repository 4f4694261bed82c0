package autograd

import "github.com/zebra-go/zebra/tensor"

// AddScalar returns x + s for a constant s: the gradient passes through unchanged.
func AddScalar(x *Var, s float64) *Var {
	out := tensor.AddScalar(x.Value, s)
	return Record("add_scalar", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{g}
	})
}
