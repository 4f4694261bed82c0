package tensor

import (
	"fmt"

	"github.com/zebra-go/zebra/internal/gemm"
	"github.com/zebra-go/zebra/internal/winograd"
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

// ConvForward implements Convolver: Winograd's algorithm where winogradTile picks it, else the
// columns formed inside the GEMM (GemmIm2col), or, for a 1×1 stride-1 convolution, the image
// itself as the columns.
func (c cpuBackend) ConvForward(y, x, w, bias Storage, g ConvGeom, cout int) {
	if t := winogradTile(g, cout, y.DType(), false); t != 0 {
		ws := winogradWorkspace(g, cout)
		var b []float32
		if bias != nil {
			b = cpuData[float32](bias)
		}
		winograd.Conv(t, cpuData[float32](y), cpuData[float32](x), cpuData[float32](w), b, g.N, g.C, g.H, g.W, cout, g.PadH, CPUFloat32s(ws))
		Release(ws)
		return
	}
	if isPointwise(g) {
		composedForward(c, y, x, w, bias, g, cout)
		return
	}
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	beta := 0.0
	if bias != nil {
		writeBias(c, y, bias, g.N, cout, plane)
		beta = 1
	}
	c.GemmIm2col(GemmArgs{
		M: cout, N: plane, K: rows, Alpha: 1, Beta: beta, Batch: g.N,
		A: w, LDA: rows, StrideA: 0, LDB: plane,
		C: y, LDC: plane, StrideC: cout * plane,
	}, x, 0, g)
}

// ConvInput implements Convolver. The direct input gradient builds Wᵀ·dy and folds it with
// Col2im: forming it inside a GEMM would need a GEMM that scatters its output.
func (c cpuBackend) ConvInput(dx, dy, w Storage, g ConvGeom, cout int) {
	if t := winogradTile(g, cout, dx.DType(), true); t != 0 {
		ws := winogradWorkspace(g, cout)
		winograd.ConvInput(t, cpuData[float32](dx), cpuData[float32](dy), cpuData[float32](w), g.N, g.C, g.H, g.W, cout, g.PadH, CPUFloat32s(ws))
		Release(ws)
		return
	}
	composedInput(c, dx, dy, w, g, cout)
}

// ConvWeight implements Convolver: dW = Σ_n dy_n · cols_nᵀ with the columns formed inside the
// GEMM, one image at a time.
func (c cpuBackend) ConvWeight(dw, dy, x Storage, g ConvGeom, cout int) {
	if t := winogradTile(g, cout, dw.DType(), false); t != 0 {
		ws := winogradWorkspace(g, cout)
		winograd.ConvWeight(t, cpuData[float32](dw), cpuData[float32](dy), cpuData[float32](x), g.N, g.C, g.H, g.W, cout, g.PadH, CPUFloat32s(ws))
		Release(ws)
		return
	}
	if isPointwise(g) {
		composedWeight(c, dw, dy, x, g, cout)
		return
	}
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	image := g.C * g.H * g.W
	gemmEachImage(GemmArgs{
		TransB: true, M: cout, N: rows, K: plane, Alpha: 1, Batch: g.N,
		A: dy, LDA: plane, StrideA: cout * plane, LDB: plane,
		C: dw, LDC: rows,
	}, func(one GemmArgs, i int) { c.GemmIm2col(one, x, i*image, g) })
}

// winogradTile returns the Winograd tile that the convolution g with cout output channels runs
// with on the CPU, or 0 for the direct path. Winograd applies to float32 3×3 kernels at stride 1
// and dilation 1 with a padding of at most 2 (float64 always runs direct, so that GradCheck
// compares exact sums). Under ConvAuto it is taken where it measured faster (see autoTile).
func winogradTile(g ConvGeom, cout int, dt DType, inputGradient bool) winograd.Tile {
	algo := ConvAlgorithmSetting()
	if algo == ConvDirect || !winogradApplies(g, dt) {
		return 0
	}
	switch algo {
	case ConvWinograd:
		return winograd.F2
	case ConvWinograd4:
		return winograd.F4
	}
	return autoTile(g, cout, inputGradient)
}

// winogradApplies reports whether internal/winograd can compute the convolution g in dt.
func winogradApplies(g ConvGeom, dt DType) bool {
	if dt != Float32 || g.KH != 3 || g.KW != 3 || g.StrideH != 1 || g.StrideW != 1 ||
		g.DilH != 1 || g.DilW != 1 || g.PadH != g.PadW || g.PadH > 2 || g.N == 0 {
		return false
	}
	// A transposed convolution's geometry may keep fewer output positions than the formula.
	return g.OH == g.H+2*g.PadH-2 && g.OW == g.W+2*g.PadW-2
}

// autoTile is ConvAuto's choice for a convolution that Winograd can compute. In training the
// forward and the weight gradient take F(2×2, 3×3) or direct, never F(4×4, 3×3), whose float32
// error there is several times PyTorch's (see ConvWinograd4); the input gradient takes F(4×4)
// where F(2×2) would beat direct, its error staying within the bound (see the case below). For
// a forward-only pass (g.ForwardOnly: translation, evaluation, whose output becomes 8-bit
// pixels) F(4×4)'s 1e-5 is invisible, and it is taken where it measured faster than both
// (forwardOnlyF4). inputGradient says the pass is ConvInput (or the forward of a
// transposed convolution), whose direct path (Wᵀ·dy, then col2im) Winograd beats on fewer
// shapes.
//
// TestTuneConvCrossover (conv_tune_test.go) measured F2 against direct for C = Cout channels at
// output sizes 16, 32 and 64 (pad 0, batch 1; AMD EPYC Zen 4, 2 threads, shared machine: each
// time the best of 7 runs of best-of-5 interleaved rounds), as direct time / F2 time:
//
//	C           16x16  32x32  64x64   (Conv / ConvWeight)     ConvInput 16, 32, 64
//	 32          1.62   1.29   0.88  /  1.78  1.14  0.81      0.74  0.69  0.57
//	 64          1.23   0.99   0.89  /  1.18  0.97  0.85      0.61  0.67  0.67
//	128          0.93   0.92   1.19  /  0.91  0.88  1.18      0.54  0.59  0.77
//	256          0.94   1.18   1.66  /  0.88  1.13  1.51      0.51  0.87  1.20
//
// Direct runs its GEMM poorly at small sizes (35-70 GFLOP/s at 32-64 channels and 16x16, against
// 190 at 256 channels and 64x64), which is where the narrow layers' F2 wins; the wide layers win
// once the images are large. Shapes outside the table take the rule of their nearest cells.
func autoTile(g ConvGeom, cout int, inputGradient bool) winograd.Tile {
	if g.C < 32 || cout < 32 || g.OH*g.OW < 64 {
		return 0
	}
	channels, pixels := min(g.C, cout), g.OH*g.OW
	var f2Wins bool
	if inputGradient {
		f2Wins = channels >= 256 && pixels >= 64*64
	} else {
		f2Wins = (channels <= 32 && pixels <= 32*32) || (channels <= 64 && pixels <= 16*16) ||
			(channels >= 128 && pixels >= 64*64) || (channels >= 256 && pixels >= 32*32)
	}
	switch {
	case g.ForwardOnly && forwardOnlyF4(pixels, inputGradient, f2Wins):
		return winograd.F4
	case inputGradient && f2Wins:
		// In training too, the input gradient takes F(4×4) where F(2×2) beats direct (the
		// residual blocks at 256x256): F4 12.2 ms against F2 16.3 ms per layer, a 256x256 step
		// 6-8% faster (8.61 -> 8.09 s, 8.55 -> 7.88 s, alternating, Zen 4, December 2026), and
		// zebra-bench check at 256 stays within 3x PyTorch's float32 error (same-branch G
		// gradients 8.2e-6 against PyTorch's 3.8e-6; F2 there: 4.5e-6). The forward and the
		// weight gradient keep F2: with F4 their rounding reaches the outputs (5-7x PyTorch's).
		return winograd.F4
	case f2Wins:
		return winograd.F2
	}
	return 0
}

// forwardOnlyF4 reports whether F(4×4, 3×3) is the fastest choice for a forward-only pass of at
// least 32 channels with the given output pixels (f2Wins: autoTile's training choice is F2).
// What has been measured of F4 (AMD EPYC Zen 4, 2 threads, shared machine):
//
//   - Conv, against direct, in TestTuneConvCrossover's F4 column: 1.3-2x at 32 to 128 channels
//     from 32x32 on (as this comment summed it up; the cells were not recorded), where F2 loses
//     to direct or wins by at most 1.32x: at 32 channels and 32x32 the two may be close.
//   - Conv at 256 channels, F4 against F2 in one run (TestTuneFused, internal/winograd): 64x64
//     33.8 vs 56.8 ms, 32x32 5.50 vs 7.78 ms; TestTuneBlockTiles at 64x64: 8.7 vs 13.7 ms.
//   - ConvInput at 256 channels and 64x64 (TestTuneBlockTiles): F4 12.2 ms, F2 16.3, direct
//     28.6.
//
// Below 32x32 nothing measured F4, and the tiles of 4×4 outputs waste more at the edges, so
// those keep the training choice; so does ConvInput wherever F2 does not beat direct. The
// generator's residual blocks (256 channels, 64x64 at 256x256) take F4.
func forwardOnlyF4(pixels int, inputGradient, f2Wins bool) bool {
	if pixels < 32*32 {
		return false
	}
	return !inputGradient || f2Wins
}

// winogradWorkspace returns a float32 buffer from the CPU pool for any Winograd pass of the
// convolution g: the transformed tiles are as large as the layer's activations, and reusing the
// buffer keeps them from adding to the peak memory of every step. It is sized for the largest of
// the passes and tiles (and, for a convolution behind a one-pixel pad, of ConvInputReflect), so
// that every pass of a layer shares one pooled buffer (the pool keeps one per size) rather than
// keeping a buffer per pass and tile: at the residual blocks' 256 channels, 64x64, F(2x2)'s are
// 38 MB for the forward and weight passes and 22 MB for the input gradient's, F(4x4)'s 31 MB.
func winogradWorkspace(g ConvGeom, cout int) *Tensor {
	n := 1
	for _, t := range []winograd.Tile{winograd.F2, winograd.F4} {
		n = max(n, winograd.ConvWorkspace(t, g.N, g.C, g.H, g.W, cout, g.PadH),
			winograd.ConvInputWorkspace(t, g.N, g.C, g.H, g.W, cout, g.PadH),
			winograd.ConvWeightWorkspace(t, g.N, g.C, g.H, g.W, cout, g.PadH))
		if g.PadH == 0 && g.H >= 4 && g.W >= 4 {
			n = max(n, winograd.ConvInputReflectWorkspace(t, g.N, g.C, g.H-2, g.W-2, cout))
		}
	}
	return Empty(CPU, Float32, n)
}

var _ ReflectConvolver = cpuBackend{}

// ConvInputReflect implements ReflectConvolver for a one-pixel reflection pad in front of a
// float32 3×3 stride-1 convolution with no padding of its own, where reflectInputTile picks
// Winograd: winograd.ConvInputReflect, whose tiles cover the unpadded image exactly.
func (cpuBackend) ConvInputReflect(dx, dy, w Storage, g ConvGeom, cout int, p Pad2d) bool {
	if p != (Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}) || g.PadH != 0 || g.PadW != 0 || g.H < 4 || g.W < 4 {
		return false
	}
	// The same convolution on the unpadded image with a zero padding of 1: its input gradient
	// is the interior of the padded one.
	inner := NewConvGeom(g.N, g.C, g.H-2, g.W-2, g.KH, g.KW, g.StrideH, g.StrideW, 1, 1, g.DilH, g.DilW)
	if ConvAlgorithmSetting() == ConvDirect || !winogradApplies(inner, dx.DType()) {
		return false
	}
	t := reflectInputTile(inner, cout)
	if t == 0 {
		return false
	}
	ws := winogradWorkspace(g, cout)
	winograd.ConvInputReflect(t, cpuData[float32](dx), cpuData[float32](dy), cpuData[float32](w),
		g.N, g.C, inner.H, inner.W, cout, CPUFloat32s(ws))
	Release(ws)
	return true
}

// reflectInputTile is the tile of ConvInputReflect for the zero-padded geometry inner, which
// Winograd applies to: F2 or F4 when forced, and under ConvAuto F4 from 64 channels and 32x32
// on. Its tiles cover the image exactly, so it beats direct (Wᵀ·dy, col2im, the pad's adjoint)
// on more shapes than ConvInput of the padded image does. TestTuneReflectInput (AMD EPYC Zen 4,
// 2 threads, best of 5 interleaved rounds), ms:
//
//	C = Cout  HxW    padded: direct    F2      F4    one call: F2     F4
//	 64      16x16           0.212   0.323   0.386           0.250  0.326
//	 64      32x32           0.793   0.684   0.612           0.450  0.353
//	 64      64x64           2.900   2.381   1.929           1.776  1.057
//	128      16x16           0.645   1.243   1.607           1.304  1.533
//	128      32x32           2.071   2.564   2.522           2.358  2.141
//	128      64x64           7.500   6.111   5.487           6.471  4.501
//	256      16x16           1.889   2.951   4.151           3.791  4.379
//	256      32x32           7.308   6.210   7.213           6.961  5.540
//	256      64x64          26.35   17.21   13.95           16.10  10.45
//
// (128 channels at 32x32 is a tie.) F4's input gradients stay within 3x PyTorch's float32
// error in a full step (autoTile; zebra-bench check).
func reflectInputTile(inner ConvGeom, cout int) winograd.Tile {
	switch ConvAlgorithmSetting() {
	case ConvWinograd:
		return winograd.F2
	case ConvWinograd4:
		return winograd.F4
	}
	if min(inner.C, cout) >= 64 && inner.OH*inner.OW >= 32*32 {
		return winograd.F4
	}
	return 0
}
