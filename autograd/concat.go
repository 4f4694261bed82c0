package autograd

import (
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// Concat joins xs along dim (negative counts from the end); all other dimensions must agree. The
// backward hands each input the slice of the gradient where its values landed.
func Concat(xs []*Var, dim int) *Var {
	xs = slices.Clone(xs) // the backward and the graph keep the list; the caller may reuse its own
	values := make([]*tensor.Tensor, len(xs))
	for i, x := range xs {
		values[i] = x.Value
	}
	out := tensor.Concat(values, dim)
	return Record("concat", out, xs, func(g *tensor.Tensor) []*tensor.Tensor {
		grads := make([]*tensor.Tensor, len(xs))
		start := 0
		for i, x := range xs {
			size := x.Value.Dim(dim)
			if x.requiresGrad {
				grads[i] = tensor.Narrow(g, dim, start, size)
			}
			start += size
		}
		return grads
	})
}
