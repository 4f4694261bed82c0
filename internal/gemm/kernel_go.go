package gemm

import "unsafe"

// genericPath is plain Go, compiled on every platform: the fallback when the CPU has no
// supported vector unit, the only path under the purego build tag, and a second opinion in
// tests. Its 4×4 tile keeps 16 accumulators in registers.
var genericPath = &path{
	name: "generic",
	s: &impl[float32]{mr: 4, nr: 4, strip: goKernelStrip[float32], rows: goKernelRows[float32], transpose: transposeGo[float32], deal: dealRows[float32],
		tuning: blocksFor(blockSizes{mc: 128, kc: 256, nc: 1024, kcDirect: 256}, 4, 4, machineCaches)},
	d: &impl[float64]{mr: 4, nr: 4, strip: goKernelStrip[float64], rows: goKernelRows[float64], transpose: transposeGo[float64], deal: dealRows[float64],
		tuning: blocksFor(blockSizes{mc: 64, kc: 256, nc: 1024, kcDirect: 256}, 4, 4, machineCaches)},
}

// goKernelStrip is the kernel contract (see kernel) in Go for A(i,p) = a[p*aStride+i].
func goKernelStrip[T float32 | float64](k int, a *T, aStride int, b *T, bStep int, c *T, ldc int, alpha, beta T) {
	goKernel4x4(k, a, aStride, 1, b, bStep, c, ldc, alpha, beta)
}

// goKernelRows is the kernel contract in Go for A(i,p) = a[i*aStride+p].
func goKernelRows[T float32 | float64](k int, a *T, aStride int, b *T, bStep int, c *T, ldc int, alpha, beta T) {
	goKernel4x4(k, a, 1, aStride, b, bStep, c, ldc, alpha, beta)
}

// goKernel4x4 computes a 4×4 tile of C with A(i,p) = a[p*pStride+i*iStride], two rows at a
// time: eight accumulators, four B values and two A values fit the 15 registers the compiler
// has, where sixteen accumulators spilled to the stack and ran six times slower. The pointers
// come from the driver, which has checked the extents; unsafe.Slice turns them into slices.
func goKernel4x4[T float32 | float64](k int, a *T, pStride, iStride int, b *T, bStep int, c *T, ldc int, alpha, beta T) {
	cs := unsafe.Slice(c, 3*ldc+4)
	if k == 0 {
		for i := 0; i < 4; i++ {
			storeRow(cs[i*ldc:i*ldc+4], 0, 0, 0, 0, alpha, beta)
		}
		return
	}
	as := unsafe.Slice(a, (k-1)*pStride+3*iStride+1)
	bs := unsafe.Slice(b, (k-1)*bStep+4)
	for i := 0; i < 4; i += 2 {
		var c00, c01, c02, c03, c10, c11, c12, c13 T
		for p := 0; p < k; p++ {
			a0, a1 := as[p*pStride+i*iStride], as[p*pStride+(i+1)*iStride]
			bp := bs[p*bStep : p*bStep+4]
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
		}
		storeRow(cs[i*ldc:i*ldc+4], c00, c01, c02, c03, alpha, beta)
		storeRow(cs[(i+1)*ldc:(i+1)*ldc+4], c10, c11, c12, c13, alpha, beta)
	}
}

func storeRow[T float32 | float64](row []T, v0, v1, v2, v3, alpha, beta T) {
	row = row[:4]
	if beta == 0 {
		row[0], row[1], row[2], row[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
		return
	}
	row[0] = alpha*v0 + beta*row[0]
	row[1] = alpha*v1 + beta*row[1]
	row[2] = alpha*v2 + beta*row[2]
	row[3] = alpha*v3 + beta*row[3]
}
