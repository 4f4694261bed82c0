package winograd

import "fmt"

// The transforms all have one shape: X ↦ P X Pᵀ for a constant r×s matrix P, applied to many
// s×s tiles at once. The tiles are stored lane-wise: element (k,q) of tile l lives at
// src[(k*s+q)*srcStride + l], so that element (k,q) of consecutive tiles is contiguous and a
// vector register holds the same element of 8 or 16 tiles. The arithmetic is then the same
// straight-line code on every lane, with no shuffles.

// maxAlpha is the largest tile side of any transform (α = 6 for F(4×4,3×3)).
const maxAlpha = 6

// goChunk is how many lanes transformGo keeps in its stack scratch at a time: 36 rows of 64
// lanes is 9 KiB, well inside L1.
const goChunk = 64

// transformGo sets, for every lane l < n and i, j < r,
//
//	dst[(i*r+j)*dstStride + l] = Σ_{k,q<s} P[i][k] · src[(k*s+q)*srcStride + l] · P[j][q]
//
// as two one-sided products: first Z = X Pᵀ (Z[k][j] = Σ_q X[k][q]·P[j][q]), then Y = P Z
// (Y[i][j] = Σ_k P[i][k]·Z[k][j]), each sum in ascending order over its nonzero coefficients.
// The assembly kernels compute the same sums in the same order (with fused multiply-adds).
func transformGo(p *matrix, dst []float32, dstStride int, src []float32, srcStride int, n int) {
	r, s := p.rows, p.cols
	var z [maxAlpha * maxAlpha * goChunk]float32
	for l0 := 0; l0 < n; l0 += goChunk {
		nl := min(goChunk, n-l0)
		for k := 0; k < s; k++ {
			for j := 0; j < r; j++ {
				zkj := z[(k*r+j)*goChunk:][:nl]
				clear(zkj)
				for q := 0; q < s; q++ {
					if c := p.at(j, q); c != 0 {
						axpy(zkj, c, src[(k*s+q)*srcStride+l0:][:nl])
					}
				}
			}
		}
		for i := 0; i < r; i++ {
			for j := 0; j < r; j++ {
				y := dst[(i*r+j)*dstStride+l0:][:nl]
				clear(y)
				for k := 0; k < s; k++ {
					if c := p.at(i, k); c != 0 {
						axpy(y, c, z[(k*r+j)*goChunk:][:nl])
					}
				}
			}
		}
	}
}

// axpy sets y[l] += c*x[l].
func axpy(y []float32, c float32, x []float32) {
	x = x[:len(y)]
	for l := range y {
		y[l] += c * x[l]
	}
}

// transform is transformGo on the active path: the kernel of the active path over the largest
// multiple of its vector width, the Go twin over the rest.
func transform(p *matrix, dst []float32, dstStride int, src []float32, srcStride int, n int) {
	checkTransform(p, len(dst), dstStride, len(src), srcStride, n)
	done := 0
	if k := active.kernels[p]; k != nil {
		done = n - n%active.lanes
		if done > 0 {
			k(&dst[0], dstStride, &src[0], srcStride, done)
		}
	}
	if done < n {
		transformGo(p, dst[done:], dstStride, src[done:], srcStride, n-done)
	}
}

// checkTransform panics unless the slices hold every element a transform of n lanes touches:
// the assembly kernels do not check.
func checkTransform(p *matrix, dstLen, dstStride, srcLen, srcStride, n int) {
	if n == 0 {
		return
	}
	r, s := p.rows, p.cols
	if dstStride < n || srcStride < n || dstLen < (r*r-1)*dstStride+n || srcLen < (s*s-1)*srcStride+n {
		panic(fmt.Sprintf("winograd: transform %s of %d lanes: dst %d (stride %d), src %d (stride %d) too short",
			p.name, n, dstLen, dstStride, srcLen, srcStride))
	}
}
