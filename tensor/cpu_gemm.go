package tensor

import (
	"fmt"

	"github.com/zebra-go/zebra/internal/gemm"
)

func (cpuBackend) Gemm(g GemmArgs) {
	if g.A.DType() != g.C.DType() || g.B.DType() != g.C.DType() {
		panic(fmt.Sprintf("tensor: cpu.Gemm: dtypes %s, %s into %s", g.A.DType(), g.B.DType(), g.C.DType()))
	}
	switch g.C.DType() {
	case Float32:
		gemmBatched(g, cpuData[float32](g.A), cpuData[float32](g.B), cpuData[float32](g.C), gemm.Sgemm)
	case Float64:
		gemmBatched(g, cpuData[float64](g.A), cpuData[float64](g.B), cpuData[float64](g.C), gemm.Dgemm)
	}
}

// gemmFunc is the signature of one row-major BLAS-style product (internal/gemm's Sgemm and Dgemm).
type gemmFunc[T float] func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

// gemmBatched runs the batch one product at a time; each product is already spread across every
// core by internal/gemm's worker pool, which is where the time goes.
func gemmBatched[T float](g GemmArgs, a, b, c []T, f gemmFunc[T]) {
	for i := range g.Batch {
		f(g.TransA, g.TransB, g.M, g.N, g.K, T(g.Alpha),
			a[g.OffA+i*g.StrideA:], g.LDA,
			b[g.OffB+i*g.StrideB:], g.LDB,
			T(g.Beta), c[g.OffC+i*g.StrideC:], g.LDC)
	}
}
