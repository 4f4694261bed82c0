package gemm

import (
	"unsafe"

	"github.com/zebra-go/zebra/internal/parallel"
)

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

// Packing A costs one pass over it, which pays off only when the packed block serves many B
// slivers. Up to directATiles slivers of C columns, the kernels read a row-major A in place
// (measured with the tune tests on the im2col shapes: 10-25% faster for n <= 256). Row strides
// that are a multiple of 4 KiB map the MR rows onto one L1 set and halve the kernel's speed, so
// such A is always packed. A transposed A is packed by a cheap contiguous copy, so it is read in
// place only for tiny n. B is read in place only when A is so short that few tiles share it.
var (
	directATiles      = 16
	directATransTiles = 4
	directBTiles      = 4
)

// alongRowsOK lets tiles flip its loop order; the tuning tests turn it off to compare.
var alongRowsOK = true

// Below this many multiply-adds a call runs on one thread: handing a part to a polling worker
// costs about a microsecond (a parked one, tens). TestTuneThreads, two threads against one on a
// 2-vCPU EPYC Zen 4 (medians of 200 interleaved rounds, quieter runs): 64×64×64 1.23-1.40 times
// faster, 64×64×32 and 128×49×16 (about 2^17) 0.99-1.25, 32×32×32 0.64-0.86.
const minParallelWork = 64 * 64 * 64

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
		directB: !transB && ceilDiv(m, im.mr) <= directBTiles,
	}
	if transA {
		pr.directA = ceilDiv(n, im.nr) <= directATransTiles
	} else {
		pr.directA = ceilDiv(n, im.nr) <= directATiles && lda*size%4096 != 0
	}
	pr.alongRows = alongRowsOK && m <= im.mc && ldc*size%4096 == 0
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

// padsC reports whether run computes rectangle r into a private copy of C whose rows are one
// cache line longer, then adds it to C. When C's rows are a multiple of 4 KiB apart, the tiles
// that run down a column strip of C are slower: at 2048³ (ldc = 2048 floats, one thread) a C
// with rows one line longer made the product 6-11% faster, and with the copy included
// TestTunePadC measured a median gain of 5.9% over 25 interleaved rounds (256×2304×4096: 3-4%,
// 1024³: within the noise). Why this helps was not
// pinned down (this VM exposes no performance counters): the C tile's six lines share an L1
// set, but a single aliased tile kept in cache is as fast as a padded one, and neither
// prefetching C further ahead nor keeping C's block in L3 helped. The copy is one more pass
// over C, so the padding is used only when the product makes at least padCMinBlocks passes
// of its own (k blocks), and when the copy stays under padCMaxBytes.
func (pr *product[T]) padsC(r rect) bool {
	var zero T
	size := int(unsafe.Sizeof(zero))
	rows, cols := r.i1-r.i0, r.j1-r.j0
	return padC && pr.ldc*size%4096 == 0 && !pr.alongRows &&
		rows > pr.blockRows(r) && pr.k >= padCMinBlocks*pr.im.kc &&
		rows*(cols+64/size)*size <= padCMaxBytes
}

const (
	padCMinBlocks = 4
	padCMaxBytes  = 64 << 20
)

// padC lets padsC choose the padded copy; the tests and tuning experiments turn it off to compare.
var padC = true

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

// splitK returns how many parts to cut k into, or 1 to split C instead. Splitting C makes every
// thread pack the whole of the operand that is not split; when k dwarfs m and n (the weight
// gradient of a convolution, dW = dY·colsᵀ with k = OH·OW), that operand is most of the
// traffic, and it is cheaper for each thread to take a slice of k and sum partial m×n results.
func splitK(m, n, k, threads int) int {
	if threads <= 1 || m*n*k < minParallelWork || k < 2*max(m, n) {
		return 1
	}
	return min(threads, k/256)
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

// rect is the part [i0,i1)×[j0,j1) of C that one thread computes.
type rect struct{ i0, i1, j0, j1 int }

// split cuts C into at most threads parts along m or n, at tile boundaries, so that no two
// threads write the same cache line of C more than necessary. It cuts along the dimension with
// more tiles (each thread then packs the smaller share of the other operand), unless whole tiles
// cannot share that dimension out evenly and the other dimension shares out better: m = 64 in
// tiles of 14 rows splits into 28 and 36 rows, where n = 64 splits into 32 and 32 columns.
// TestTuneSplitDim (2 threads, medians of 200 interleaved rounds): 64×64×64 and 64×64×512 1.18
// and 1.19 times faster cut along n, 64×128×1024 1.13.
func split(m, n, k, mr, nr, threads int) []rect {
	if threads <= 1 || m*n*k < minParallelWork {
		return []rect{{0, m, 0, n}}
	}
	return splitC(m, n, mr, nr, threads)
}

// splitC is split without the minimum of work.
func splitC(m, n, mr, nr, threads int) []rect {
	rowParts, colParts := cut(m, mr, threads), cut(n, nr, threads)
	alongM := ceilDiv(m, mr) >= ceilDiv(n, nr)
	evenM, evenN := evenness(rowParts, m, threads), evenness(colParts, n, threads)
	if alongM && evenM < minEvenness && evenN > evenM {
		alongM = false
	} else if !alongM && evenN < minEvenness && evenM > evenN {
		alongM = true
	}
	var rects []rect
	if alongM {
		for _, p := range rowParts {
			rects = append(rects, rect{p[0], p[1], 0, n})
		}
		return rects
	}
	for _, p := range colParts {
		rects = append(rects, rect{0, m, p[0], p[1]})
	}
	return rects
}

// minEvenness is the evenness below which split looks at the other dimension.
const minEvenness = 0.9

// evenness is the length of an even share of [0, dim) among threads over the length of the
// longest range: 1 when there are threads equal ranges, 0.5 when one is twice an even share (or
// when two threads get one range).
func evenness(ranges [][2]int, dim, threads int) float64 {
	longest := 0
	for _, r := range ranges {
		longest = max(longest, r[1]-r[0])
	}
	return float64(dim) / float64(threads) / float64(longest)
}

// cut divides [0, dim) into min(threads, tiles) ranges of whole tiles of size, as evenly as the
// tiles allow.
func cut(dim, size, threads int) [][2]int {
	tiles := ceilDiv(dim, size)
	parts := min(threads, tiles)
	out := make([][2]int, parts)
	for p := range out {
		out[p] = [2]int{min(p*tiles/parts*size, dim), min((p+1)*tiles/parts*size, dim)}
	}
	return out
}

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
		ap, aStride, kern := pr.aSliver(w, t, i, rows, pc, kc)
		if rows == mr && cols == nr {
			kern(kc, ap, aStride, bp, bStep, &pr.c[i*pr.ldc+j], pr.ldc, pr.alpha, beta)
			return
		}
		kern(kc, ap, aStride, bp, bStep, &w.tile[0], nr, 1, 0)
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
	prefetch := !pr.directB && im.prefetch != nil && prefetchNextSliver
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

// prefetchNextSliver lets tiles prefetch B slivers; the tuning tests turn it off to compare.
var prefetchNextSliver = true

// keepsA reports whether compute packs A only once for rectangle r, keeping the packed blocks
// of every k block while it runs along the B panels. With a single block of A rows (m <= mc:
// the forward im2col product, m = Cout) the panels are narrow (see panelWidth) and many,
// and packing A again for each of them cost about as much as packing B (m = 128, k = 576,
// n = 16384: 49 panels of 336 columns). The kept blocks take mc*k elements.
func (pr *product[T]) keepsA(r rect) bool {
	return keepPackedA && !pr.directA && r.i1-r.i0 <= pr.blockRows(r) && r.j1-r.j0 > pr.panelWidth(r)
}

// keepPackedA lets keepsA keep A; the tuning tests turn it off to compare.
var keepPackedA = true

// blockRows returns the height of the A blocks for rectangle r: at most mc, a multiple of mr,
// with the blocks as even as possible. m = 256 in blocks of 192 would leave a block of 64 whose
// B slivers serve a third as many tiles (measured on the m = 256 im2col products).
func (pr *product[T]) blockRows(r rect) int {
	mc, mr := pr.im.mc, pr.im.mr
	blocks := ceilDiv(r.i1-r.i0, mc)
	return min(mc, ceilDiv(ceilDiv(r.i1-r.i0, blocks), mr)*mr)
}

// blockDepth returns the k-block size: at most kc, with the blocks as even as possible. k = 576
// in blocks of 256 would leave a last block of 64, whose kernel calls spend as long loading and
// storing their C tile as multiplying.
//
// When A is read in place (skinny n), the depth may grow to kcDirect: each k block costs a pass
// over C, and with no packed A block to keep in L2 a deeper block measured 10-25% faster on the
// im2col shapes (k = 576, 1152, 2304).
func (pr *product[T]) blockDepth() int {
	kc := pr.im.kc
	if pr.directA {
		kc = pr.im.kcDirect
	}
	blocks := ceilDiv(pr.k, kc)
	return ceilDiv(pr.k, blocks)
}

// panelWidth returns the width nc of the B panels for rectangle r. A B panel is reused by every
// mc block of A; when r has only one such block, nothing is gained from a panel larger than L2,
// and a smaller one is still in L2 when the kernels read it right after packing (measured on
// the forward im2col GEMM of the first conv, m=64, k=147, n=65536).
func (pr *product[T]) panelWidth(r rect) int {
	im := pr.im
	if r.i1-r.i0 > im.mc {
		return im.nc
	}
	var zero T
	const budget = 256 << 10 // bytes: half a Zen 3's 512 KiB L2 per core, where this was tuned (a Zen 4 has 1 MiB)
	kc := pr.blockDepth()
	width := budget / (kc * int(unsafe.Sizeof(zero)))
	return max(im.nr, min(im.nc, width/im.nr*im.nr))
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

// aSliver returns where the kernel reads A sliver t (rows i..i+rows-1), its stride and the
// kernel that understands that layout.
func (pr *product[T]) aSliver(w *workspace[T], t, i, rows, pc, kc int) (*T, int, kernel[T]) {
	im := pr.im
	switch {
	case !pr.directA:
		return &w.aBlock[t*kc*im.mr], im.mr, im.strip
	case rows < im.mr:
		return &w.aEdge[0], im.mr, im.strip
	case pr.transA:
		return &pr.a[pc*pr.lda+i], pr.lda, im.strip
	default:
		return &pr.a[i*pr.lda+pc], pr.lda, im.rows
	}
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
