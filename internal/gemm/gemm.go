package gemm

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32 matrices.
//
// op(A) is m×k: A is m×k (lda >= k) when !transA and k×m (lda >= m) when transA.
// op(B) is k×n: B is k×n (ldb >= n) when !transB and n×k (ldb >= k) when transB.
// C is m×n with ldc >= n. As in BLAS, beta == 0 overwrites C (NaNs in C do not propagate) and
// alpha == 0 leaves A and B unread. It panics if the sizes do not fit the slices.
// It is safe to call from several goroutines at once on distinct C.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs("Sgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(active.s, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64. It serves gradient checking, so it shares Sgemm's algorithm with
// float64 kernels of half the width.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkArgs("Dgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(active.d, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
