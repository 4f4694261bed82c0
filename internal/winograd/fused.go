package winograd

import "fmt"

// The fused kernels move tiles between an image and the lane-wise layout of the transforms
// without the scratch copy in between: a gather kernel reads the windows of 16 tiles straight
// from the image and transforms them, a scatter kernel inverse-transforms 16 tiles and writes
// them (plus the bias) into the image. The 16 lanes are two halves of fusedHalf horizontally
// adjacent tiles, half 0 starting at pixel lo and half 1 at hi: for an image at least 16 tiles
// wide hi = lo + 8m, for one 8 tiles wide the halves are consecutive tile rows. Tiles that do
// not form such halves inside the image (edges, padding, narrow images) take the gathered path,
// gatherTiles and transform. Only AVX-512 has the kernels (its two-table permutes do the
// stride-m deinterleave); the other paths gather as before.

const (
	fusedHalf  = 8
	fusedLanes = 2 * fusedHalf
)

// gatherKernel is gatherTransformGo for one matrix and tile stride, without bounds checks.
type gatherKernel func(dst *float32, dstStride int, lo, hi *float32, rowStride int)

// scatterKernel is transformScatterGo for one matrix, without bounds checks.
type scatterKernel func(lo, hi *float32, rowStride int, src *float32, srcStride int, bias float32)

// gatherTransformGo sets dst[(i*r+j)*dstStride + l] = (P X Pᵀ)[i][j] for the 16 lanes l, where
// X is the s×s window X[k][q] = img[base + k*rowStride + q + m*(l%8)] with base lo for l < 8
// and hi for the rest. It is the twin of the gather kernels.
func gatherTransformGo(p *matrix, m int, dst []float32, dstStride int, img []float32, lo, hi, rowStride int) {
	s := p.cols
	var d [maxAlpha * maxAlpha * fusedLanes]float32
	for l := 0; l < fusedLanes; l++ {
		base := laneBase(lo, hi, m, l)
		for k := 0; k < s; k++ {
			for q := 0; q < s; q++ {
				d[(k*s+q)*fusedLanes+l] = img[base+k*rowStride+q]
			}
		}
	}
	transformGo(p, dst, dstStride, d[:], fusedLanes, fusedLanes)
}

// transformScatterGo sets img[base + i*rowStride + j + m*(l%8)] = bias + Y[i][j] of lane l for
// the 16 lanes of Y = P X Pᵀ (X lane-wise in src), m = r the output tile side and base as in
// gatherTransformGo. It is the twin of the scatter kernels.
func transformScatterGo(p *matrix, img []float32, lo, hi, rowStride int, src []float32, srcStride int, bias float32) {
	m := p.rows
	var y [maxAlpha * maxAlpha * fusedLanes]float32
	transformGo(p, y[:], fusedLanes, src, srcStride, fusedLanes)
	for l := 0; l < fusedLanes; l++ {
		base := laneBase(lo, hi, m, l)
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				img[base+i*rowStride+j] = y[(i*m+j)*fusedLanes+l] + bias
			}
		}
	}
}

// laneBase is where the window of lane l < 16 starts: lo + m·l in half 0, hi + m·(l-8) in half 1.
func laneBase(lo, hi, m, l int) int {
	if l < fusedHalf {
		return lo + m*l
	}
	return hi + m*(l-fusedHalf)
}

// gatherTransform is gatherTransformGo on the active path's kernel, if it has one.
func gatherTransform(p *matrix, m int, dst []float32, dstStride int, img []float32, lo, hi, rowStride int) {
	k := active.gathers[p]
	if k == nil {
		gatherTransformGo(p, m, dst, dstStride, img, lo, hi, rowStride)
		return
	}
	checkTransform(p, len(dst), dstStride, p.cols*p.cols*fusedLanes, fusedLanes, fusedLanes)
	checkWindows(p.name, len(img), lo, hi, rowStride, p.cols, p.cols, m)
	k(&dst[0], dstStride, &img[lo], &img[hi], rowStride)
}

// transformScatter is transformScatterGo on the active path's kernel, if it has one.
func transformScatter(p *matrix, img []float32, lo, hi, rowStride int, src []float32, srcStride int, bias float32) {
	k := active.scatters[p]
	if k == nil {
		transformScatterGo(p, img, lo, hi, rowStride, src, srcStride, bias)
		return
	}
	checkTransform(p, p.rows*p.rows*fusedLanes, fusedLanes, len(src), srcStride, fusedLanes)
	checkWindows(p.name, len(img), lo, hi, rowStride, p.rows, p.rows, p.rows)
	k(&img[lo], &img[hi], rowStride, &src[0], srcStride, bias)
}

// checkWindows panics unless both halves' windows (rows×cols each, tiles m apart) lie in an
// image of n floats: the kernels do not check.
func checkWindows(name string, n, lo, hi, rowStride, rows, cols, m int) {
	span := (rows-1)*rowStride + (fusedHalf-1)*m + cols
	if lo < 0 || hi < 0 || lo+span > n || hi+span > n || rowStride < (fusedHalf-1)*m+cols {
		panic(fmt.Sprintf("winograd: fused %s: windows at %d and %d (row stride %d) outside %d floats", name, lo, hi, rowStride, n))
	}
}

// halfAt returns the offset in img of the top-left pixel of the a×a windows (tile stride m,
// offset off as in gatherTiles) of the fusedHalf tiles t, t+1, ... of channel ch, if they lie
// in one tile row and inside the h×w image.
func (g *geometry) halfAt(t, ch, channels, h, w, a, off int) (int, bool) {
	perImage := g.tilesY * g.tilesX
	n, ty, tx := t/perImage, t%perImage/g.tilesX, t%g.tilesX
	y0, x0 := g.m*ty-off, g.m*tx-off
	if tx+fusedHalf > g.tilesX || y0 < 0 || y0+a > h || x0 < 0 || x0+g.m*(fusedHalf-1)+a > w {
		return 0, false
	}
	return ((n*channels+ch)*h+y0)*w + x0, true
}

// fusedRuns walks the lanes [0, nb) of a block starting at tile t0: fused(i, lo, hi) for each
// 16 lanes at i that form two halves (halfAt with the arguments given), and gathered(i, n) for
// each run of n lanes at i in between. It fuses only when tile rows are whole halves: with 17
// tiles a row (ConvInput's 66x66 output) the halves fall out of step with the vectors, and the
// one-tile runs between them cost more than fusing saves (0.42 -> 0.59 ms for ConvInput F2 on
// 64 channels at 16x16, Zen 4, best of 5).
func (g *geometry) fusedRuns(t0, nb, ch, channels, h, w, a, off int, fused func(i, lo, hi int), gathered func(i, n int)) {
	start := 0 // of the current run of gathered lanes
	if g.tilesX%fusedHalf != 0 {
		gathered(0, nb)
		return
	}
	for i := 0; i+fusedLanes <= nb; {
		lo, ok := g.halfAt(t0+i, ch, channels, h, w, a, off)
		hi, ok2 := g.halfAt(t0+i+fusedHalf, ch, channels, h, w, a, off)
		if !ok || !ok2 {
			i++
			continue
		}
		if i > start {
			gathered(start, i-start)
		}
		fused(i, lo, hi)
		i += fusedLanes
		start = i
	}
	if nb > start {
		gathered(start, nb-start)
	}
}

// transformTiles sets dst[(i*r+j)*dstStride + l] = (P d Pᵀ)[i][j] for the a×a window d
// (a = P's columns) of tile t0+l, l < nb, of channel ch of img, as gatherTiles reads it: by
// the fused kernel where the active path has one and the tiles allow, else through scratch.
func (g *geometry) transformTiles(p *matrix, dst []float32, dstStride int, scratch, img []float32, ch, channels, h, w, off, t0, nb int) {
	a := p.cols
	gathered := func(i, n int) {
		// A run shorter than a vector (the odd tile at the end of a tile row) would leave
		// transform to its Go twin: widen it to 16 lanes, overwriting fused lanes next to it
		// with the same values.
		if n < fusedLanes && nb >= fusedLanes {
			i, n = min(i, nb-fusedLanes), fusedLanes
		}
		g.gatherTiles(scratch, n, img, ch, channels, h, w, a, off, t0+i, n)
		transform(p, dst[i:], dstStride, scratch, n, n)
	}
	if active.gathers[p] == nil {
		gathered(0, nb)
		return
	}
	g.fusedRuns(t0, nb, ch, channels, h, w, a, off,
		func(i, lo, hi int) { gatherTransform(p, g.m, dst[i:], dstStride, img, lo, hi, w) },
		gathered)
}

// inverseTransformTiles writes the output transform of the lane-wise products in src (tile
// t0+l at lane l < nb), plus b, into channel o of y: transform and scatterTiles, fused where
// the active path has a kernel and the tiles lie inside the output.
func (g *geometry) inverseTransformTiles(y []float32, o int, src []float32, srcStride int, scratch []float32, b float32, t0, nb int) {
	p := g.tf.output
	gathered := func(i, n int) {
		if n < fusedLanes && nb >= fusedLanes { // widened as in transformTiles
			j := min(i, nb-fusedLanes)
			transform(p, scratch, fusedLanes, src[j:], srcStride, fusedLanes)
			g.scatterTiles(y, o, scratch[i-j:], fusedLanes, b, t0+i, n)
			return
		}
		transform(p, scratch, n, src[i:], srcStride, n)
		g.scatterTiles(y, o, scratch, n, b, t0+i, n)
	}
	if active.scatters[p] == nil {
		gathered(0, nb)
		return
	}
	g.fusedRuns(t0, nb, o, g.co, g.oh, g.ow, g.m, 0,
		func(i, lo, hi int) { transformScatter(p, y, lo, hi, g.ow, src[i:], srcStride, b) },
		gathered)
}
