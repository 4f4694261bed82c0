package tensor

// The composed path: a convolution pass from the Backend's own kernels, for backends without a
// Convolver (the GPU backends) and for the passes the CPU's Convolver leaves to it.
//
//	forward   y_n  = W · cols_n (+ b)            cols_n = im2col(x_n)
//	input     dx_n = col2im(Wᵀ · dy_n)
//	weight    dW   = Σ_n dy_n · cols_nᵀ
//
// Columns larger than maxColumns are never built whole: the pass then runs in strips of output
// rows (convBands), each with its own columns.

// maxColumns caps the size, in elements, of a column matrix built at once. Most layers fit in one
// buffer; a larger one is split into strips of output rows. CycleGAN's last layer (64 channels,
// 7×7, at 256×256) would otherwise need 205 million columns (822 MB in float32) in each pass,
// and 13 strips at 2^24 (64 MB); it is run in the swapped form instead (prefersSwapped), whose
// columns are 21 times smaller. The cap is a variable so that tests can force strips everywhere.
var maxColumns = 1 << 24

func composedForward(b Backend, y, x, w, bias Storage, g ConvGeom, cout int) {
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	beta := 0.0
	if bias != nil {
		writeBias(b, y, bias, g.N, cout, plane)
		beta = 1
	}
	for _, bd := range convBands(g) {
		in := bd.input(b, x, g)
		cols := columns(in, bd.g)
		b.Gemm(GemmArgs{
			M: cout, N: bd.g.OH * g.OW, K: rows, Alpha: 1, Beta: beta, Batch: g.N,
			A: w, LDA: rows, StrideA: 0, // one weight for the whole batch
			B: cols.storage, LDB: bd.g.OH * g.OW, StrideB: rows * bd.g.OH * g.OW,
			C: y, OffC: bd.oh0 * g.OW, LDC: plane, StrideC: cout * plane,
		})
		releaseColumns(cols, in)
		bd.release(in)
	}
}

// writeBias writes bias[o] into every element of channel o of y [n, cout, plane]: a forward
// pass writes its bias first and lets the GEMM add to it (beta 1), so the bias costs no extra
// pass.
func writeBias(b Backend, y, bias Storage, n, cout, plane int) {
	b.Copy(y, 0, []int{cout * plane, plane, 1}, bias, 0, []int{0, 1, 0}, []int{n, cout, plane})
}

func composedWeight(b Backend, dw, dy, x Storage, g ConvGeom, cout int) {
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	for i, bd := range convBands(g) {
		in := bd.input(b, x, g)
		cols := columns(in, bd.g)
		beta := 1.0
		if i == 0 {
			beta = 0
		}
		gemmSumOverBatch(b, GemmArgs{
			TransB: true, M: cout, N: rows, K: bd.g.OH * g.OW, Alpha: 1, Beta: beta, Batch: g.N,
			A: dy, OffA: bd.oh0 * g.OW, LDA: plane, StrideA: cout * plane,
			B: cols.storage, LDB: bd.g.OH * g.OW, StrideB: rows * bd.g.OH * g.OW,
			C: dw, LDC: rows,
		})
		releaseColumns(cols, in)
		bd.release(in)
	}
}

func composedInput(b Backend, dx, dy, w Storage, g ConvGeom, cout int) {
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	bands := convBands(g)
	var padded *Tensor // strips overlap: their gradients are summed into a padded image
	if len(bands) > 1 {
		padded = New(b, dx.DType(), g.N, g.C, g.H+2*g.PadH, g.W)
	}
	done := 0 // padded rows that hold earlier strips' gradients
	for _, bd := range bands {
		bandPlane := bd.g.OH * g.OW
		gemm := GemmArgs{
			TransA: true, M: rows, N: bandPlane, K: cout, Alpha: 1, Batch: g.N,
			A: w, LDA: rows, StrideA: 0,
			B: dy, OffB: bd.oh0 * g.OW, LDB: plane, StrideB: cout * plane,
			LDC: bandPlane, StrideC: rows * bandPlane,
		}
		if isPointwise(bd.g) { // one band, and dcols is dx itself
			gemm.C = dx
			b.Gemm(gemm)
			continue
		}
		dcols := Empty(b, dx.DType(), g.N, rows, bandPlane) // beta 0 overwrites it
		gemm.C = dcols.storage
		b.Gemm(gemm)
		if padded == nil {
			b.Col2im(dx, dcols.storage, bd.g)
		} else {
			part := Col2im(dcols, bd.g)
			addRows(padded, part, bd.r0, done)
			done = bd.r0 + bd.g.H
			Release(part)
		}
		Release(dcols)
	}
	if padded != nil {
		strides := []int{g.C * g.H * g.W, g.H * g.W, g.W, 1}
		b.Copy(dx, 0, strides, padded.storage, g.PadH*g.W, ContiguousStrides(padded.shape), []int{g.N, g.C, g.H, g.W})
	}
}

// convBand is a strip of output rows [oh0, oh0+g.OH) of a convolution: g is the geometry of its
// own im2col. A lone band is the whole convolution and reads the input as it is; the strips of a
// split one read rows of the input padded explicitly at the top and bottom, starting at padded
// row r0, and have no vertical padding of their own.
type convBand struct {
	oh0, r0 int
	g       ConvGeom
	whole   bool
}

// convBands splits the convolution g into strips whose columns fit in maxColumns.
func convBands(g ConvGeom) []convBand {
	perRow := g.N * g.C * g.KH * g.KW * g.OW // columns of one output row
	rowsPerBand := max(1, maxColumns/max(perRow, 1))
	if rowsPerBand >= g.OH || isPointwise(g) {
		return []convBand{{g: g, whole: true}}
	}
	var bands []convBand
	for oh0 := 0; oh0 < g.OH; oh0 += rowsPerBand {
		n := min(rowsPerBand, g.OH-oh0)
		r0 := oh0 * g.StrideH
		inRows := (n-1)*g.StrideH + g.DilH*(g.KH-1) + 1
		bg := NewConvGeom(g.N, g.C, inRows, g.W, g.KH, g.KW, g.StrideH, g.StrideW, 0, g.PadW, g.DilH, g.DilW)
		bg.OW = g.OW // a transposed convolution's geometry may keep fewer columns than the formula
		bands = append(bands, convBand{oh0: oh0, r0: r0, g: bg})
	}
	return bands
}

// input returns the image the strip's im2col reads: x itself for a lone band, else a copy of the
// padded rows [r0, r0+g.H) of x, zero where they fall in the vertical padding.
func (bd convBand) input(b Backend, x Storage, g ConvGeom) *Tensor {
	if bd.whole {
		return &Tensor{shape: []int{g.N, g.C, g.H, g.W}, dtype: x.DType(), storage: x}
	}
	xb := New(b, x.DType(), g.N, g.C, bd.g.H, g.W)
	first, last := max(bd.r0, g.PadH), min(bd.r0+bd.g.H, g.PadH+g.H) // padded rows that hold pixels
	if first < last {
		b.Copy(xb.storage, (first-bd.r0)*g.W, []int{g.C * bd.g.H * g.W, bd.g.H * g.W, g.W, 1},
			x, (first-g.PadH)*g.W, []int{g.C * g.H * g.W, g.H * g.W, g.W, 1}, []int{g.N, g.C, last - first, g.W})
	}
	return xb
}

// release hands a strip's copy of the input rows back for reuse.
func (bd convBand) release(in *Tensor) {
	if !bd.whole {
		Release(in)
	}
}

// addRows adds the strip gradient part [N, C, rows, W] into dst [N, C, Hp, W] at row r0. Rows of
// dst below done already hold earlier strips' gradients and are summed with the new ones; the rest
// are copied.
func addRows(dst, part *Tensor, r0, done int) {
	n, c, rows, w := part.Dim(0), part.Dim(1), part.Dim(2), part.Dim(3)
	hp := dst.Dim(2)
	overlap := min(max(done-r0, 0), rows)
	write := func(src *Tensor, srcRows, from, to, count int) {
		dst.Backend().Copy(dst.storage, to*w, []int{c * hp * w, hp * w, w, 1},
			src.storage, from*w, []int{c * srcRows * w, srcRows * w, w, 1}, []int{n, c, count, w})
	}
	if overlap > 0 {
		sum := Add(Narrow(dst, 2, r0, overlap), Narrow(part, 2, 0, overlap))
		write(sum, overlap, 0, r0, overlap)
	}
	if overlap < rows {
		write(part, rows, overlap, r0+overlap, rows-overlap)
	}
}

// isPointwise reports whether im2col is the identity for g: a 1×1 kernel at stride 1 without
// padding reads every pixel exactly once, in order. (A transposed convolution's geometry can have
// fewer output positions than pixels, with an output padding; then it is not.)
func isPointwise(g ConvGeom) bool {
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.OH == g.H && g.OW == g.W
}

// columns returns im2col(x) as [N, C·KH·KW, OH·OW], or x itself reshaped when that is the same.
func columns(x *Tensor, g ConvGeom) *Tensor {
	if isPointwise(g) {
		return Reshape(x, g.N, g.C, g.H*g.W)
	}
	return Im2col(x, g)
}

// releaseColumns hands a column buffer made by columns back for reuse, unless it is the image
// itself (a pointwise convolution's).
func releaseColumns(cols, x *Tensor) {
	if cols.storage != x.storage {
		Release(cols)
	}
}

// gemmSumOverBatch computes C = beta·C + Σ_i op(A_i)·op(B_i) over the g.Batch matrices of A and B
// (g.StrideC is ignored): a convolution's weight gradient, summed over the batch. Each image's
// product is accumulated into C by a GEMM with beta 1, one image at a time, so no per-image partial
// results are stored. (A batched GEMM with a C stride of 0 would do the same on the CPU but race on
// devices that run the batch in parallel.)
func gemmSumOverBatch(b Backend, g GemmArgs) {
	gemmEachImage(g, func(one GemmArgs, _ int) { b.Gemm(one) })
}

// gemmEachImage calls run with each image's product of the batched g (Batch 1, no strides,
// offsets moved to the image, beta 1 after the first) and the image's index.
func gemmEachImage(g GemmArgs, run func(one GemmArgs, i int)) {
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
