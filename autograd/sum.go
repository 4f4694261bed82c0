package autograd

import (
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// Sum sums x over axes (every axis when axes is empty; negative axes count from the end), keeping
// them as size-1 dimensions when keepdim is set. Each input element contributes once to one output
// element, so its gradient is that output's gradient: the backward broadcasts g back to x's shape.
func Sum(x *Var, axes []int, keepdim bool) *Var {
	axes = slices.Clone(axes) // the backward reads them later; the caller may reuse its slice
	out := tensor.Sum(x.Value, axes, keepdim)
	return Record("sum", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Expand(tensor.Reshape(g, keptShape(x.Shape(), axes)...), x.Shape()...)}
	})
}

// keptShape is shape with the reduced axes set to 1: the shape of a keepdim reduction, which
// broadcasts against the input. Axes are assumed valid (the forward has checked them).
func keptShape(shape []int, axes []int) []int {
	kept := slices.Clone(shape)
	for d := range kept {
		if isReduced(d, axes, len(shape)) {
			kept[d] = 1
		}
	}
	return kept
}

// isReduced reports whether dimension d of an ndim-dimensional tensor is among axes (all when empty).
func isReduced(d int, axes []int, ndim int) bool {
	if len(axes) == 0 {
		return true
	}
	for _, a := range axes {
		if a == d || a+ndim == d {
			return true
		}
	}
	return false
}

// countOver is the number of elements a reduction over axes combines into one output element.
func countOver(shape []int, axes []int) int {
	n := 1
	for d, size := range shape {
		if isReduced(d, axes, len(shape)) {
			n *= size
		}
	}
	return n
}
