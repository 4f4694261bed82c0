package tensor

// Until internal/gemm lands these plain loops stand in for it.
var (
	sgemm gemmFunc[float32] = gemmRef[float32]
	dgemm gemmFunc[float64] = gemmRef[float64]
)

// gemmRef is the obviously correct triple loop, accumulating in float64.
func gemmRef[T float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	parallelFor(m, max(1, 4096/max(n*k, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := range n {
				var s float64
				for p := range k {
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
					s += float64(av) * float64(bv)
				}
				v := T(float64(alpha) * s)
				if beta != 0 {
					v += beta * c[i*ldc+j]
				}
				c[i*ldc+j] = v
			}
		}
	})
}
