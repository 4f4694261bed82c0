package tensor

import (
	"fmt"

	"github.com/zebra-go/zebra/internal/vec"
)

func (cpuBackend) Im2col(cols, x Storage, g ConvGeom) {
	checkConvLens("cpu.Im2col", cols, x, g)
	switch x.DType() {
	case Float32:
		im2col(cpuData[float32](cols), cpuData[float32](x), g)
	case Float64:
		im2col(cpuData[float64](cols), cpuData[float64](x), g)
	}
}

func (cpuBackend) Col2im(x, cols Storage, g ConvGeom) {
	checkConvLens("cpu.Col2im", cols, x, g)
	switch x.DType() {
	case Float32:
		col2im(cpuData[float32](x), cpuData[float32](cols), g)
	case Float64:
		col2im(cpuData[float64](x), cpuData[float64](cols), g)
	}
}

func checkConvLens(op string, cols, x Storage, g ConvGeom) {
	if x.Len() != g.N*g.C*g.H*g.W || cols.Len() != g.N*g.C*g.KH*g.KW*g.OH*g.OW || x.DType() != cols.DType() {
		panic(fmt.Sprintf("tensor: %s: geometry %+v does not match %d image and %d column elements", op, g, x.Len(), cols.Len()))
	}
}

// im2col writes, for every image n, channel c and kernel tap (kh, kw), one row of OH*OW values: the
// input pixel each output position reads through that tap, or 0 where the tap falls in the padding.
// Row (c*KH+kh)*KW+kw of image n is what a GEMM with the weight [Cout, C*KH*KW] consumes.
func im2col[T float](cols, x []T, g ConvGeom) {
	rows := g.C * g.KH * g.KW
	plane := g.OH * g.OW
	parallelFor(g.N*rows, max(1, elementwiseGrain/max(plane, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			n, row := r/rows, r%rows
			c, kh, kw := row/(g.KH*g.KW), row/g.KW%g.KH, row%g.KW
			img := x[(n*g.C+c)*g.H*g.W:][:g.H*g.W]
			out := cols[r*plane:][:plane]
			// Only output columns [owLo, owHi) read inside the image; the rest are padding.
			// Splitting each row once keeps the branch out of the copy loop, and with stride 1
			// the copy is a memmove.
			off := kw*g.DilW - g.PadW
			owLo, owHi := validRange(g.OW, g.W, g.StrideW, off)
			for oh := range g.OH {
				ih := oh*g.StrideH - g.PadH + kh*g.DilH
				dst := out[oh*g.OW:][:g.OW]
				if ih < 0 || ih >= g.H {
					clear(dst)
					continue
				}
				fillRow(dst, img[ih*g.W:][:g.W], g.StrideW, off, 0, owLo, owHi)
			}
		}
	})
}

// fillRow sets dst[x] to the image row src at column (ow0+x)*stride + off for the output
// columns ow0+x in [owLo, owHi), the ones that read the image, and to 0 for the others (the
// padding): a piece of one output row of an im2col row. With stride 1 the copy is a memmove.
func fillRow[T float](dst, src []T, stride, off, ow0, owLo, owHi int) {
	lo := min(max(owLo-ow0, 0), len(dst))
	hi := min(max(owHi-ow0, lo), len(dst))
	clear(dst[:lo])
	if lo < hi {
		in := dst[lo:hi]
		first := (ow0+lo)*stride + off
		switch stride {
		case 1:
			copy(in, src[first:])
		case 2:
			gatherEven(in, src[first:])
		default:
			for x := range in {
				in[x] = src[first+x*stride]
			}
		}
	}
	clear(dst[hi:])
}

// im2colSource is the im2col matrix [C·KH·KW, OH·OW] of one image x (C×H×W) as a
// gemm.MatrixSource: blocks of it are formed from the image where the GEMM packs them, and the
// matrix is never stored whole (see GemmIm2col).
type im2colSource[T float] struct {
	x []T
	g ConvGeom
}

func (s im2colSource[T]) Block(dst []T, ld, i, rows, j, cols int) {
	g := s.g
	for r := range rows {
		row := i + r
		c, kh, kw := row/(g.KH*g.KW), row/g.KW%g.KH, row%g.KW
		img := s.x[c*g.H*g.W:][:g.H*g.W]
		off := kw*g.DilW - g.PadW
		owLo, owHi := validRange(g.OW, g.W, g.StrideW, off)
		out := dst[r*ld:][:cols]
		for col := j; len(out) > 0; {
			oh, ow0 := col/g.OW, col%g.OW
			seg := out[:min(len(out), g.OW-ow0)]
			if ih := oh*g.StrideH - g.PadH + kh*g.DilH; ih < 0 || ih >= g.H {
				clear(seg)
			} else {
				fillRow(seg, img[ih*g.W:][:g.W], g.StrideW, off, ow0, owLo, owHi)
			}
			out, col = out[len(seg):], col+len(seg)
		}
	}
}

// col2im is im2col's adjoint: each column entry is added back to the pixel it was read from. Images
// and channels are independent, so they are split across goroutines without write conflicts.
func col2im[T float](x, cols []T, g ConvGeom) {
	rowsPerC := g.KH * g.KW
	plane := g.OH * g.OW
	parallelFor(g.N*g.C, max(1, elementwiseGrain/max(rowsPerC*plane, 1)), func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			img := x[nc*g.H*g.W:][:g.H*g.W]
			clear(img) // here rather than all at once first: in parallel, and just before the adds

			for tap := range rowsPerC {
				kh, kw := tap/g.KW, tap%g.KW
				src := cols[(nc*rowsPerC+tap)*plane:][:plane]
				off := kw*g.DilW - g.PadW
				owLo, owHi := validRange(g.OW, g.W, g.StrideW, off)
				for oh := range g.OH {
					ih := oh*g.StrideH - g.PadH + kh*g.DilH
					if ih < 0 || ih >= g.H {
						continue
					}
					row := img[ih*g.W:][:g.W]
					vals := src[oh*g.OW:][owLo:owHi]
					if g.StrideW == 1 {
						addTo(row[owLo+off:][:len(vals)], vals)
					} else if g.StrideW == 2 && len(vals) > 0 {
						scatterAddEven(row[owLo*2+off:], vals)
					} else {
						for i, v := range vals {
							row[(owLo+i)*g.StrideW+off] += v
						}
					}
				}
			}
		}
	})
}

// validRange returns the output positions [lo, hi) of [0, out) whose input position o*stride + off
// lies inside [0, in): the columns of an im2col row that read the image rather than the padding.
func validRange(out, in, stride, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + stride - 1) / stride // the first o with o*stride + off ≥ 0
	}
	if in-off > 0 {
		hi = (in-off-1)/stride + 1 // one past the last o with o*stride + off ≤ in-1
	}
	hi = min(hi, out)
	return min(lo, hi), hi
}

func (cpuBackend) ReflectPad(dst, src Storage, planes, h, w int, p Pad2d) {
	checkPadLens("cpu.ReflectPad", dst, src, planes, h, w, p)
	switch src.DType() {
	case Float32:
		reflectPad(cpuData[float32](dst), cpuData[float32](src), planes, h, w, p, false)
	case Float64:
		reflectPad(cpuData[float64](dst), cpuData[float64](src), planes, h, w, p, false)
	}
}

func (cpuBackend) ReflectPadBackward(dx, dy Storage, planes, h, w int, p Pad2d) {
	checkPadLens("cpu.ReflectPadBackward", dy, dx, planes, h, w, p)
	switch dx.DType() {
	case Float32:
		reflectPad(cpuData[float32](dy), cpuData[float32](dx), planes, h, w, p, true)
	case Float64:
		reflectPad(cpuData[float64](dy), cpuData[float64](dx), planes, h, w, p, true)
	}
}

func checkPadLens(op string, padded, plain Storage, planes, h, w int, p Pad2d) {
	if p.Left >= w || p.Right >= w || p.Top >= h || p.Bottom >= h || min(p.Left, p.Right, p.Top, p.Bottom) < 0 {
		panic(fmt.Sprintf("tensor: %s: pads %+v invalid for a %dx%d image", op, p, h, w))
	}
	oh, ow := h+p.Top+p.Bottom, w+p.Left+p.Right
	if plain.Len() != planes*h*w || padded.Len() != planes*oh*ow {
		panic(fmt.Sprintf("tensor: %s: %d planes of %dx%d padded by %+v do not match %d and %d elements", op, planes, h, w, p, plain.Len(), padded.Len()))
	}
}

// reflect maps a coordinate outside [0, n) back inside by mirroring at the edge pixel, which is not
// repeated: -1 -> 1, n -> n-2.
func reflect(i, n int) int {
	if i < 0 {
		return -i
	}
	if i >= n {
		return 2*(n-1) - i
	}
	return i
}

// reflectPad either gathers (forward: padded[o] = plain[reflect(o)]) or, with backward set,
// scatters (plain[reflect(o)] += padded[o]); one loop over the rows keeps the two adjoint.
func reflectPad[T float](padded, plain []T, planes, h, w int, p Pad2d, backward bool) {
	oh, ow := h+p.Top+p.Bottom, w+p.Left+p.Right
	if backward {
		clear(plain)
	}
	parallelFor(planes, max(1, elementwiseGrain/max(oh*ow, 1)), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			in := plain[pl*h*w:][:h*w]
			out := padded[pl*oh*ow:][:oh*ow]
			for y := range oh {
				plainRow := in[reflect(y-p.Top, h)*w:][:w]
				paddedRow := out[y*ow:][:ow]
				if backward {
					reflectRowAdd(plainRow, paddedRow, p.Left)
				} else {
					reflectRow(paddedRow, plainRow, p.Left)
				}
			}
		}
	})
}

// reflectRow fills the padded row from the plain one, padded[x] = plain[reflect(x-left)], in three
// runs: the mirrored left pad, the row itself (a memmove), the mirrored right pad.
func reflectRow[T float](padded, plain []T, left int) {
	w := len(plain)
	for x := range left {
		padded[x] = plain[left-x]
	}
	copy(padded[left:left+w], plain)
	for x := left + w; x < len(padded); x++ {
		padded[x] = plain[2*(w-1)-(x-left)]
	}
}

// reflectRowAdd is reflectRow's adjoint, run by run: plain[reflect(x-left)] += padded[x].
func reflectRowAdd[T float](plain, padded []T, left int) {
	w := len(plain)
	for x := range left {
		plain[left-x] += padded[x]
	}
	addTo(plain, padded[left:left+w])
	for x := left + w; x < len(padded); x++ {
		plain[2*(w-1)-(x-left)] += padded[x]
	}
}

// addTo sets dst[i] += src[i] (len(src) == len(dst)), for float32 through internal/vec's SIMD
// loop (the same sums): the stride-1 rows of col2im and the middle of ReflectionPad2d's backward.
func addTo[T float](dst, src []T) {
	if d, ok := any(dst).([]float32); ok {
		vec.Add(d, d, any(src).([]float32))
		return
	}
	for i, v := range src {
		dst[i] += v
	}
}

// gatherEven sets dst[i] = src[2*i] (a stride-2 im2col row), for float32 through internal/vec's
// SIMD loop.
func gatherEven[T float](dst, src []T) {
	if d, ok := any(dst).([]float32); ok {
		vec.GatherEven(d, any(src).([]float32))
		return
	}
	for i := range dst {
		dst[i] = src[2*i]
	}
}

// scatterAddEven sets dst[2*i] += src[i] (a stride-2 col2im row), for float32 through
// internal/vec's SIMD loop (the same sums).
func scatterAddEven[T float](dst, src []T) {
	if d, ok := any(dst).([]float32); ok {
		vec.ScatterAddEven(d, any(src).([]float32))
		return
	}
	for i, v := range src {
		dst[2*i] += v
	}
}
