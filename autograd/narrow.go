package autograd

import "github.com/zebra-go/zebra/tensor"

// Narrow returns elements start..start+length-1 of dimension dim (negative counts from the end), as
// a copy. Its backward is the adjoint of the copy: the gradient padded with zeros back to x's size
// along dim.
func Narrow(x *Var, dim, start, length int) *Var {
	out := tensor.Narrow(x.Value, dim, start, length)
	return Record("narrow", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		shape := x.Shape()
		d := dim
		if d < 0 {
			d += len(shape)
		}
		return []*tensor.Tensor{tensor.Pad(g, padAlong(len(shape), d, start, shape[d]-start-length), 0)}
	})
}

// padAlong builds tensor.Pad's list, which runs from the last dimension backwards as (before, after)
// pairs, for a pad of only dimension dim of an ndim-dimensional tensor.
func padAlong(ndim, dim, before, after int) []int {
	pads := make([]int, 2*(ndim-dim))
	pads[2*(ndim-1-dim)] = before
	pads[2*(ndim-1-dim)+1] = after
	return pads
}
