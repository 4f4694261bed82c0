package autograd

import "github.com/zebra-go/zebra/tensor"

// Sub returns a - b with broadcasting: d(a-b)/da = 1, d(a-b)/db = -1, each summed over the
// dimensions that input was broadcast along. The negation is applied after the sum, on the smaller
// tensor.
func Sub(a, b *Var) *Var {
	out := tensor.Sub(a.Value, b.Value)
	ea, eb := edgeTo(a), edgeTo(b) // as Add: the shapes, not the values
	return Record("sub", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if ea.requiresGrad() {
			ga = tensor.SumTo(g, ea.shape())
		}
		if eb.requiresGrad() {
			gb = tensor.Neg(tensor.SumTo(g, eb.shape()))
		}
		return []*tensor.Tensor{ga, gb}
	})
}
