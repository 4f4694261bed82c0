package winograd

import (
	"fmt"
	"runtime"

	"github.com/zebra-go/zebra/internal/gemm"
	"github.com/zebra-go/zebra/internal/parallel"
)

// Tile selects the algorithm: F4 is F(4×4,3×3), which reads 6×6 input tiles and needs 36
// multiplications per 16 outputs where direct convolution needs 144 (4x fewer); F2 is
// F(2×2,3×3), with 4×4 tiles and 16 multiplications per 4 outputs (2.25x fewer). F4 does
// fewer multiplications but rounds more (see winograd_test.go for the measured errors).
type Tile int

const (
	F2 Tile = 2
	F4 Tile = 4
)

func (t Tile) transforms() *transforms {
	switch t {
	case F2:
		return f2
	case F4:
		return f4
	}
	panic(fmt.Sprintf("winograd: Tile(%d): want F2 or F4", int(t)))
}

// blockTiles bounds how many tiles one pass of transforms, GEMMs and inverse transforms
// handles. The workspace grows with it (V and M hold α²·(C+Cout)·block floats: 36 MB for F2 at
// 256+256 channels and 1089 tiles) and the GEMMs get wider (their N dimension is the block).
// Keeping V and M in L2 does not pay: the U[k] they multiply are α²·Cout·C floats (9.4 MB for
// F4 at 256 channels) and stream from L3 anyway, and narrow GEMMs pack U once per block.
// TestTuneBlockTiles on the CycleGAN layer (256 channels, 64x64; Zen 4, 2 threads, best of 5
// interleaved) measured, for limits of 64, 128, 256, 512, 1024 and 1152 tiles:
//
//	Conv       F2  17.6 15.8 14.6 14.3 13.6 13.7 ms  (1024 tiles in all)
//	ConvInput  F2  30.2 22.7 20.1 18.7 17.5 16.3 ms  (1089 tiles: its output is 66x66)
//	ConvWeight F2  19.4 16.4 15.2 14.5 14.1 14.1 ms
//	Conv       F4   9.5  8.9  8.7  8.6  8.8  8.7 ms  (256 tiles in all)
//	ConvInput  F4  17.6 15.5 13.5 12.3 12.3 12.2 ms  (289 tiles)
//	ConvWeight F4  10.0  9.2  8.8  8.7  8.7  8.8 ms
//
// The limit is 1152 rather than 1024 so that ConvInput's 33x33 tiles are one block, not two
// of 545 (each with its own pass over the inputs, and GEMMs half as wide).
const blockTiles = 1152

// maxWorkers bounds the goroutines a call fans its transforms out to; each needs its own
// α²·blockTiles scratch in the workspace, so the workspace size does not depend on GOMAXPROCS.
const maxWorkers = 8

// reorderChunk is how many filters transformFilters reorders at a time (see there).
const reorderChunk = 256

// geometry is one 3×3 stride-1 convolution: ci input channels of h×w images, co output
// channels of oh×ow, padding pad, cut into tiles of m×m outputs (α×α inputs).
type geometry struct {
	op              string // the exported function, for panics
	tf              *transforms
	m, a            int // output and input tile side
	n, ci, h, w     int
	co, oh, ow, pad int
	tilesY, tilesX  int // tiles per image column and row; edge tiles may stick out
	tiles, block    int // tiles in the batch, tiles per block
	filters         int // co·ci, the lanes of the filter transforms
	perTile         int // α², the GEMMs per block
	scratch         int // floats of one worker's scratch: gathered tiles, then padH×padW
	padH, padW      int // the zero-padded copy of an input plane, or 0 if the input needs none
	workers         int
	// The distances between the α² matrices of u, v and mm and between wt's nine tap rows
	// (see layout and spread).
	uStride, vStride, mStride, wtStride int
}

func newGeometry(op string, t Tile, n, ci, h, w, co, pad int) geometry {
	tf := t.transforms()
	g := geometry{tf: tf, m: int(t), a: int(t) + 2, n: n, ci: ci, h: h, w: w, co: co, pad: pad, op: op}
	g.oh, g.ow = h+2*pad-2, w+2*pad-2
	if n < 1 || ci < 1 || co < 1 || pad < 0 || pad > 2 || g.oh < 1 || g.ow < 1 {
		panic(fmt.Sprintf("winograd: %s: batch %d, %d→%d channels, %dx%d image, pad %d: want positive sizes, pad in 0..2 and an output of at least 1x1",
			op, n, ci, co, h, w, pad))
	}
	g.tilesY, g.tilesX = (g.oh+g.m-1)/g.m, (g.ow+g.m-1)/g.m
	g.tiles = n * g.tilesY * g.tilesX
	g.filters, g.perTile = co*ci, g.a*g.a
	g.workers = min(runtime.GOMAXPROCS(0), maxWorkers)
	// Where the windows of the edge tiles reach into the padding or past the image, the input
	// planes are copied into a zero-bordered plane that holds every window, so that the fused
	// kernels (which do not test bounds) can read all of them.
	if hp, wp := g.m*g.tilesY+2, g.m*g.tilesX+2; pad > 0 || hp > h || wp > w {
		g.padH, g.padW = hp, wp
	}
	g.setBlock(blockTiles)
	return g
}

// setBlock cuts the tiles into blocks of at most limit: as few blocks as possible, of equal
// size (289 tiles are two blocks of 145 and 144, not 256 and a narrow 33).
func (g *geometry) setBlock(limit int) {
	blocks := (g.tiles + limit - 1) / limit
	g.block = (g.tiles + blocks - 1) / blocks
	g.scratch = g.perTile*g.block + 2*g.perTile*gapChunk + g.padH*g.padW
	g.uStride, g.wtStride = spread(g.filters), spread(g.filters)
	g.vStride, g.mStride = spread(g.ci*g.block), spread(g.co*g.block)
}

// spread returns the distance to leave between the rows of a lane-wise array of n floats per
// row: n rounded up to 1024 floats (4 KiB), plus a cache line. The transforms read and write
// 16 to 36 such rows at once; a multiple of 4 KiB apart (65536 floats for 256x256 filters) they
// all fall into one set of the L1 and L2 caches, which hold 8 lines a set, and every store
// misses. A line more puts consecutive rows in consecutive sets.
func spread(n int) int { return (n+1023)&^1023 + 16 }

// workerScratch is one worker's scratch carved into the gathered tiles of a block, the two
// buffers of a batch of short segments (see gaps) and the padded plane.
type workerScratch struct{ tiles, gapIn, gapOut, padded []float32 }

func (g *geometry) split(scratch []float32) workerScratch {
	tiles, gap := g.perTile*g.block, g.perTile*gapChunk
	return workerScratch{
		tiles:  scratch[:tiles],
		gapIn:  scratch[tiles : tiles+gap],
		gapOut: scratch[tiles+gap : tiles+2*gap],
		padded: scratch[tiles+2*gap:],
	}
}

// workspace is the caller's buffer carved into the named regions.
type workspace struct {
	u, wt, v, mm []float32 // transformed filters, reordered filters, transformed inputs, products
	scratch      [maxWorkers][]float32
}

// layout returns the size of the workspace (sizeOnly) or carves ws into it. The regions:
//
//	u       α²·co·ci   U[k][o][c], the transformed filters (ConvWeight: the summed products S)
//	v       α²·ci·B    V[k][c][t] for the B = block tiles in flight
//	mm      α²·co·B    M[k][o][t] = Σ_c U[k][o][c]·V[k][c][t] (ConvWeight: A dY Aᵀ)
//	wt      9·co·ci    filters reordered tap-major, wt[p*3+q][o*ci+c], the transform's input;
//	                   it shares mm's region (which is the larger of the two), as it is dead
//	                   before the forward's first product and born after ConvWeight's last
//
// (each of u's, v's and mm's α² matrices and each of wt's 9 rows a little longer: see spread),
//
//	scratch α²·B each  a worker's gathered tiles before a transform or after an inverse one,
//	        + 2·α²·64  the same for batches of short segments (see gaps),
//	        + padH·padW and a zero-padded copy of an input plane (see newGeometry)
func (g *geometry) layout(ws []float32, sizeOnly bool) (workspace, int) {
	sizes := []int{g.perTile * g.uStride, g.perTile * g.vStride, max(g.perTile*g.mStride, 9*g.wtStride)}
	total := maxWorkers * g.scratch
	for _, s := range sizes {
		total += s
	}
	if sizeOnly {
		return workspace{}, total
	}
	if len(ws) < total {
		panic(fmt.Sprintf("winograd: %s: workspace of %d floats, need %d", g.op, len(ws), total))
	}
	take := func(n int) []float32 {
		s := ws[:n:n]
		ws = ws[n:]
		return s
	}
	var w workspace
	w.u, w.v, w.mm = take(sizes[0]), take(sizes[1]), take(sizes[2])
	w.wt, w.mm = w.mm[:9*g.wtStride], w.mm[:g.perTile*g.mStride]
	for i := range w.scratch {
		w.scratch[i] = take(g.scratch)
	}
	return w, total
}

// The geometry of each pass. ConvInput is the forward convolution of dy with the flipped,
// channel-swapped filter: dx[c,i,j] = Σ_{o,p,q} w[o,c,2-p,2-q]·dy[o, i-(2-pad)+p, j-(2-pad)+q],
// so its input has cout channels of oh×ow, its output c channels, and its padding is 2-pad
// (the output size is then oh+2(2-pad)-2 = h).
func convGeometry(t Tile, n, c, h, wd, cout, pad int) geometry {
	return newGeometry("Conv", t, n, c, h, wd, cout, pad)
}

func convInputGeometry(t Tile, n, c, h, wd, cout, pad int) geometry {
	oh, ow := h+2*pad-2, wd+2*pad-2
	if pad < 0 || pad > 2 || oh < 1 || ow < 1 {
		newGeometry("ConvInput", t, n, c, h, wd, cout, pad) // panics with the shapes
	}
	return newGeometry("ConvInput", t, n, cout, oh, ow, c, 2-pad)
}

func convWeightGeometry(t Tile, n, c, h, wd, cout, pad int) geometry {
	return newGeometry("ConvWeight", t, n, c, h, wd, cout, pad)
}

// ConvWorkspace returns the number of float32s Conv needs in ws.
func ConvWorkspace(t Tile, n, c, h, wd, cout, pad int) int {
	g := convGeometry(t, n, c, h, wd, cout, pad)
	_, size := g.layout(nil, true)
	return size
}

// ConvInputWorkspace returns the number of float32s ConvInput needs in ws.
func ConvInputWorkspace(t Tile, n, c, h, wd, cout, pad int) int {
	g := convInputGeometry(t, n, c, h, wd, cout, pad)
	_, size := g.layout(nil, true)
	return size
}

// ConvWeightWorkspace returns the number of float32s ConvWeight needs in ws.
func ConvWeightWorkspace(t Tile, n, c, h, wd, cout, pad int) int {
	g := convWeightGeometry(t, n, c, h, wd, cout, pad)
	_, size := g.layout(nil, true)
	return size
}

// Conv computes the 3×3 stride-1 convolution (cross-correlation, as PyTorch's Conv2d)
//
//	y[n,o,i,j] = bias[o] + Σ_{c,p,q} w[o,c,p,q] · x[n,c,i-pad+p, j-pad+q]
//
// with x read as 0 outside the image, by Winograd's minimal filtering algorithm F(m×m,3×3).
//
// Shape: x is [n,c,h,wd], w is [cout,c,3,3], bias is [cout] or nil, y is [n,cout,oh,ow] with
// oh = h+2·pad-2 and ow = wd+2·pad-2; pad is 0, 1 or 2 and oh, ow must be at least 1. y is
// overwritten. ws holds at least ConvWorkspace(...) floats, whose contents on entry do not
// matter. Conv panics if a slice is too short.
func Conv(t Tile, y, x, w, bias []float32, n, c, h, wd, cout, pad int, ws []float32) {
	g := convGeometry(t, n, c, h, wd, cout, pad)
	checkLen(g.op, "y", len(y), n*cout*g.oh*g.ow)
	checkLen(g.op, "x", len(x), n*c*h*wd)
	checkLen(g.op, "w", len(w), cout*c*9)
	if bias != nil {
		checkLen(g.op, "bias", len(bias), cout)
	}
	g.forward(y, x, w, false, bias, ws)
}

// ConvInput computes the input gradient of Conv for the output gradient dy:
//
//	dx[n,c,i,j] = Σ_{o,p,q} w[o,c,p,q] · dy[n,o, i+pad-p, j+pad-q]   (dy read as 0 outside)
//
// which is a convolution of dy, padded by 2-pad, with the kernel flipped in both spatial
// directions and its channel dimensions swapped; ConvInput runs Conv's algorithm on it.
//
// Shape: dy is [n,cout,oh,ow], w is [cout,c,3,3], dx is [n,c,h,wd] (overwritten), with oh, ow
// and pad as in Conv. ws holds at least ConvInputWorkspace(...) floats.
func ConvInput(t Tile, dx, dy, w []float32, n, c, h, wd, cout, pad int, ws []float32) {
	g := convInputGeometry(t, n, c, h, wd, cout, pad)
	checkLen(g.op, "dx", len(dx), n*c*h*wd)
	checkLen(g.op, "dy", len(dy), n*cout*g.h*g.w)
	checkLen(g.op, "w", len(w), cout*c*9)
	g.forward(dx, dy, w, true, nil, ws)
}

// ConvWeight computes the weight gradient of Conv, summed over the batch:
//
//	dw[o,c,p,q] = Σ_{n,i,j} dy[n,o,i,j] · x[n,c, i-pad+p, j-pad+q]
//
// by the transpose of the forward's bilinear form. For one tile the forward is
// Y = Aᵀ [(G g Gᵀ) ⊙ V] A with V = Bᵀ d B, so for a loss L with ∂L/∂Y = dY,
//
//	∂L/∂g = Σ_tiles Gᵀ [ (A dY Aᵀ) ⊙ V ] G = Gᵀ [ Σ_tiles (A dY Aᵀ) ⊙ V ] G
//
// (using ⟨dY, Aᵀ Z A⟩ = ⟨A dY Aᵀ, Z⟩ twice). The sum over tiles, for each of the α² positions
// k, is the GEMM S[k][o][c] = Σ_t (A dY Aᵀ)[k][o][t] · V[k][c][t]. Outputs of edge tiles that
// stick out of the image were discarded by the forward, so their dY is 0.
//
// Shape: dy is [n,cout,oh,ow], x is [n,c,h,wd], dw is [cout,c,3,3] (overwritten), with oh, ow
// and pad as in Conv. ws holds at least ConvWeightWorkspace(...) floats.
func ConvWeight(t Tile, dw, dy, x []float32, n, c, h, wd, cout, pad int, ws []float32) {
	g := convWeightGeometry(t, n, c, h, wd, cout, pad)
	checkLen(g.op, "dw", len(dw), cout*c*9)
	checkLen(g.op, "dy", len(dy), n*cout*g.oh*g.ow)
	checkLen(g.op, "x", len(x), n*c*h*wd)
	g.weight(dw, dy, x, ws)
}

func checkLen(op, name string, have, want int) {
	if have < want {
		panic(fmt.Sprintf("winograd: %s: %s has %d elements, need %d", op, name, have, want))
	}
}

// forward computes y = conv(x, w) + bias. If swapped, the filter of output channel o and
// input channel c is w[c,o] flipped in both directions (ConvInput's).
func (g *geometry) forward(y, x, w []float32, swapped bool, bias []float32, ws []float32) {
	s, _ := g.layout(ws, false)
	g.transformFilters(s.u, s.wt, w, swapped)
	// Swapped, u holds each U[k] transposed (ci×co: see transformFilters), and the products read
	// it so.
	lda := g.ci
	if swapped {
		lda = g.co
	}
	for t0 := 0; t0 < g.tiles; t0 += g.block {
		nb := min(g.block, g.tiles-t0)
		g.transformInputs(s, x, t0, nb)
		// M[k] = U[k]·V[k]: (co×ci)·(ci×nb) for each of the α² positions.
		g.eachProduct(func(k, threads int) {
			gemm.SgemmThreads(threads, swapped, false, g.co, nb, g.ci, 1, s.u[k*g.uStride:], lda,
				s.v[k*g.vStride:], nb, 0, s.mm[k*g.mStride:], nb)
		})
		parallelFor(g.workers, g.co, func(worker, lo, hi int) {
			d := g.split(s.scratch[worker])
			for o := lo; o < hi; o++ {
				b := float32(0)
				if bias != nil {
					b = bias[o]
				}
				g.inverseTransformTiles(y, o, s.mm[o*nb:], g.mStride, d, b, t0, nb)
			}
		})
	}
}

// transformFilters sets u[k][o][c] = (G g Gᵀ)[k] for the filter g = w[o,c] of each (o, c)
// pair, or, if swapped, u[k][c][o] for g = w[c,o] flipped: the lanes then stay in w's order
// (w is [ci][co][3][3] in this convolution's names), so that the reorder reads w as the
// unswapped one does, 9 floats apart, rather than co·9 apart (a cache line per float, in a few
// cache sets), and the products read each U[k] transposed instead.
func (g *geometry) transformFilters(u, wt, w []float32, swapped bool) {
	lanes := g.filters
	flip := 0 // tap pq of lane l is w[l*9 + pq], or w[l*9 + 8-pq] flipped
	if swapped {
		flip = 8
	}
	parallelFor(g.workers, lanes, func(_, lo, hi int) {
		// Reorder reorderChunk lanes at a time, tap by tap, so that the lanes' filters (9 KB)
		// stay in L1 across the nine passes.
		for c0 := lo; c0 < hi; c0 += reorderChunk {
			c1 := min(c0+reorderChunk, hi)
			filters := w[c0*9 : c1*9]
			for pq := 0; pq < 9; pq++ {
				tap := pq
				if flip != 0 {
					tap = flip - pq
				}
				everyNinth(wt[pq*g.wtStride+c0:pq*g.wtStride+c1], filters[tap:])
			}
		}
		transform(g.tf.filter, u[lo:], g.uStride, wt[lo:], g.wtStride, hi-lo)
	})
}

// everyNinth sets dst[i] = src[9*i], four at a time so that one bounds check covers four
// loads (0.55 -> 0.34 ms for 256x256 filters on one thread, AMD EPYC Zen 4).
func everyNinth(dst, src []float32) {
	if len(dst) == 0 {
		return
	}
	_ = src[9*(len(dst)-1)] // every load below is in range
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		q := src[9*i : 9*i+28]
		d := dst[i : i+4]
		d[0], d[1], d[2], d[3] = q[0], q[9], q[18], q[27]
	}
	for ; i < len(dst); i++ {
		dst[i] = src[9*i]
	}
}

// transformInputs sets V[k][c][t-t0] = (Bᵀ d B)[k] for the input tile d of channel c of each
// tile t in [t0, t0+nb).
func (g *geometry) transformInputs(s workspace, x []float32, t0, nb int) {
	parallelFor(g.workers, g.ci, func(worker, lo, hi int) {
		d := g.split(s.scratch[worker])
		for c := lo; c < hi; c++ {
			v := s.v[c*nb:]
			if g.padH == 0 || active.gathers[g.tf.input] == nil {
				g.transformTiles(g.tf.input, v, g.vStride, d, x, c, g.ci, g.h, g.w, g.pad, t0, nb)
				continue
			}
			// One image at a time, from its padded plane, where window (ty, tx) starts at
			// (m·ty, m·tx): tile t of image n is tile t - n·perImage of the copy.
			perImage := g.tilesY * g.tilesX
			for i := 0; i < nb; {
				n := (t0 + i) / perImage
				run := min(nb-i, (n+1)*perImage-t0-i)
				g.padPlane(d.padded, x[(n*g.ci+c)*g.h*g.w:][:g.h*g.w])
				g.transformTiles(g.tf.input, v[i:], g.vStride, d, d.padded, 0, 1, g.padH, g.padW, 0, t0+i-n*perImage, run)
				i += run
			}
		}
	})
}

// padPlane copies the h×w plane into the padH×padW plane dst at (pad, pad), zeros around it.
func (g *geometry) padPlane(dst, plane []float32) {
	clear(dst[:g.pad*g.padW])
	for r := 0; r < g.h; r++ {
		row := dst[(r+g.pad)*g.padW:][:g.padW]
		clear(row[:g.pad])
		copy(row[g.pad:], plane[r*g.w:(r+1)*g.w])
		clear(row[g.pad+g.w:])
	}
	clear(dst[(g.h+g.pad)*g.padW : g.padH*g.padW])
}

// weight computes dw for ConvWeight's geometry (see ConvWeight for the algebra).
func (g *geometry) weight(dw, dy, x []float32, ws []float32) {
	s, _ := g.layout(ws, false)
	for t0 := 0; t0 < g.tiles; t0 += g.block {
		nb := min(g.block, g.tiles-t0)
		g.transformInputs(s, x, t0, nb)
		// mm[k][o][t] = (A dY Aᵀ)[k] for the m×m output-gradient tile of channel o.
		parallelFor(g.workers, g.co, func(worker, lo, hi int) {
			d := g.split(s.scratch[worker])
			for o := lo; o < hi; o++ {
				g.transformTiles(g.tf.gradOutput, s.mm[o*nb:], g.mStride, d, dy, o, g.co, g.oh, g.ow, 0, t0, nb)
			}
		})
		// S[k] (+)= mm[k]·V[k]ᵀ: (co×nb)·(nb×ci), summed over the blocks.
		beta := float32(1)
		if t0 == 0 {
			beta = 0
		}
		g.eachProduct(func(k, threads int) {
			gemm.SgemmThreads(threads, false, true, g.co, g.ci, nb, 1, s.mm[k*g.mStride:], nb,
				s.v[k*g.vStride:], nb, beta, s.u[k*g.uStride:], g.ci)
		})
	}
	// dw[o,c] = Gᵀ S G, then back from tap-major wt to dw's [o][c][3][3].
	lanes := g.filters
	parallelFor(g.workers, lanes, func(_, lo, hi int) {
		transform(g.tf.gradFilter, s.wt[lo:], g.wtStride, s.u[lo:], g.uStride, hi-lo)
		for l := lo; l < hi; l++ {
			for pq := range 9 {
				dw[l*9+pq] = s.wt[pq*g.wtStride+l]
			}
		}
	})
}

// gatherTiles sets d[(r*a+s)*ld + i] to pixel (m·ty+r-off, m·tx+s-off) of channel ch of image
// n, for r, s < a and tile t0+i = (n·tilesY + ty)·tilesX + tx, i < nb: the a×a window of each
// tile, lane-wise. Pixels outside the h×w image (padding, and edge tiles sticking out) are 0.
// img holds images of channels channels. It walks the block one run of tiles in a tile row at
// a time, so that each inner loop writes one row of d in order (reading every m-th pixel).
func (g *geometry) gatherTiles(d []float32, ld int, img []float32, ch, channels, h, w, a, off, t0, nb int) {
	perImage := g.tilesY * g.tilesX
	m := g.m
	for i0 := 0; i0 < nb; {
		t := t0 + i0
		n, ty, tx0 := t/perImage, t%perImage/g.tilesX, t%g.tilesX
		run := min(g.tilesX-tx0, nb-i0) // tiles tx0 .. tx0+run-1 of this tile row
		plane := img[(n*channels+ch)*h*w:][:h*w]
		for r := 0; r < a; r++ {
			yy := m*ty + r - off
			for s := 0; s < a; s++ {
				dst := d[(r*a+s)*ld+i0:][:run]
				if yy < 0 || yy >= h {
					clear(dst)
					continue
				}
				row := plane[yy*w : (yy+1)*w]
				// Pixel column m·tx+s-off is inside for lo <= tx-tx0 < hi.
				lo := max(0, ceilDiv(off-s, m)-tx0)
				hi := min(run, floorDiv(w-1-s+off, m)-tx0+1)
				if hi < lo {
					lo, hi = 0, 0
				}
				clear(dst[:lo])
				x := m*(tx0+lo) + s - off
				for k := lo; k < hi; k++ {
					dst[k] = row[x]
					x += m
				}
				clear(dst[hi:])
			}
		}
		i0 += run
	}
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

// scatterTiles writes the m×m output tiles in d (lane-wise, d[(i*m+j)*ld + l] for tile t0+l)
// plus b into channel o of y, leaving out the parts of edge tiles outside the oh×ow image. Like
// gatherTiles it walks runs of tiles in a tile row, reading one row of d in order per loop.
func (g *geometry) scatterTiles(y []float32, o int, d []float32, ld int, b float32, t0, nb int) {
	perImage := g.tilesY * g.tilesX
	m := g.m
	for l0 := 0; l0 < nb; {
		t := t0 + l0
		n, ty, tx0 := t/perImage, t%perImage/g.tilesX, t%g.tilesX
		run := min(g.tilesX-tx0, nb-l0)
		plane := y[(n*g.co+o)*g.oh*g.ow:][:g.oh*g.ow]
		for i := 0; i < min(m, g.oh-m*ty); i++ {
			row := plane[(m*ty+i)*g.ow : (m*ty+i+1)*g.ow]
			for j := 0; j < m; j++ {
				// Column m·tx+j is inside for tx-tx0 < inside.
				inside := min(run, floorDiv(g.ow-1-j, m)-tx0+1)
				src := d[(i*m+j)*ld+l0:][:max(inside, 0)]
				x := m*tx0 + j
				for _, v := range src {
					row[x] = v + b
					x += m
				}
			}
		}
		l0 += run
	}
}

// eachProduct runs f(k, threads) for the α² products k of a block, shared out among the
// workers (as many as gemm may use), each on its share of gemm's threads. The products are
// small (256×256×256 for F4 on the CycleGAN layer), and running them one after another, each
// on every thread, spends a fork and join per product: TestTuneGemmThreads measured the F2
// stage at 66x66 in 23.0 -> 17.9 ms, F4 14.1 -> 12.9 ms (best of 5, interleaved; AMD EPYC
// Zen 4, 2 threads, on a machine shared with other benchmarks), and never slower.
// The workers claim products one at a time rather than a fixed half each, so that a worker
// whose core is taken by another process does not leave the rest waiting.
func (g *geometry) eachProduct(f func(k, threads int)) {
	parts := min(g.workers, g.perTile, gemm.Threads())
	threads := max(1, gemm.Threads()/parts)
	parallel.Claim(parts, g.perTile, func(_, k int) { f(k, threads) })
}

// parallelFor splits [0, n) into up to workers contiguous parts and runs body on each, on the
// calling goroutine and internal/parallel's long-lived workers (a fresh goroutine per part took
// about 70 µs to start running on the 2-vCPU AMD EPYC Zen 4 this was measured on, as much as a small
// layer's whole transform). worker numbers the part (< workers), for per-worker scratch.
func parallelFor(workers, n int, body func(worker, lo, hi int)) {
	parts := min(workers, n)
	if parts <= 1 {
		if n > 0 {
			body(0, 0, n)
		}
		return
	}
	parallel.Run(parts, func(p int) { body(p, p*n/parts, (p+1)*n/parts) })
}
