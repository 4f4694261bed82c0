package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// Conv2dOptions is the geometry of a 2-D convolution, each as (height, width). The zero value is
// PyTorch's default: stride 1, no padding, dilation 1.
type Conv2dOptions struct {
	Stride   [2]int // step between output positions; 0 means 1
	Padding  [2]int // zeros added on both sides of the input
	Dilation [2]int // spacing between kernel taps; 0 means 1
}

// orOne replaces zeros (unset options) by 1.
func orOne(p [2]int) [2]int {
	for i, v := range p {
		if v == 0 {
			p[i] = 1
		}
	}
	return p
}

// Conv2d is the 2-D cross-correlation of PyTorch's torch.nn.functional.conv2d (groups 1):
//
//	y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·sH − padH + p·dH, j·sW − padW + q·dW]
//
// with x read as 0 outside the image. x is [N, Cin, H, W], w is [Cout, Cin, KH, KW] and b, which
// may be nil, is [Cout]. The result is [N, Cout, OH, OW] with
//
//	OH = (H + 2·padH − dH·(KH−1) − 1)/sH + 1, and likewise OW.
//
// It runs as im2col followed by one batched GEMM per call: the columns cols_n [Cin·KH·KW, OH·OW]
// of each image are multiplied by the weight seen as a matrix [Cout, Cin·KH·KW], which the GEMM
// reuses for the whole batch (stride 0). On a backend that implements tensor.Im2colGemmer (the
// CPU's) the columns are never built: the GEMM forms each block of them from the image where it
// packs it, which saves writing KH·KW times the input's size and reading it back. The bias is written into the output first and the GEMM
// adds to it (beta 1), so the bias costs no extra pass.
//
// Backward, with dY_n the output gradient of image n seen as [Cout, OH·OW]:
//
//	dW = Σ_n dY_n · cols_nᵀ   dcols_n = Wᵀ · dY_n, dx = col2im(dcols)   db = Σ_{n,i,j} dY
//
// The input gradient is thus a transposed convolution of dY. The columns are recomputed from x in
// the backward pass rather than kept from the forward: they are KH·KW times the input's size, and
// keeping them for every convolution of a CycleGAN step would cost gigabytes (about 1.6 GB per
// generator pass at 256×256, six passes per step), while im2col is one memory pass next to a GEMM
// that does Cout multiply-adds per column element. Once dW is done, the same buffer receives dcols, so the
// backward allocates one column buffer, not two. A 1×1 convolution with stride 1 and no padding
// needs no columns at all: x itself is the column matrix. Columns larger than maxColumns are
// never built whole: the convolution then runs in strips of output rows (see convBands). A
// stride-1 convolution from many channels to few (CycleGAN's last layer, 64→3) runs instead as
// the equivalent transposed convolution, whose columns are sized by the output channels (see
// convAsTransposed).
func Conv2d(x, w, b *Var, o Conv2dOptions) *Var {
	const op = "autograd.Conv2d"
	checkConvOperands(op, x, w, b, 0)
	if x.Value.Dim(1) != w.Value.Dim(1) {
		panic(fmt.Sprintf("%s: input %v has %d channels, weight %v expects %d", op, x.Shape(), x.Value.Dim(1), w.Shape(), w.Value.Dim(1)))
	}
	g := newConvGeom(op, x.Value.Dim(0), x.Value.Dim(1), x.Value.Dim(2), x.Value.Dim(3), w.Value.Dim(2), w.Value.Dim(3), o.Stride, o.Padding, o.Dilation)
	cout, rows, plane := w.Value.Dim(0), g.C*g.KH*g.KW, g.OH*g.OW
	if prefersTransposedForm(g, cout) {
		return convAsTransposed(x, w, b, g)
	}

	var out *tensor.Tensor
	beta := 0.0
	if b != nil {
		out = broadcastBias(b.Value, g.N, plane)
		beta = 1
	} else {
		out = tensor.New(x.Value.Backend(), x.DType(), g.N, cout, plane)
	}
	bands := convBands(g)
	for _, bd := range bands {
		in := bd.input(x.Value, g)
		bandPlane := bd.g.OH * g.OW
		cols := columnSource{x: in, g: bd.g}
		cols.gemm(tensor.GemmArgs{
			M: cout, N: bandPlane, K: rows, Alpha: 1, Beta: beta, Batch: g.N,
			A: w.Value.Storage(), LDA: rows, StrideA: 0,
			LDB: bandPlane, StrideB: rows * bandPlane,
			C: out.Storage(), OffC: bd.oh0 * g.OW, LDC: plane, StrideC: cout * plane,
		})
		cols.release()
		if !bd.whole {
			tensor.Release(in) // the strip's copy of the input rows
		}
	}
	out = tensor.Reshape(out, g.N, cout, g.OH, g.OW)

	inputs := []*Var{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	return record("conv2d", out, inputs, func(gy *tensor.Tensor) []*tensor.Tensor {
		grads := make([]*tensor.Tensor, len(inputs))
		var dw, dx *tensor.Tensor
		if w.requiresGrad {
			dw = tensor.New(gy.Backend(), gy.DType(), cout, rows)
		}
		if x.requiresGrad && len(bands) > 1 {
			// The strips' input rows overlap; their gradients are summed into a padded image.
			dx = tensor.New(gy.Backend(), gy.DType(), g.N, g.C, g.H+2*g.PadH, g.W)
		}
		done := 0 // padded input rows of dx that hold earlier strips' gradients
		for i, bd := range bands {
			bandPlane := bd.g.OH * g.OW
			var cols *tensor.Tensor
			if w.requiresGrad {
				// dW += Σ_n dY_n · cols_nᵀ over the strip's output positions.
				in := bd.input(x.Value, g)
				beta := 1.0
				if i == 0 {
					beta = 0
				}
				src := columnSource{x: in, g: bd.g}
				src.gemmSumOverBatch(tensor.GemmArgs{
					TransB: true, M: cout, N: rows, K: bandPlane, Alpha: 1, Beta: beta, Batch: g.N,
					A: gy.Storage(), OffA: bd.oh0 * g.OW, LDA: plane, StrideA: cout * plane,
					LDB: bandPlane, StrideB: rows * bandPlane,
					C: dw.Storage(), LDC: rows,
				})
				cols = src.take() // nil when they were formed inside the GEMM
				if !bd.whole && !isPointwise(bd.g) {
					tensor.Release(in)
				}
			}
			if x.requiresGrad {
				// dcols_n = Wᵀ · dY_n, the weight again shared by the whole batch. The columns of
				// x are no longer needed, so their buffer takes dcols (unless it is x itself).
				dcols := cols
				if dcols == nil || isPointwise(bd.g) {
					dcols = tensor.Empty(gy.Backend(), gy.DType(), g.N, rows, bandPlane) // beta 0 overwrites it
				}
				gy.Backend().Gemm(tensor.GemmArgs{
					TransA: true, M: rows, N: bandPlane, K: cout, Alpha: 1, Beta: 0, Batch: g.N,
					A: w.Value.Storage(), LDA: rows, StrideA: 0,
					B: gy.Storage(), OffB: bd.oh0 * g.OW, LDB: plane, StrideB: cout * plane,
					C: dcols.Storage(), LDC: bandPlane, StrideC: rows * bandPlane,
				})
				if len(bands) == 1 {
					dx = uncolumns(dcols, bd.g)
				} else {
					addRows(dx, uncolumns(dcols, bd.g), bd.r0, done)
					done = bd.r0 + bd.g.H
				}
				if !isPointwise(bd.g) {
					tensor.Release(dcols)
				}
			} else if cols != nil {
				releaseColumns(cols, bd.g)
			}
		}
		if dw != nil {
			grads[1] = tensor.Reshape(dw, w.Shape()...)
		}
		if dx != nil && len(bands) > 1 && g.PadH > 0 {
			dx = tensor.Narrow(dx, 2, g.PadH, g.H)
		}
		grads[0] = dx
		if b != nil && b.requiresGrad {
			grads[2] = tensor.Sum(gy, []int{0, 2, 3}, false)
		}
		return grads
	})
}

// maxColumns caps the size, in elements, of the column buffer that Conv2d materializes at once.
// Most layers fit in one buffer; a larger one is split into strips of output rows, each with its
// own im2col and GEMM. CycleGAN's last layer (64 channels, 7×7, at 256×256) would otherwise need
// 205 million columns (822 MB in float32) in each pass; capped at 2^24 (64 MB) it runs in 13
// strips. The cap is a variable so that tests can force strips everywhere.
var maxColumns = 1 << 24

// convBand is a strip of output rows [oh0, oh0+g.OH) of a convolution: g is the geometry of its
// own im2col. A lone band is the whole convolution and reads the input as it is; the strips of a
// split one read rows of the input padded explicitly at the top and bottom, starting at padded
// row r0, and have no vertical padding of their own.
type convBand struct {
	oh0, r0 int
	g       tensor.ConvGeom
	whole   bool
}

// convBands splits the convolution g into strips whose columns fit in maxColumns.
func convBands(g tensor.ConvGeom) []convBand {
	perRow := g.N * g.C * g.KH * g.KW * g.OW // columns of one output row
	rowsPerBand := max(1, maxColumns/max(perRow, 1))
	if rowsPerBand >= g.OH {
		return []convBand{{g: g, whole: true}}
	}
	var bands []convBand
	for oh0 := 0; oh0 < g.OH; oh0 += rowsPerBand {
		n := min(rowsPerBand, g.OH-oh0)
		r0 := oh0 * g.StrideH
		inRows := (n-1)*g.StrideH + g.DilH*(g.KH-1) + 1
		bg := tensor.NewConvGeom(g.N, g.C, inRows, g.W, g.KH, g.KW, g.StrideH, g.StrideW, 0, g.PadW, g.DilH, g.DilW)
		bands = append(bands, convBand{oh0: oh0, r0: r0, g: bg})
	}
	return bands
}

// input returns the image the strip's im2col reads: x itself for a lone band, else a copy of the
// padded rows [r0, r0+g.H) of x, zero where they fall in the vertical padding.
func (bd convBand) input(x *tensor.Tensor, g tensor.ConvGeom) *tensor.Tensor {
	if bd.whole {
		return x
	}
	xb := tensor.New(x.Backend(), x.DType(), g.N, g.C, bd.g.H, g.W)
	first, last := max(bd.r0, g.PadH), min(bd.r0+bd.g.H, g.PadH+g.H) // padded rows that hold pixels
	if first < last {
		x.Backend().Copy(xb.Storage(), (first-bd.r0)*g.W, []int{g.C * bd.g.H * g.W, bd.g.H * g.W, g.W, 1},
			x.Storage(), (first-g.PadH)*g.W, []int{g.C * g.H * g.W, g.H * g.W, g.W, 1}, []int{g.N, g.C, last - first, g.W})
	}
	return xb
}

// addRows adds the strip gradient part [N, C, rows, W] into dst [N, C, Hp, W] at row r0. Rows of
// dst below done already hold earlier strips' gradients and are summed with the new ones; the rest
// are copied.
func addRows(dst, part *tensor.Tensor, r0, done int) {
	n, c, rows, w := part.Dim(0), part.Dim(1), part.Dim(2), part.Dim(3)
	hp := dst.Dim(2)
	overlap := min(max(done-r0, 0), rows)
	write := func(src *tensor.Tensor, srcRows, from, to, count int) {
		dst.Backend().Copy(dst.Storage(), to*w, []int{c * hp * w, hp * w, w, 1},
			src.Storage(), from*w, []int{c * srcRows * w, srcRows * w, w, 1}, []int{n, c, count, w})
	}
	if overlap > 0 {
		sum := tensor.Add(tensor.Narrow(dst, 2, r0, overlap), tensor.Narrow(part, 2, 0, overlap))
		write(sum, overlap, 0, r0, overlap)
	}
	if overlap < rows {
		write(part, rows, overlap, r0+overlap, rows-overlap)
	}
}

// checkConvOperands panics unless x and w are 4-D, b is nil or 1-D with one entry per output
// channel of w (its dimension outDim), and all share one dtype and device.
func checkConvOperands(op string, x, w, b *Var, outDim int) {
	if x.Value.NDim() != 4 || w.Value.NDim() != 4 {
		panic(fmt.Sprintf("%s: input %v and weight %v must both be 4-D", op, x.Shape(), w.Shape()))
	}
	if b != nil && (b.Value.NDim() != 1 || b.Value.Dim(0) != w.Value.Dim(outDim)) {
		panic(fmt.Sprintf("%s: bias %v does not match the %d output channels of weight %v", op, b.Shape(), w.Value.Dim(outDim), w.Shape()))
	}
	ts := []*tensor.Tensor{x.Value, w.Value}
	if b != nil {
		ts = append(ts, b.Value)
	}
	for _, t := range ts[1:] {
		if t.DType() != x.DType() || t.Backend() != x.Value.Backend() {
			panic(fmt.Sprintf("%s: operands %s %v on %s and %s %v on %s differ in dtype or device",
				op, x.DType(), x.Shape(), x.Value.Backend().Name(), t.DType(), t.Shape(), t.Backend().Name()))
		}
	}
}

// newConvGeom validates the options and builds the im2col geometry of an n×c×h×w image and a
// kh×kw kernel, panicking with the op's name when the image is too small.
func newConvGeom(op string, n, c, h, w, kh, kw int, stride, padding, dilation [2]int) tensor.ConvGeom {
	stride, dilation = orOne(stride), orOne(dilation)
	if min(stride[0], stride[1], dilation[0], dilation[1]) < 1 || min(padding[0], padding[1]) < 0 {
		panic(fmt.Sprintf("%s: stride %v and dilation %v must be positive and padding %v non-negative", op, stride, dilation, padding))
	}
	for i, size := range [2]int{h, w} {
		k := [2]int{kh, kw}[i]
		if size+2*padding[i] < dilation[i]*(k-1)+1 {
			panic(fmt.Sprintf("%s: input %dx%d padded by %v is smaller than the %dx%d kernel dilated by %v", op, h, w, padding, kh, kw, dilation))
		}
	}
	return tensor.NewConvGeom(n, c, h, w, kh, kw, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1])
}

// isPointwise reports whether im2col is the identity for g: a 1×1 kernel at stride 1 without
// padding reads every pixel exactly once, in order. (A transposed convolution's geometry can have
// fewer output positions than pixels, with an output padding; then it is not.)
func isPointwise(g tensor.ConvGeom) bool {
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.OH == g.H && g.OW == g.W
}

// columns returns im2col(x) as [N, C·KH·KW, OH·OW], or x itself reshaped when that is the same.
func columns(x *tensor.Tensor, g tensor.ConvGeom) *tensor.Tensor {
	if isPointwise(g) {
		return tensor.Reshape(x, g.N, g.C, g.H*g.W)
	}
	return tensor.Im2col(x, g)
}

// releaseColumns hands a column buffer made by columns back for reuse, unless it is the input
// itself (a pointwise convolution's).
func releaseColumns(cols *tensor.Tensor, g tensor.ConvGeom) {
	if !isPointwise(g) {
		tensor.Release(cols)
	}
}

// uncolumns is col2im, columns' adjoint, returning [N, C, H, W].
func uncolumns(cols *tensor.Tensor, g tensor.ConvGeom) *tensor.Tensor {
	if isPointwise(g) {
		return tensor.Reshape(cols, g.N, g.C, g.H, g.W)
	}
	return tensor.Col2im(cols, g)
}

// broadcastBias returns a new [N, C, plane] tensor holding b[c] everywhere in channel c, ready to
// be accumulated into.
func broadcastBias(b *tensor.Tensor, n, plane int) *tensor.Tensor {
	c := b.Numel()
	return tensor.Expand(tensor.Reshape(b, 1, c, 1), n, c, plane)
}

// gemmSumOverBatch computes C = beta·C + Σ_i op(A_i)·op(B_i) over the g.Batch matrices of A and B
// (g.StrideC is ignored): the weight gradient of a convolution, summed over the batch. Each image's
// product is accumulated into C by a GEMM with beta 1, one image at a time, so no per-image partial
// results are stored. (A batched GEMM with a C stride of 0 would do the same on the CPU but race on
// devices that run the batch in parallel.)
func gemmSumOverBatch(g tensor.GemmArgs) {
	gemmEachImage(g, func(one tensor.GemmArgs, _ int) { g.C.Backend().Gemm(one) })
}

// gemmEachImage calls run with each image's product of the batched g (Batch 1, no strides,
// offsets moved to the image, beta 1 after the first) and the image's index.
func gemmEachImage(g tensor.GemmArgs, run func(one tensor.GemmArgs, i int)) {
	for i := range g.Batch {
		one := g
		one.Batch, one.StrideA, one.StrideB, one.StrideC = 1, 0, 0, 0
		one.OffA += i * g.StrideA
		one.OffB += i * g.StrideB
		if i > 0 {
			one.Beta = 1
		}
		run(one, i)
	}
}

// columnSource is the im2col columns of x (geometry g) as the B of GEMMs. On a backend that
// implements tensor.Im2colGemmer they are formed inside each GEMM and never built; elsewhere
// they are built on first use and shared by the products that follow, until take or release.
type columnSource struct {
	x    *tensor.Tensor
	g    tensor.ConvGeom
	cols *tensor.Tensor // the built columns, nil until a product needs them
}

// implicit returns backend as a tensor.Im2colGemmer when the products go through it: when it
// implements it, the columns are more than the input itself (not a pointwise convolution), and
// the tests have not turned it off.
func (s *columnSource) implicit(backend tensor.Backend) (tensor.Im2colGemmer, bool) {
	ig, ok := backend.(tensor.Im2colGemmer)
	return ig, ok && useImplicitColumns && !isPointwise(s.g)
}

// built returns the columns, building them if no product has yet.
func (s *columnSource) built() *tensor.Tensor {
	if s.cols == nil {
		s.cols = columns(s.x, s.g)
	}
	return s.cols
}

// gemm runs the batched product g with B the columns.
func (s *columnSource) gemm(g tensor.GemmArgs) {
	if ig, ok := s.implicit(g.C.Backend()); ok {
		ig.GemmIm2col(g, s.x.Storage(), 0, s.g)
		return
	}
	g.B = s.built().Storage()
	g.C.Backend().Gemm(g)
}

// gemmSumOverBatch is gemmSumOverBatch(g) with B the columns.
func (s *columnSource) gemmSumOverBatch(g tensor.GemmArgs) {
	if ig, ok := s.implicit(g.C.Backend()); ok {
		image := s.g.C * s.g.H * s.g.W
		gemmEachImage(g, func(one tensor.GemmArgs, i int) { ig.GemmIm2col(one, s.x.Storage(), i*image, s.g) })
		return
	}
	g.B = s.built().Storage()
	gemmSumOverBatch(g)
}

// take returns the built columns, nil if none were built, and leaves them to the caller.
func (s *columnSource) take() *tensor.Tensor {
	cols := s.cols
	s.cols = nil
	return cols
}

// release hands built columns back for reuse (see releaseColumns).
func (s *columnSource) release() {
	if s.cols != nil {
		releaseColumns(s.take(), s.g)
	}
}

// prefersTransposedForm reports whether the stride-1 convolution g with cout output channels
// is cheaper run as convAsTransposed. Both forms materialize one column matrix per pass: im2col's
// is [Cin·KH·KW, OH·OW], the transposed form's [Cout·KH·KW, H·W]. A layer that maps many channels
// to few (CycleGAN's last 64→3 7×7 convolution, PatchGAN's last 512→1) has columns 20 to 500
// times smaller in the transposed form, and its GEMMs get Cout·KH·KW rows instead of Cout (3 or
// 1, which leaves most of a micro-kernel idle). The transposed form has no strips, so it is taken
// only when its columns fit in maxColumns.
func prefersTransposedForm(g tensor.ConvGeom, cout int) bool {
	if g.StrideH != 1 || g.StrideW != 1 || g.PadH > g.DilH*(g.KH-1) || g.PadW > g.DilW*(g.KW-1) {
		return false
	}
	im2colCols := g.N * g.C * g.KH * g.KW * g.OH * g.OW
	transposedCols := g.N * cout * g.KH * g.KW * g.H * g.W
	return 2*transposedCols <= im2colCols && transposedCols <= maxColumns
}

// convAsTransposed computes a stride-1 Conv2d as the transposed convolution of the same input with
// the kernel flipped in both spatial directions and its two channel dimensions swapped:
//
//	conv2d(x, w, padding p, dilation d) = conv_transpose2d(x, w', padding d·(K−1) − p, dilation d),
//	w'[c, o, i, j] = w[o, c, KH−1−i, KW−1−j]
//
// (substitute the output position into the transposed convolution's scatter to see it). The
// flip is a product with the KH·KW×KH·KW reversal matrix and the swap a Permute, both ordinary
// differentiable ops on the small weight, so the weight gradient needs no code of its own.
func convAsTransposed(x, w, b *Var, g tensor.ConvGeom) *Var {
	cout, cin, taps := w.Value.Dim(0), w.Value.Dim(1), g.KH*g.KW
	flipped := Matmul(Reshape(w, cout*cin, taps), Constant(reversal(w.Value.Backend(), w.DType(), taps)))
	wt := Permute(Reshape(flipped, cout, cin, g.KH, g.KW), 1, 0, 2, 3)
	return ConvTranspose2d(x, wt, b, ConvTranspose2dOptions{
		Padding:  [2]int{g.DilH*(g.KH-1) - g.PadH, g.DilW*(g.KW-1) - g.PadW},
		Dilation: [2]int{g.DilH, g.DilW},
	})
}

// reversal returns the n×n anti-identity matrix J (J[i][n−1−i] = 1): v·J is v reversed. Products
// with it are exact: every output element is one input element times 1 plus zeros.
func reversal(b tensor.Backend, dt tensor.DType, n int) *tensor.Tensor {
	host := make([]float64, n*n)
	for i := range n {
		host[i*n+n-1-i] = 1
	}
	return tensor.Cast(tensor.FromFloat64(host, n, n), dt).To(b)
}

// useImplicitColumns lets convolutions use tensor.Im2colGemmer; the tests turn it off to check
// that both ways give the same bits.
var useImplicitColumns = true
