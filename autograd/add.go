package autograd

import "github.com/zebra-go/zebra/tensor"

// Add returns a + b with broadcasting. Its backward passes the gradient through to both inputs,
// summed over the dimensions each was broadcast along.
func Add(a, b *Var) *Var {
	out := tensor.Add(a.Value, b.Value)
	return Record("add", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.requiresGrad {
			ga = tensor.SumTo(g, a.Shape())
		}
		if b.requiresGrad {
			gb = tensor.SumTo(g, b.Shape())
		}
		return []*tensor.Tensor{ga, gb}
	})
}
