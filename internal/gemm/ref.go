package gemm

// SgemmRef is the reference for Sgemm: the textbook triple loop, accumulating in float32 in the
// order p = 0, 1, ..., k-1. It is slow and obviously correct; tests compare every path with it.
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs("SgemmRef", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// DgemmRef is the reference for Dgemm; see SgemmRef.
func DgemmRef(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkArgs("DgemmRef", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func gemmRef[T float32 | float64](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum T
			// As in BLAS, alpha == 0 means A and B are not read at all.
			if alpha != 0 {
				for p := 0; p < k; p++ {
					var av, bv T
					if transA {
						av = a[p*lda+i]
					} else {
						av = a[i*lda+p]
					}
					if transB {
						bv = b[j*ldb+p]
					} else {
						bv = b[p*ldb+j]
					}
					sum += av * bv
				}
			}
			// beta == 0 overwrites C, so NaN or Inf already in C does not propagate.
			if beta == 0 {
				c[i*ldc+j] = alpha * sum
			} else {
				c[i*ldc+j] = alpha*sum + beta*c[i*ldc+j]
			}
		}
	}
}
