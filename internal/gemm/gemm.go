package gemm

import "math"

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

// SgemmThreads is Sgemm on at most threads threads instead of Threads(): for a caller that runs
// several independent products at once, each on its share of the machine, rather than one
// after another, each forking and joining every thread (internal/winograd's α² products per
// block; see its TestTuneGemmThreads).
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs("SgemmThreads", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(active.s, max(threads, 1), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64. It serves gradient checking, so it shares Sgemm's algorithm with
// float64 kernels of half the width.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkArgs("Dgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(active.d, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// MatrixSource is a matrix that is never stored whole. Block fills dst[r*ld+x] = M[i+r][j+x] for
// r < rows and x < cols. SgemmSource and DgemmSource read B through it, one block at a time as
// packing needs it: the im2col matrix of a convolution can then be formed from the image right
// where it is packed, instead of being written out in full and read back. Block may be called
// from several goroutines at once.
type MatrixSource[T float32 | float64] interface {
	Block(dst []T, ld, i, rows, j, cols int)
}

// SgemmSource is Sgemm with B read from src: B is k×n (!transB) or n×k (transB), as in Sgemm.
func SgemmSource(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, src MatrixSource[float32], beta float32, c []float32, ldc int) {
	checkArgs("SgemmSource", transA, transB, m, n, k, len(a), lda, math.MaxInt, sourceLD(transB, n, k), len(c), ldc)
	gemmFrom(active.s, Threads(), transA, transB, m, n, k, alpha, a, lda, nil, 0, src, beta, c, ldc)
}

// DgemmSource is Dgemm with B read from src, as SgemmSource.
func DgemmSource(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, src MatrixSource[float64], beta float64, c []float64, ldc int) {
	checkArgs("DgemmSource", transA, transB, m, n, k, len(a), lda, math.MaxInt, sourceLD(transB, n, k), len(c), ldc)
	gemmFrom(active.d, Threads(), transA, transB, m, n, k, alpha, a, lda, nil, 0, src, beta, c, ldc)
}

// sourceLD is the leading dimension B would have if stored, which checkArgs wants to see.
func sourceLD(transB bool, n, k int) int {
	if transB {
		return max(1, k)
	}
	return max(1, n)
}
