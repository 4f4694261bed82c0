package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// Matmul returns the matrix product of a [..., M, K] and b [..., K, N]: batched when both have the
// same leading dimensions, or with b a plain K×N matrix shared by every matrix of the batch (a
// weight). For C = A·B,
//
//	dA = dC·Bᵀ and dB = Aᵀ·dC,
//
// computed with tensor.MatmulT, which reads the transposes in place. When b is shared by a batch its
// gradient sums Aᵢᵀ·dCᵢ over the batch; because the batch is contiguous, that sum is one product of
// A seen as a [batch·M, K] matrix and dC as [batch·M, N], with no reduction pass.
func Matmul(a, b *Var) *Var {
	out := tensor.Matmul(a.Value, b.Value)
	return Record("matmul", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.requiresGrad {
			ga = tensor.MatmulT(g, b.Value, false, true)
		}
		if b.requiresGrad {
			if a.Value.NDim() == b.Value.NDim() {
				gb = tensor.MatmulT(a.Value, g, true, false)
			} else {
				gb = sharedWeightGrad(a.Value, g)
			}
		}
		return []*tensor.Tensor{ga, gb}
	})
}

// sharedWeightGrad is Σᵢ Aᵢᵀ·Gᵢ for a batch of A [..., M, K] and G [..., M, N], as one K×N product.
func sharedWeightGrad(a, g *tensor.Tensor) *tensor.Tensor {
	k, n := a.Dim(-1), g.Dim(-1)
	if a.Numel()/k != g.Numel()/n {
		panic(fmt.Sprintf("autograd.Matmul: gradient %v does not match input %v", g.Shape(), a.Shape()))
	}
	return tensor.MatmulT(tensor.Reshape(a, -1, k), tensor.Reshape(g, -1, n), true, false)
}
