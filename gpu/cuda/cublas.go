package cuda

import (
	"sync"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/tensor"
)

// cublasAPI holds the cuBLAS entry points for SGEMM. cublasStatus_t is int32; the handle is a
// uintptr; alpha and beta are read from host memory (the default pointer mode).
type cublasAPI struct {
	lib *dynlib.Lib

	Create              func(handle *uintptr) int32
	SetMathMode         func(handle uintptr, mode int32) int32 // optional (cuBLAS 11+): nil where missing
	SgemmStridedBatched func(handle uintptr, transA, transB int32, m, n, k int32, alpha *float32,
		a uint64, lda int32, strideA int64, b uint64, ldb int32, strideB int64, beta *float32,
		c uint64, ldc int32, strideC int64, batch int32) int32
}

var cublasNames = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"}

var (
	cublasOnce sync.Once
	cublasLib  *cublasAPI
	cublasErr  error
)

// loadCUBLAS opens cuBLAS if it is installed; without it the own GEMM kernel runs.
func loadCUBLAS() (*cublasAPI, error) {
	cublasOnce.Do(func() {
		lib, err := dynlib.Open("cuBLAS", cublasNames, cudaDirs("cublas"))
		if err != nil {
			cublasErr = err
			return
		}
		a := &cublasAPI{lib: lib}
		b := dynlib.Binder{Lib: lib}
		b.Bind(&a.Create, "cublasCreate_v2")
		b.Bind(&a.SgemmStridedBatched, "cublasSgemmStridedBatched")
		if lib.Has("cublasSetMathMode") {
			b.Bind(&a.SetMathMode, "cublasSetMathMode")
		}
		cublasLib, cublasErr = a, b.Err
	})
	return cublasLib, cublasErr
}

// colMajorGemm is one cuBLAS call: C = alpha*op(A)*op(B) + beta*C with column-major matrices,
// offsets in elements. Its A and B are the row-major call's B and A.
type colMajorGemm struct {
	TransA, TransB     bool
	M, N, K            int
	OffA, LDA, StrideA int
	OffB, LDB, StrideB int
	OffC, LDC, StrideC int
}

// toColMajor expresses a row-major GEMM as the column-major one cuBLAS computes. A row-major
// matrix read column-major is its transpose, so row-major C = op(A)·op(B) is column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands and the sizes M and N, keep the transpose flags and the
// leading dimensions. ok is false for calls cuBLAS would reject (a leading dimension below 1 or
// below its matrix's rows, as can happen for empty inner dimensions): the own kernel runs those.
func toColMajor(g tensor.GemmArgs) (c colMajorGemm, ok bool) {
	c = colMajorGemm{
		TransA: g.TransB, TransB: g.TransA,
		M: g.N, N: g.M, K: g.K,
		OffA: g.OffB, LDA: g.LDB, StrideA: g.StrideB,
		OffB: g.OffA, LDB: g.LDA, StrideB: g.StrideA,
		OffC: g.OffC, LDC: g.LDC, StrideC: g.StrideC,
	}
	rowsA, rowsB := c.M, c.K // column-major rows of the stored A and B
	if c.TransA {
		rowsA = c.K
	}
	if c.TransB {
		rowsB = c.N
	}
	ok = c.K > 0 && c.LDA >= max(1, rowsA) && c.LDB >= max(1, rowsB) && c.LDC >= max(1, c.M)
	return c, ok
}
