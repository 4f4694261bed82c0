package tensor

import (
	"fmt"
	"slices"
)

// Matmul returns the matrix product of a [..., M, K] and b [..., K, N]. Both have at least two
// dimensions; their leading (batch) dimensions must be equal, or one of them may be a plain matrix
// shared by the whole batch of the other (a convolution's weight, say).
func Matmul(a, b *Tensor) *Tensor { return MatmulT(a, b, false, false) }

// MatmulT is Matmul with either operand transposed in its last two dimensions, without a copy:
// MatmulT(a, b, false, true) is a × bᵀ. Backward passes use it.
func MatmulT(a, b *Tensor, transA, transB bool) *Tensor {
	const name = "tensor.Matmul"
	sameDevice(name, a, b)
	sameDType(name, a, b)
	if a.NDim() < 2 || b.NDim() < 2 {
		panic(fmt.Sprintf("%s: shapes %v and %v need at least 2 dimensions", name, a.shape, b.shape))
	}
	ar, ac := a.shape[a.NDim()-2], a.shape[a.NDim()-1]
	br, bc := b.shape[b.NDim()-2], b.shape[b.NDim()-1]
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	kb, n := br, bc
	if transB {
		kb, n = bc, br
	}
	batchA, batchB := a.shape[:a.NDim()-2], b.shape[:b.NDim()-2]
	batchShape := batchA
	strideA, strideB := ar*ac, br*bc
	switch {
	case len(batchB) == 0:
		strideB = 0
	case len(batchA) == 0:
		strideA, batchShape = 0, batchB
	case !sameShape(batchA, batchB):
		k = -1 // reported below
	}
	if k != kb {
		panic(fmt.Sprintf("%s: shapes %v and %v (transposed %v, %v) do not multiply", name, a.shape, b.shape, transA, transB))
	}
	out := New(a.Backend(), a.dtype, append(slices.Clone(batchShape), m, n)...)
	// Leading dimensions are at least 1 even for empty matrices, as BLAS requires.
	a.Backend().Gemm(GemmArgs{
		TransA: transA, TransB: transB, M: m, N: n, K: k, Alpha: 1, Beta: 0, Batch: Numel(batchShape),
		A: a.storage, LDA: max(1, ac), StrideA: strideA,
		B: b.storage, LDB: max(1, bc), StrideB: strideB,
		C: out.storage, LDC: max(1, n), StrideC: m * n,
	})
	return out
}
