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

// ConvForward implements Convolver: Winograd's algorithm where winogradTile picks it, the
// shifted image where shiftApplies, else the columns formed inside the GEMM (GemmIm2col), or,
// for a 1×1 stride-1 convolution, the image itself as the columns.
func (c cpuBackend) ConvForward(y, x, w, bias Storage, g ConvGeom, cout int) {
	if t := winogradTile(g, cout, y.DType(), forwardPass); t != 0 {
		ws := winogradWorkspace(g, cout)
		var b []float32
		if bias != nil {
			b = cpuData[float32](bias)
		}
		winograd.Conv(t, cpuData[float32](y), cpuData[float32](x), cpuData[float32](w), b, g.N, g.C, g.H, g.W, cout, g.PadH, CPUFloat32s(ws))
		Release(ws)
		return
	}
	if shiftApplies(g, cout, y.DType()) {
		shiftForward(y, x, w, bias, g, cout)
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

// ConvInput implements Convolver: Winograd or the shifted image as ConvForward, else Wᵀ·dy
// folded with Col2im (forming it inside a GEMM would need a GEMM that scatters its output).
func (c cpuBackend) ConvInput(dx, dy, w Storage, g ConvGeom, cout int) {
	if t := winogradTile(g, cout, dx.DType(), inputPass); t != 0 {
		ws := winogradWorkspace(g, cout)
		winograd.ConvInput(t, cpuData[float32](dx), cpuData[float32](dy), cpuData[float32](w), g.N, g.C, g.H, g.W, cout, g.PadH, CPUFloat32s(ws))
		Release(ws)
		return
	}
	if shiftApplies(g, cout, dx.DType()) {
		shiftInput(dx, dy, w, g, cout)
		return
	}
	composedInput(c, dx, dy, w, g, cout)
}

// ConvWeight implements Convolver: Winograd or the shifted image as ConvForward, else
// dW = Σ_n dy_n · cols_nᵀ with the columns formed inside the GEMM, one image at a time.
func (c cpuBackend) ConvWeight(dw, dy, x Storage, g ConvGeom, cout int) {
	if t := winogradTile(g, cout, dw.DType(), weightPass); t != 0 {
		ws := winogradWorkspace(g, cout)
		winograd.ConvWeight(t, cpuData[float32](dw), cpuData[float32](dy), cpuData[float32](x), g.N, g.C, g.H, g.W, cout, g.PadH, CPUFloat32s(ws))
		Release(ws)
		return
	}
	if shiftApplies(g, cout, dw.DType()) {
		shiftWeight(dw, dy, x, g, cout)
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

// convPass names the pass of a convolution that a Winograd tile is chosen for.
type convPass int

const (
	forwardPass convPass = iota // Conv2d
	inputPass                   // Conv2dInput (also a transposed convolution's forward)
	weightPass                  // Conv2dWeight
)

// winogradTile returns the Winograd tile that pass p of the convolution g with cout output
// channels runs with on the CPU, or 0 for the direct path. Winograd applies to float32 3×3
// kernels at stride 1 and dilation 1 with a padding of at most 2 (float64 always runs direct, so
// that GradCheck compares exact sums). Under ConvAuto it is taken where it measured faster (see
// autoTile).
func winogradTile(g ConvGeom, cout int, dt DType, p convPass) winograd.Tile {
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
	return autoTile(g, cout, p)
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

// autoTile is ConvAuto's choice for pass p of a convolution that Winograd can compute, by the
// measurements below:
//
//   - forward: F(2×2, 3×3), which beats direct on every measured shape. Not F(4×4, 3×3) in
//     training: its float32 rounding reaches the generator's outputs and every gradient
//     behind them, 5-7 times PyTorch's error (see ConvWinograd4). A forward-only pass
//     (g.ForwardOnly: translation, evaluation, whose output becomes 8-bit pixels, where F4's
//     1e-5 is invisible) takes F4 from 32x32 on, where it is faster still.
//   - weight gradient: F4 from 32x32 on, F2 below. Its rounding stays in the weight
//     gradients, and there within PyTorch's own: zebra-bench check's same-branch G gradients
//     at 128x128 4.06e-6 with F2, 4.15e-6 with F4 (PyTorch 3.09e-6); at 256x256 8.21e-6 and
//     8.39e-6 (PyTorch 3.76e-6; the input gradients are F4 in all four).
//   - input gradient: F4 from 32x32 on where it beats direct (64 channels; 32 from 64x64),
//     direct below, where Winograd's edge tiles (the output is 2 larger than the input) cost
//     too much. Within PyTorch's error as above. A convolution behind a one-pixel reflection
//     pad (the residual blocks) has its own, cheaper path: reflectInputTile.
//
// TestTuneConvCrossover (conv_tune_test.go): C = Cout channels at output sizes 16, 32 and 64
// (pad 0 on an input 2 larger, batch 1; AMD EPYC Zen 4, 2 threads, machine shared, best of 5
// interleaved rounds), as direct time / Winograd time, F2 then F4:
//
//	       Conv                          ConvWeight                    ConvInput
//	C      16x16    32x32    64x64       16x16    32x32    64x64       16x16    32x32    64x64
//	 32  1.07/.57 1.19/1.73 1.28/2.22  1.19/.95 1.19/1.91 1.26/2.22  .57/.43  .97/.95 1.14/1.40
//	 64  1.39/.87 1.58/2.39 1.68/2.83  1.28/1.07 1.59/2.48 1.60/2.94 .61/.46  .96/1.06 1.14/1.47
//	128  1.37/.96 1.72/2.49 1.79/2.94  1.46/1.23 1.85/2.90 1.70/2.96 .70/.56 1.10/1.28 1.40/1.83
//	256  1.44/1.04 1.77/2.88 1.89/3.04 1.51/1.34 1.78/2.76 1.78/3.06 .75/.65 1.20/1.48 1.59/2.10
//
// Below 32 channels or 8x8 pixels nothing was measured, and direct runs.
func autoTile(g ConvGeom, cout int, p convPass) winograd.Tile {
	channels, pixels := min(g.C, cout), g.OH*g.OW
	if channels < 32 || pixels < 64 {
		return 0
	}
	switch p {
	case forwardPass:
		if g.ForwardOnly && pixels >= 32*32 {
			return winograd.F4
		}
		return winograd.F2
	case weightPass:
		if pixels >= 32*32 {
			return winograd.F4
		}
		return winograd.F2
	}
	if pixels >= 64*64 || (pixels >= 32*32 && channels >= 64) {
		return winograd.F4
	}
	return 0
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
