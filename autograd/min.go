package autograd

import (
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// Min is the minimum over axes (all when empty), PyTorch's amin: the gradient goes to the elements
// that attain the minimum, split evenly among ties (see Max).
func Min(x *Var, axes []int, keepdim bool) *Var {
	axes = slices.Clone(axes) // the backward reads them later; the caller may reuse its slice
	out := tensor.Min(x.Value, axes, keepdim)
	return Record("min", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{extremumGrad(g, x.Value, out, axes)}
	})
}
