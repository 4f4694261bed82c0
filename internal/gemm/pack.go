package gemm

import "unsafe"

// This file is the packing: the per-thread workspace, and the copies of A and B into the
// sliver layout the micro-kernels read.

// workspace holds one thread's packing buffers.
type workspace[T float32 | float64] struct {
	a, b         []T // packed mc×kc block of A (or all of A, see keepsA), packed kc×nc panel of B
	aBlock       []T // the part of a that holds the current k block
	aEdge, bEdge []T // a last, partial sliver packed with zeros when the rest is read in place
	tile         []T // an mr×nr tile for the ragged edges of C
	c            []T // the padded copy of C's rectangle (see padsC)
	srcBlock     []T // a block of a MatrixSource B on its way to w.b (see packSource)
}

func (im *impl[T]) workspace() *workspace[T] {
	if w, ok := im.work.Get().(*workspace[T]); ok {
		return w
	}
	return &workspace[T]{tile: aligned[T](im.mr * im.nr)}
}

// fit makes w's buffers large enough for rectangle r of pr, keeping larger ones: a small
// product (a gradient check's) then allocates kilobytes, not the megabytes of a full panel.
func (w *workspace[T]) fit(pr *product[T], r rect) {
	im := pr.im
	depth := pr.blockDepth()
	rows := ceilDiv(min(pr.blockRows(r), r.i1-r.i0), im.mr) * im.mr
	cols := ceilDiv(min(pr.panelWidth(r), r.j1-r.j0), im.nr) * im.nr
	if pr.keepsA(r) {
		grow(&w.a, rows*pr.k)
	} else if !pr.directA {
		grow(&w.a, rows*depth)
	}
	if !pr.directB {
		grow(&w.b, cols*depth)
	}
	grow(&w.aEdge, im.mr*depth)
	grow(&w.bEdge, im.nr*depth)
}

func grow[T float32 | float64](buf *[]T, n int) {
	if len(*buf) < n {
		*buf = aligned[T](n)
	}
}

// aligned returns a slice of n elements starting on a 64-byte cache line.
func aligned[T float32 | float64](n int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero))
	buf := make([]T, n+64/size)
	off := 0
	if mis := int(uintptr(unsafe.Pointer(&buf[0])) % 64); mis != 0 {
		off = (64 - mis) / size
	}
	return buf[off : off+n : off+n]
}

// packA packs rows i..i+rows-1 of op(A), columns pc..pc+kc-1, into mr-tall slivers.
func (pr *product[T]) packA(dst []T, i, rows, pc, kc int) {
	if pr.transA {
		// A is stored k×m: row p of the block is contiguous.
		pr.im.packPanel(dst, pr.im.mr, pr.a[pc*pr.lda+i:], pr.lda, rows, kc, false)
		return
	}
	pr.im.packPanel(dst, pr.im.mr, pr.a[i*pr.lda+pc:], pr.lda, rows, kc, true)
}

// packB packs columns j..j+cols-1 of op(B), rows pc..pc+kc-1, into nr-wide slivers.
func (pr *product[T]) packB(dst []T, j, cols, pc, kc int) {
	if pr.transB {
		// B is stored n×k: column j of op(B) is a contiguous row of storage.
		pr.im.packPanel(dst, pr.im.nr, pr.b[j*pr.ldb+pc:], pr.ldb, cols, kc, true)
		return
	}
	pr.im.packPanel(dst, pr.im.nr, pr.b[pc*pr.ldb+j:], pr.ldb, cols, kc, false)
}

// packPanel packs width lines of an operand, kc long, into slivers of w lines: sliver s holds
// line s*w+x, element p at dst[s*kc*w + p*w + x], zero-padded beyond width. Stored along the
// slivers (across false: element (p, x) at src[p*ld+x]), each of the kc rows is read once,
// front to back, and dealt out: going sliver by sliver instead would read kc rows at once, a
// stream per row, which the hardware prefetchers cannot follow. Stored across them (element at
// src[x*ld+p]), each sliver is a transpose of w rows.
func (im *impl[T]) packPanel(dst []T, w int, src []T, ld, width, kc int, across bool) {
	if !across {
		im.deal(dst, w, src, ld, width, kc)
		return
	}
	for s := 0; s*w < width; s++ {
		count := min(w, width-s*w)
		sliver := dst[s*kc*w : (s+1)*kc*w]
		im.transpose(sliver, w, src[s*w*ld:], ld, count, kc)
		zeroColumns(sliver, w, count, kc)
	}
}

// dealRows packs kc rows of src (row p at src[p*ld], width long) into slivers of w columns:
// sliver s holds dst[s*kc*w + p*w + jj] = src[p*ld + s*w + jj], the last sliver zero-padded.
// Rows go eight at a time: each source row is still read front to back (eight streams the
// prefetchers follow), and each sliver receives 8*w contiguous elements at once. Dealing one
// row at a time instead wrote w elements into every sliver, kc*w apart, a multiple of 4 KiB:
// all in one L1 set, and packing ran four times slower.
func dealRows[T float32 | float64](dst []T, w int, src []T, ld, width, kc int) {
	const group = 8
	full := width / w
	rest := width - full*w
	for p0 := 0; p0 < kc; p0 += group {
		p1 := min(p0+group, kc)
		for s := 0; s < full; s++ {
			for p := p0; p < p1; p++ {
				copy(dst[s*kc*w+p*w:][:w], src[p*ld+s*w:][:w])
			}
		}
		if rest > 0 {
			for p := p0; p < p1; p++ {
				d := dst[full*kc*w+p*w:][:w]
				copy(d, src[p*ld+full*w:][:rest])
				clear(d[rest:])
			}
		}
	}
}

// transposeGo packs count rows of src (row r starts at src[r*ld], kc long) into the columns
// of dst: dst[p*width+r] = src[r*ld+p]. Rows go four at a time so that each step writes four
// adjacent elements. The assembly paths use transposePack32/64 instead, which is about three
// times faster than what the compiler makes of this loop.
func transposeGo[T float32 | float64](dst []T, width int, src []T, ld, count, kc int) {
	r := 0
	for ; r+4 <= count; r += 4 {
		s0 := src[r*ld:][:kc]
		s1 := src[(r+1)*ld:][:kc]
		s2 := src[(r+2)*ld:][:kc]
		s3 := src[(r+3)*ld:][:kc]
		for p := range s0 {
			d := dst[p*width+r:][:4]
			d[0], d[1], d[2], d[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; r < count; r++ {
		s0 := src[r*ld:][:kc]
		for p, v := range s0 {
			dst[p*width+r] = v
		}
	}
}

// zeroColumns zeroes columns from..width-1 of the kc×width sliver dst, the padding of a partial
// sliver, so that the kernel's extra rows or columns compute zeros rather than garbage.
func zeroColumns[T float32 | float64](dst []T, width, from, kc int) {
	if from == width {
		return
	}
	for p := 0; p < kc; p++ {
		clear(dst[p*width+from : p*width+width])
	}
}

// packSource packs B from its MatrixSource into w.b as packB packs a stored B: each block is
// asked for into w.srcBlock and packed from there. Without transB that is the whole kc×cols
// block, dealt out at once; with transB, one sliver's nr×kc rows at a time, each transposed into
// its sliver.
func (pr *product[T]) packSource(w *workspace[T], j, cols, pc, kc int) {
	im := pr.im
	nr := im.nr
	if !pr.transB {
		grow(&w.srcBlock, kc*cols)
		pr.src.Block(w.srcBlock, cols, pr.pOff+pc, kc, pr.jOff+j, cols)
		im.deal(w.b, nr, w.srcBlock, cols, cols, kc)
		return
	}
	grow(&w.srcBlock, nr*kc)
	for s := 0; s*nr < cols; s++ {
		count := min(nr, cols-s*nr)
		sliver := w.b[s*kc*nr : (s+1)*kc*nr]
		pr.src.Block(w.srcBlock, kc, pr.jOff+j+s*nr, count, pr.pOff+pc, kc)
		im.transpose(sliver, nr, w.srcBlock, kc, count, kc)
		zeroColumns(sliver, nr, count, kc)
	}
}
