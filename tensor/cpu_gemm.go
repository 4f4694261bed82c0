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

// GemmIm2col implements Im2colGemmer: each image's columns are formed where internal/gemm packs
// them (im2colSource), never written out whole and read back.
func (cpuBackend) GemmIm2col(g GemmArgs, x Storage, offX int, geom ConvGeom) {
	checkIm2colGemm(g, x, offX, geom)
	switch g.C.DType() {
	case Float32:
		gemmIm2col(g, cpuData[float32](g.A), cpuData[float32](x), cpuData[float32](g.C), offX, geom, gemm.SgemmSource)
	case Float64:
		gemmIm2col(g, cpuData[float64](g.A), cpuData[float64](x), cpuData[float64](g.C), offX, geom, gemm.DgemmSource)
	}
}

// sourceGemmFunc is the signature of internal/gemm's SgemmSource and DgemmSource.
type sourceGemmFunc[T float] func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, src gemm.MatrixSource[T], beta T, c []T, ldc int)

func gemmIm2col[T float](g GemmArgs, a, x, c []T, offX int, geom ConvGeom, f sourceGemmFunc[T]) {
	image := geom.C * geom.H * geom.W
	for i := range g.Batch {
		src := im2colSource[T]{x: x[offX+i*image:][:image], g: geom}
		f(g.TransA, g.TransB, g.M, g.N, g.K, T(g.Alpha), a[g.OffA+i*g.StrideA:], g.LDA, src, T(g.Beta), c[g.OffC+i*g.StrideC:], g.LDC)
	}
}

// checkIm2colGemm panics unless the product's B, as stored, is the im2col matrix of geom's
// images and x holds g.Batch of them from offX on.
func checkIm2colGemm(g GemmArgs, x Storage, offX int, geom ConvGeom) {
	rows, cols := g.K, g.N
	if g.TransB {
		rows, cols = g.N, g.K
	}
	if rows != geom.C*geom.KH*geom.KW || cols != geom.OH*geom.OW {
		panic(fmt.Sprintf("tensor: cpu.GemmIm2col: B is %dx%d, the im2col matrix of %+v is %dx%d", rows, cols, geom, geom.C*geom.KH*geom.KW, geom.OH*geom.OW))
	}
	if x.DType() != g.C.DType() || g.A.DType() != g.C.DType() {
		panic(fmt.Sprintf("tensor: cpu.GemmIm2col: dtypes %s and image %s into %s", g.A.DType(), x.DType(), g.C.DType()))
	}
	if need := offX + g.Batch*geom.C*geom.H*geom.W; g.Batch > 0 && x.Len() < need {
		panic(fmt.Sprintf("tensor: cpu.GemmIm2col: image storage holds %d elements, %d images of %+v from %d need %d", x.Len(), g.Batch, geom, offX, need))
	}
}
