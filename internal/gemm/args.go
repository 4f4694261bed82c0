package gemm

import "fmt"

// checkArgs panics, naming the operation and the shapes, when the dimensions, leading dimensions
// or slice lengths cannot describe the product. Such a call is a programmer error.
func checkArgs(op string, transA, transB bool, m, n, k int, lenA, lda, lenB, ldb, lenC, ldc int) {
	fail := func(format string, args ...any) {
		panic(fmt.Sprintf("gemm: %s(transA=%v, transB=%v, m=%d, n=%d, k=%d, lda=%d, ldb=%d, ldc=%d): %s",
			op, transA, transB, m, n, k, lda, ldb, ldc, fmt.Sprintf(format, args...)))
	}
	if m < 0 || n < 0 || k < 0 {
		fail("negative dimension")
	}
	// Rows and columns of A and B as stored.
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	if lda < max(1, colsA) {
		fail("lda < %d", max(1, colsA))
	}
	if ldb < max(1, colsB) {
		fail("ldb < %d", max(1, colsB))
	}
	if ldc < max(1, n) {
		fail("ldc < %d", max(1, n))
	}
	if need := extent(rowsA, colsA, lda); lenA < need {
		fail("len(a) = %d < %d", lenA, need)
	}
	if need := extent(rowsB, colsB, ldb); lenB < need {
		fail("len(b) = %d < %d", lenB, need)
	}
	if need := extent(m, n, ldc); lenC < need {
		fail("len(c) = %d < %d", lenC, need)
	}
}

// extent is the number of elements a rows×cols row-major matrix with leading dimension ld spans.
func extent(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}
