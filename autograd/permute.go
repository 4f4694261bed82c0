package autograd

import (
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// Permute reorders dimensions: output dimension i is input dimension perm[i] (negative entries count
// from the end). The backward applies the inverse permutation, which sends dimension perm[i] of the
// gradient's source back to place i.
func Permute(x *Var, perm ...int) *Var {
	// Permute(x, p...) passes the caller's own slice, which the backward reads later.
	perm = slices.Clone(perm)
	out := tensor.Permute(x.Value, perm...)
	return Record("permute", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		inverse := make([]int, len(perm))
		for i, p := range perm {
			if p < 0 {
				p += len(perm)
			}
			inverse[p] = i
		}
		return []*tensor.Tensor{tensor.Permute(g, inverse...)}
	})
}
