package autograd

import (
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// Max is the maximum over axes (all when empty), PyTorch's amax. Its gradient goes to the elements
// that attain the maximum; when several tie, it is split evenly among them (amax's rule, and
// torch.max's without a dim), so the shares add up to the output's gradient.
func Max(x *Var, axes []int, keepdim bool) *Var {
	axes = slices.Clone(axes) // the backward reads them later; the caller may reuse its slice
	out := tensor.Max(x.Value, axes, keepdim)
	return Record("max", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{extremumGrad(g, x.Value, out, axes)}
	})
}

// extremumGrad routes the gradient g of a max or min reduction of x over axes (result out) to the
// elements equal to the result, split evenly among ties:
//
//	dx = [x == out] · g / count,  count = Σ_axes [x == out]
//
// g/count is formed on the small reduced shape and broadcast once by the final multiply.
func extremumGrad(g, x, out *tensor.Tensor, axes []int) *tensor.Tensor {
	kept := keptShape(x.Shape(), axes)
	hit := tensor.Equal(x, tensor.Reshape(out, kept...))
	count := tensor.Sum(hit, axes, true)
	return tensor.Mul(hit, tensor.Div(tensor.Reshape(g, kept...), count))
}
