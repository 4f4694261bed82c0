package autograd

import "github.com/zebra-go/zebra/tensor"

// Scale returns s·x for a constant s: d(s·x)/dx = s.
func Scale(x *Var, s float64) *Var {
	out := tensor.Scale(x.Value, s)
	return Record("scale", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Scale(g, s)}
	})
}
