package autograd

import "github.com/zebra-go/zebra/tensor"

// Add returns a + b with broadcasting. Its backward passes the gradient through to both inputs,
// summed over the dimensions each was broadcast along. It needs their shapes, not their values,
// so it keeps their edges (a residual block's input is not held for the block's sum).
func Add(a, b *Var) *Var {
	out := tensor.Add(a.Value, b.Value)
	ea, eb := edgeTo(a), edgeTo(b)
	return Record("add", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if ea.requiresGrad() {
			ga = tensor.SumTo(g, ea.shape())
		}
		if eb.requiresGrad() {
			gb = tensor.SumTo(g, eb.shape())
		}
		return []*tensor.Tensor{ga, gb}
	})
}
