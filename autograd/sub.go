package autograd

import "github.com/zebra-go/zebra/tensor"

// Sub returns a - b with broadcasting: d(a-b)/da = 1, d(a-b)/db = -1, each summed over the
// dimensions that input was broadcast along. The negation is applied after the sum, on the smaller
// tensor.
func Sub(a, b *Var) *Var {
	out := tensor.Sub(a.Value, b.Value)
	return Record("sub", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.requiresGrad {
			ga = tensor.SumTo(g, a.Shape())
		}
		if b.requiresGrad {
			gb = tensor.Neg(tensor.SumTo(g, b.Shape()))
		}
		return []*tensor.Tensor{ga, gb}
	})
}
