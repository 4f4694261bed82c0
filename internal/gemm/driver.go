package gemm

import (
	"unsafe"

	"github.com/zebra-go/zebra/internal/parallel"
)

// This file is the loop: the GotoBLAS loop nest over one product and the ways a call is cut
// into products (threads, slices of k, a padded copy of C). What it packs and how is pack.go;
// the choices it makes along the way (block shapes, what to read in place, how to split) are
// policy.go, with the tuning they read.

// product is one call's operands. Its methods run the blocked algorithm on a rectangle of C.
type product[T float32 | float64] struct {
	im             *impl[T]
	transA, transB bool
	m, n, k        int
	alpha, beta    T
	a, b, c        []T
	lda, ldb, ldc  int
	// directA and directB say whether the kernels read A and B in place instead of from packed
	// copies. Packing costs one pass over the operand and pays off only when the packed panel
	// is used by many tiles.
	directA, directB bool
	// alongRows flips the order of the tile loops for short A (see tiles).
	alongRows bool
	// src, if not nil, supplies B in place of b and ldb (see MatrixSource); the product's
	// rows p and columns j of B are the source's rows and columns p+pOff and j+jOff (or, with
	// transB, its rows j+jOff and columns p+pOff).
	src        MatrixSource[T]
	pOff, jOff int
}

func gemm[T float32 | float64](im *impl[T], threads int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	gemmFrom(im, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
}

// gemmFrom is gemm with B read from src instead of b and ldb when src is not nil.
func gemmFrom[T float32 | float64](im *impl[T], threads int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, src MatrixSource[T], beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(c, m, n, ldc, beta)
		return
	}
	if parts := splitK(m, n, k, threads); parts > 1 {
		gemmSplitK(im, parts, transA, transB, m, n, k, alpha, a, lda, b, ldb, src, beta, c, ldc)
		return
	}
	pr := newProduct(im, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc).from(src, 0, 0)
	rects := split(m, n, k, im.mr, im.nr, threads)
	parallel.Run(len(rects), func(i int) { pr.run(rects[i]) })
}

// from makes pr read B from src (if not nil) with the given offsets, and returns pr. A source
// is always packed: its blocks exist only as they are asked for.
func (pr *product[T]) from(src MatrixSource[T], pOff, jOff int) *product[T] {
	if src != nil {
		pr.src, pr.pOff, pr.jOff = src, pOff, jOff
		pr.directB = false
	}
	return pr
}

func newProduct[T float32 | float64](im *impl[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) *product[T] {
	var zero T
	size := int(unsafe.Sizeof(zero))
	pr := &product[T]{
		im: im, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		directB: !transB && ceilDiv(m, im.mr) <= im.directBTiles,
	}
	if transA {
		pr.directA = ceilDiv(n, im.nr) <= im.directATransTiles
	} else {
		pr.directA = ceilDiv(n, im.nr) <= im.directATiles && lda*size%4096 != 0
	}
	pr.alongRows = im.alongRows && m <= im.mc && ldc*size%4096 == 0
	return pr
}

// run computes rectangle r of C on the calling goroutine with a pooled workspace.
func (pr *product[T]) run(r rect) {
	w := pr.im.workspace()
	if pr.padsC(r) {
		pr.computePadded(w, r)
	} else {
		w.fit(pr, r)
		pr.compute(w, r)
	}
	pr.im.work.Put(w)
}

// computePadded computes rectangle r of C = alpha*op(A)*op(B) + beta*C through w.c, a copy of
// the rectangle with rows one cache line longer: the product (with beta = 0) goes into w.c,
// then C = w.c + beta*C (C is not read when beta == 0, as everywhere in this package).
func (pr *product[T]) computePadded(w *workspace[T], r rect) {
	var zero T
	rows, cols := r.i1-r.i0, r.j1-r.j0
	ld := cols + 64/int(unsafe.Sizeof(zero))
	grow(&w.c, rows*ld)
	// The rectangle's first row of op(A) and first column of op(B).
	var a, b []T
	if pr.transA {
		a = pr.a[r.i0:]
	} else {
		a = pr.a[r.i0*pr.lda:]
	}
	switch {
	case pr.src != nil:
	case pr.transB:
		b = pr.b[r.j0*pr.ldb:]
	default:
		b = pr.b[r.j0:]
	}
	sub := newProduct(pr.im, pr.transA, pr.transB, rows, cols, pr.k, pr.alpha, a, pr.lda, b, pr.ldb, 0, w.c, ld).from(pr.src, pr.pOff, pr.jOff+r.j0)
	whole := rect{0, rows, 0, cols}
	w.fit(sub, whole)
	sub.compute(w, whole)
	for i := 0; i < rows; i++ {
		dst, src := pr.c[(r.i0+i)*pr.ldc+r.j0:][:cols], w.c[i*ld:][:cols]
		if pr.beta == 0 {
			copy(dst, src)
			continue
		}
		for j := range dst {
			dst[j] = src[j] + pr.beta*dst[j]
		}
	}
}

// gemmSplitK computes C = alpha*op(A)*op(B) + beta*C as parts products over slices of k: the
// first into C itself with the caller's beta, the others into private buffers that are then
// added to C.
func gemmSplitK[T float32 | float64](im *impl[T], parts int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, src MatrixSource[T], beta T, c []T, ldc int) {
	partial := make([][]T, parts)
	parallel.Run(parts, func(i int) {
		k0, k1 := i*k/parts, (i+1)*k/parts
		// The slice of k starts at column k0 of a row-major A or row k0 of a transposed one,
		// and at row k0 of B or column k0 of a transposed B.
		aOff, bOff := k0, k0*ldb
		if transA {
			aOff = k0 * lda
		}
		if transB {
			bOff = k0
		}
		ai, bi := a[aOff:], b
		if src == nil {
			bi = b[bOff:]
		}
		ci, ldci, betai := c, ldc, beta
		if i > 0 {
			partial[i] = make([]T, m*n)
			ci, ldci, betai = partial[i], n, 0
		}
		newProduct(im, transA, transB, m, n, k1-k0, alpha, ai, lda, bi, ldb, betai, ci, ldci).from(src, k0, 0).run(rect{0, m, 0, n})
	})
	for _, p := range partial[1:] {
		for i := 0; i < m; i++ {
			row, add := c[i*ldc:i*ldc+n], p[i*n:i*n+n]
			for j := range row {
				row[j] += add[j]
			}
		}
	}
}

// compute runs the GotoBLAS loop nest on rectangle r of C: panels of nc columns, blocks of kc
// along k (B panel packed once per block), blocks of mc rows (A block packed), then nr-wide B
// slivers (kept in L1) times mr-tall A slivers (streamed from L2).
func (pr *product[T]) compute(w *workspace[T], r rect) {
	im := pr.im
	mr, nr := im.mr, im.nr
	panel := pr.panelWidth(r)
	keepA := pr.keepsA(r)
	for jc := r.j0; jc < r.j1; jc += panel {
		nc := min(panel, r.j1-jc)
		slivers := ceilDiv(nc, nr)
		depth := pr.blockDepth()
		for pc := 0; pc < pr.k; pc += depth {
			kc := min(depth, pr.k-pc)
			// The first k block applies the caller's beta; later ones accumulate.
			beta := pr.beta
			if pc > 0 {
				beta = 1
			}
			switch {
			case pr.src != nil:
				pr.packSource(w, jc, nc, pc, kc)
			case !pr.directB:
				pr.packB(w.b, jc, nc, pc, kc)
			case nc-(slivers-1)*nr < nr:
				pr.packB(w.bEdge[:kc*nr], jc+(slivers-1)*nr, nc-(slivers-1)*nr, pc, kc)
			}
			blockRows := pr.blockRows(r)
			for ic := r.i0; ic < r.i1; ic += blockRows {
				mc := min(blockRows, r.i1-ic)
				rowSlivers := ceilDiv(mc, mr)
				if !pr.directA {
					w.aBlock = w.a
					if keepA {
						w.aBlock = w.a[rowSlivers*mr*pc:]
					}
					if !keepA || jc == r.j0 {
						pr.packA(w.aBlock, ic, mc, pc, kc)
					}
				} else if last := mc - (rowSlivers-1)*mr; last < mr {
					pr.packA(w.aEdge[:kc*mr], ic+(rowSlivers-1)*mr, last, pc, kc)
				}
				pr.tiles(w, ic, mc, jc, nc, pc, kc, beta)
			}
		}
	}
}

// tiles runs the kernel over the mc×nc block of C at (ic, jc) for the k block at pc.
//
// The usual order keeps one B sliver in L1 and runs down the A slivers, walking down a column
// strip of C. When A is one short block (m <= mc: the forward im2col product with m = Cout, and
// dcols with m = Cin*k*k = 147) and C's rows are a power of two apart, that walk puts all of
// the strip's lines of C in one cache set, and every tile misses; then the order flips to run
// along the rows of C, with the (narrow, see panelWidth) B panel kept in L2. Measured: forward
// m = 64 and 128 10-30% faster, dcols m = 147 1.8x.
func (pr *product[T]) tiles(w *workspace[T], ic, mc, jc, nc, pc, kc int, beta T) {
	im := pr.im
	mr, nr := im.mr, im.nr
	slivers, rowSlivers := ceilDiv(nc, nr), ceilDiv(mc, mr)
	tile := func(s, t int) {
		j, i := jc+s*nr, ic+t*mr
		cols, rows := min(nr, nc-s*nr), min(mr, mc-t*mr)
		bp, bStep := pr.bSliver(w, s, j, cols, pc, kc)
		ap, aStride, inRows := pr.aSliver(w, t, i, rows, pc, kc)
		kern := im.strip
		if inRows {
			kern = im.rows
		}
		if rows == mr && cols == nr {
			kern(kc, ap, aStride, bp, bStep, &pr.c[i*pr.ldc+j], pr.ldc, pr.alpha, beta)
			return
		}
		if !pr.edgeTile(w.tile, kc, ap, aStride, inRows, bp, bStep, rows, cols) {
			kern(kc, ap, aStride, bp, bStep, &w.tile[0], nr, 1, 0)
		}
		pr.mergeTile(w.tile, i, j, rows, cols, beta)
	}
	if pr.alongRows {
		for t := 0; t < rowSlivers; t++ {
			for s := 0; s < slivers; s++ {
				tile(s, t)
			}
		}
		return
	}
	// Run down the A slivers with one B sliver in L1. The packed B panel is larger than L2, so
	// the first tile of each sliver would wait on L3: while the tiles of sliver s run, the next
	// sliver is prefetched a few lines per tile (measured at 2048³: 77-78% -> 81% of peak).
	var zero T
	sliverLines := kc * nr * int(unsafe.Sizeof(zero)) / 64
	perTile := ceilDiv(sliverLines, max(rowSlivers-1, 1))
	prefetch := !pr.directB && im.prefetch != nil && im.prefetchNextSliver
	// Every tile but the last of a sliver, when mc is not a multiple of mr, is full; with A
	// packed, their kernel calls differ only in where they read A and write C. The column
	// kernel runs them all in one call (TestTuneColumn: 4-5% faster at 2048³, 1024³ and
	// 256×2304×4096 than a call per tile, where the general tile function and the calls took
	// 3-4% of the profile); paths without one call the strip kernel directly.
	fullRows := mc / mr
	if pr.directA {
		fullRows = 0
	}
	for s := 0; s < slivers; s++ {
		j := jc + s*nr
		cols := min(nr, nc-s*nr)
		bp, bStep := pr.bSliver(w, s, j, cols, pc, kc)
		if im.column != nil && fullRows > 0 && cols == nr {
			// The full tiles in one call, which prefetches the next B sliver itself.
			pf, pfLines := bp, 0
			if prefetch && s+1 < slivers {
				pf, pfLines = &w.b[(s+1)*kc*nr], perTile
			}
			im.column(kc, &w.aBlock[0], fullRows, bp, bStep, &pr.c[ic*pr.ldc+j], pr.ldc, pr.alpha, beta, pf, pfLines)
			for t := fullRows; t < rowSlivers; t++ {
				tile(s, t)
			}
			continue
		}
		for t := 0; t < rowSlivers; t++ {
			if prefetch && s+1 < slivers && t*perTile < sliverLines {
				im.prefetch(w.b[(s+1)*kc*nr:(s+2)*kc*nr], t*perTile, min(perTile, sliverLines-t*perTile))
			}
			if t < fullRows && cols == nr {
				i := ic + t*mr
				im.strip(kc, &w.aBlock[t*kc*mr], mr, bp, bStep, &pr.c[i*pr.ldc+j], pr.ldc, pr.alpha, beta)
				continue
			}
			tile(s, t)
		}
	}
}

// bSliver returns where the kernel reads B sliver s (columns j..j+cols-1) and its row step.
func (pr *product[T]) bSliver(w *workspace[T], s, j, cols, pc, kc int) (*T, int) {
	nr := pr.im.nr
	switch {
	case !pr.directB:
		return &w.b[s*kc*nr], nr
	case cols < nr:
		return &w.bEdge[0], nr
	default:
		return &pr.b[pc*pr.ldb+j], pr.ldb
	}
}

// aSliver returns where the kernel reads A sliver t (rows i..i+rows-1), its stride, and
// whether that layout is the rows kernel's (A(i,p) at a[i*aStride+p]) rather than the strip
// kernel's.
func (pr *product[T]) aSliver(w *workspace[T], t, i, rows, pc, kc int) (*T, int, bool) {
	im := pr.im
	switch {
	case !pr.directA:
		return &w.aBlock[t*kc*im.mr], im.mr, false
	case rows < im.mr:
		return &w.aEdge[0], im.mr, false
	case pr.transA:
		return &pr.a[pc*pr.lda+i], pr.lda, false
	default:
		return &pr.a[i*pr.lda+pc], pr.lda, true
	}
}

// edgeTile computes the ragged rows×cols tile whose A sliver is at a and B sliver at b into
// tile (an mr×nr tile with rows nr apart, alpha = 1, beta = 0, as the full kernel would)
// with the path's smaller edge kernels, and reports whether it did. A full mr×nr call costs
// as much for the 2 rows left over by m = 16 (14 + 2) as for 14: a C of 16 rows took 1.75
// times as long as one of 14 (m×4096×147, one thread, Zen 4: 63 against 110 GFLOP/s), and the
// edge kernels make the demo model's m = 16 and 32 products 1.17-1.24 times faster
// (TestTuneEdgeTiles, medians of 15 interleaved rounds; m = 64 and 147, whose 8 and 7 ragged
// rows they do not take, unchanged). The small kernels are used only where they do at most half the full call's multiply-adds, so that
// they win also where their vectors are half as fast as the full kernel's (AVX2 beside
// AVX-512 on a core with two 512-bit FMA units; on Zen 4 they are as fast). They read only
// the first ceil(rows/emr)*emr rows of the A sliver, no more than mr, and add in the same order
// as the full kernel, one FMA per step of k from zero: the tile's bits do not change.
func (pr *product[T]) edgeTile(tile []T, kc int, a *T, aStride int, inRows bool, b *T, bStep, rows, cols int) bool {
	im := pr.im
	e := im.edge
	if e == nil || !im.edgeTiles {
		return false
	}
	rowCalls, colCalls := ceilDiv(rows, e.emr), ceilDiv(cols, e.enr)
	if rowCalls*e.emr > im.mr || colCalls*e.enr > im.nr || 2*rowCalls*colCalls*e.emr*e.enr > im.mr*im.nr {
		return false
	}
	kern := e.strip
	if inRows {
		kern = e.rows
	}
	for r := 0; r < rowCalls; r++ {
		// Row r*emr of the sliver: the next element of a packed or transposed sliver, the next
		// row of a row-major A.
		ar := unsafe.Add(unsafe.Pointer(a), r*e.emr*int(unsafe.Sizeof(*a)))
		if inRows {
			ar = unsafe.Add(unsafe.Pointer(a), r*e.emr*aStride*int(unsafe.Sizeof(*a)))
		}
		for c := 0; c < colCalls; c++ {
			bc := unsafe.Add(unsafe.Pointer(b), c*e.enr*int(unsafe.Sizeof(*b)))
			kern(kc, (*T)(ar), aStride, (*T)(bc), bStep, &tile[r*e.emr*im.nr+c*e.enr], im.nr, 1, 0)
		}
	}
	return true
}

// mergeTile adds the edge tile computed into tile (alpha = 1, beta = 0) to C with alpha, beta.
func (pr *product[T]) mergeTile(tile []T, i, j, rows, cols int, beta T) {
	nr := pr.im.nr
	for ii := 0; ii < rows; ii++ {
		c := pr.c[(i+ii)*pr.ldc+j:]
		c = c[:cols]
		t := tile[ii*nr : ii*nr+cols]
		if beta == 0 {
			for jj := range c {
				c[jj] = pr.alpha * t[jj]
			}
			continue
		}
		for jj := range c {
			c[jj] = pr.alpha*t[jj] + beta*c[jj]
		}
	}
}

// scale computes C = beta*C, which is all there is to do when k == 0 or alpha == 0.
func scale[T float32 | float64](c []T, m, n, ldc int, beta T) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
