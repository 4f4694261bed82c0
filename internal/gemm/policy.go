package gemm

import "unsafe"

// This file is the policy: the choices the loop (driver.go) makes for each product, and the
// tuning values they read (tuning.go).

// Below this many multiply-adds a call runs on one thread: handing a part to a polling worker
// costs about a microsecond (a parked one, tens). TestTuneThreads, two threads against one on a
// 2-vCPU EPYC Zen 4 (medians of 200 interleaved rounds, quieter runs): 64×64×64 1.23-1.40 times
// faster, 64×64×32 and 128×49×16 (about 2^17) 0.99-1.25, 32×32×32 0.64-0.86.
const minParallelWork = 64 * 64 * 64

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
	return pr.im.padC && pr.ldc*size%4096 == 0 && !pr.alongRows &&
		rows > pr.blockRows(r) && pr.k >= padCMinBlocks*pr.im.kc &&
		rows*(cols+64/size)*size <= padCMaxBytes
}

const (
	padCMinBlocks = 4
	padCMaxBytes  = 64 << 20
)

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

// keepsA reports whether compute packs A only once for rectangle r, keeping the packed blocks
// of every k block while it runs along the B panels. With a single block of A rows (m <= mc:
// the forward im2col product, m = Cout) the panels are narrow (see panelWidth) and many,
// and packing A again for each of them cost about as much as packing B (m = 128, k = 576,
// n = 16384: 49 panels of 336 columns). The kept blocks take mc*k elements.
func (pr *product[T]) keepsA(r rect) bool {
	return pr.im.keepPackedA && !pr.directA && r.i1-r.i0 <= pr.blockRows(r) && r.j1-r.j0 > pr.panelWidth(r)
}

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
// the forward im2col GEMM of the first conv, m=64, k=147, n=65536, on a Zen 3 with 512 KiB of
// L2, where half of L2 was best: panelBytes).
func (pr *product[T]) panelWidth(r rect) int {
	im := pr.im
	if r.i1-r.i0 > im.mc {
		return im.nc
	}
	var zero T
	kc := pr.blockDepth()
	width := im.panelBytes / (kc * int(unsafe.Sizeof(zero)))
	return max(im.nr, min(im.nc, width/im.nr*im.nr))
}
