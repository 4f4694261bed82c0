package autograd

import "github.com/zebra-go/zebra/tensor"

// SumTo sums x down to shape, which must broadcast to x's shape: the adjoint of Expand, and what
// every broadcasting op's backward does to its gradient. Its own backward broadcasts back.
func SumTo(x *Var, shape []int) *Var {
	out := tensor.SumTo(x.Value, shape)
	return Record("sum_to", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Expand(g, x.Shape()...)}
	})
}
