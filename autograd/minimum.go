package autograd

import "github.com/zebra-go/zebra/tensor"

// Minimum returns min(a, b) elementwise with broadcasting. The gradient goes to the smaller input
// and is split in half on a tie, as in PyTorch (see Maximum).
func Minimum(a, b *Var) *Var {
	out := tensor.Minimum(a.Value, b.Value)
	return Record("minimum", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.requiresGrad {
			// a gets min's gradient where it is the smaller one: where it would lose a max.
			ga = tensor.SumTo(tensor.Mul(g, maxWeight(b.Value, a.Value)), a.Shape())
		}
		if b.requiresGrad {
			gb = tensor.SumTo(tensor.Mul(g, maxWeight(a.Value, b.Value)), b.Shape())
		}
		return []*tensor.Tensor{ga, gb}
	})
}
