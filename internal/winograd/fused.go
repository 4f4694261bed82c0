package winograd

import "fmt"

// The fused kernels move tiles between an image and the lane-wise layout of the transforms
// without the scratch copy in between: a gather kernel reads the windows of 16 tiles straight
// from the image and transforms them, a scatter kernel inverse-transforms 16 tiles and writes
// them (plus the bias) into the image. The 16 lanes are two halves of fusedHalf horizontally
// adjacent tiles, half 0 starting at pixel lo and half 1 at hi: for an image at least 16 tiles
// wide hi = lo + 8m, for one 8 tiles wide the halves are consecutive tile rows. Input planes
// whose edge windows reach into the padding are first copied into a zero-bordered plane (see
// newGeometry). Tiles that still do not form such halves (edge tiles of the output, rows of 17
// tiles, narrow images) are gathered, short runs of them batched (see gaps). Only AVX-512 has
// the kernels (its two-table permutes do the stride-m deinterleave); the other paths gather
// every tile, as gatherTiles and transform.

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

// segment is one step of the walk over the lanes of a block: the 16 lanes at i fused, their
// halves' windows at lo and hi, or n lanes at i gathered.
type segment struct {
	i, n, lo, hi int
	fused        bool
}

// nextSegment returns the step of the walk over lanes [0, nb) of a block (tile t0 first) that
// starts at lane i: 16 lanes that form two halves (halfAt with the arguments given), or the
// lanes up to the next such 16.
func (g *geometry) nextSegment(i, t0, nb, ch, channels, h, w, a, off int) segment {
	for j := i; j+fusedLanes <= nb; j++ {
		lo, ok := g.halfAt(t0+j, ch, channels, h, w, a, off)
		if !ok {
			continue
		}
		hi, ok := g.halfAt(t0+j+fusedHalf, ch, channels, h, w, a, off)
		if !ok {
			continue
		}
		if j > i {
			return segment{i: i, n: j - i}
		}
		return segment{i: i, n: fusedLanes, lo: lo, hi: hi, fused: true}
	}
	return segment{i: i, n: nb - i}
}

// gapChunk is how many lanes of short gathered segments (the odd tile at the end of each row of
// 17) are collected before one transform handles them all: one at a time, each would leave
// transform to its Go twin. Their buffers are in each worker's scratch.
const gapChunk = 64

// gaps is a batch of short segments, (lane, count) each, of lanes lanes in all.
type gaps struct {
	runs  [gapChunk][2]int
	count int
	lanes int
}

func (q *gaps) add(i, n int) {
	q.runs[q.count] = [2]int{i, n}
	q.count++
	q.lanes += n
}

// transformTiles sets dst[(i*r+j)*dstStride + l] = (P d Pᵀ)[i][j] for the a×a window d
// (a = P's columns) of tile t0+l, l < nb, of channel ch of img, as gatherTiles reads it: by
// the fused kernel where the active path has one and the tiles allow, else through scratch.
func (g *geometry) transformTiles(p *matrix, dst []float32, dstStride int, d workerScratch, img []float32, ch, channels, h, w, off, t0, nb int) {
	a, scratch := p.cols, d.tiles
	if active.gathers[p] == nil || nb < fusedLanes {
		g.gatherTiles(scratch, nb, img, ch, channels, h, w, a, off, t0, nb)
		transform(p, dst, dstStride, scratch, nb, nb)
		return
	}
	var short gaps
	for i := 0; i < nb; {
		sg := g.nextSegment(i, t0, nb, ch, channels, h, w, a, off)
		switch {
		case sg.fused:
			gatherTransform(p, g.m, dst[i:], dstStride, img, sg.lo, sg.hi, w)
		case sg.n >= fusedLanes:
			g.gatherTiles(scratch, sg.n, img, ch, channels, h, w, a, off, t0+i, sg.n)
			transform(p, dst[i:], dstStride, scratch, sg.n, sg.n)
		default:
			if short.lanes+sg.n > gapChunk {
				g.transformGaps(p, dst, dstStride, img, ch, channels, h, w, off, t0, &short, d.gapIn, d.gapOut)
			}
			short.add(i, sg.n)
		}
		i += sg.n
	}
	g.transformGaps(p, dst, dstStride, img, ch, channels, h, w, off, t0, &short, d.gapIn, d.gapOut)
}

// transformGaps is transformTiles on the lanes of the batch q, which it then empties: gathered
// into in side by side, transformed into out at once, and copied to their lanes of dst.
func (g *geometry) transformGaps(p *matrix, dst []float32, dstStride int, img []float32, ch, channels, h, w, off, t0 int, q *gaps, in, out []float32) {
	if q.lanes == 0 {
		return
	}
	at := 0
	for _, run := range q.runs[:q.count] {
		for l := 0; l < run[1]; l++ {
			g.gatherTile(in[at+l:], gapChunk, img, ch, channels, h, w, p.cols, off, t0+run[0]+l)
		}
		at += run[1]
	}
	transform(p, out, gapChunk, in, gapChunk, q.lanes)
	at = 0
	for _, run := range q.runs[:q.count] {
		for e := 0; e < p.rows*p.rows; e++ {
			copy(dst[e*dstStride+run[0]:][:run[1]], out[e*gapChunk+at:][:run[1]])
		}
		at += run[1]
	}
	*q = gaps{}
}

// inverseTransformTiles writes the output transform of the lane-wise products in src (tile
// t0+l at lane l < nb), plus b, into channel o of y: transform and scatterTiles, fused where
// the active path has a kernel and the tiles lie inside the output.
func (g *geometry) inverseTransformTiles(y []float32, o int, src []float32, srcStride int, d workerScratch, b float32, t0, nb int) {
	p, scratch := g.tf.output, d.tiles
	if active.scatters[p] == nil || nb < fusedLanes {
		transform(p, scratch, nb, src, srcStride, nb)
		g.scatterTiles(y, o, scratch, nb, b, t0, nb)
		return
	}
	var short gaps
	for i := 0; i < nb; {
		sg := g.nextSegment(i, t0, nb, o, g.co, g.oh, g.ow, g.m, 0)
		switch {
		case sg.fused:
			transformScatter(p, y, sg.lo, sg.hi, g.ow, src[i:], srcStride, b)
		case sg.n >= fusedLanes:
			transform(p, scratch, sg.n, src[i:], srcStride, sg.n)
			g.scatterTiles(y, o, scratch, sg.n, b, t0+i, sg.n)
		default:
			if short.lanes+sg.n > gapChunk {
				g.scatterGaps(y, o, src, srcStride, b, t0, &short, d.gapIn, d.gapOut)
			}
			short.add(i, sg.n)
		}
		i += sg.n
	}
	g.scatterGaps(y, o, src, srcStride, b, t0, &short, d.gapIn, d.gapOut)
}

// scatterGaps is inverseTransformTiles on the lanes of the batch q, which it then empties:
// copied from src side by side into in, transformed into out at once, and scattered.
func (g *geometry) scatterGaps(y []float32, o int, src []float32, srcStride int, b float32, t0 int, q *gaps, in, out []float32) {
	if q.lanes == 0 {
		return
	}
	p := g.tf.output
	at := 0
	for _, run := range q.runs[:q.count] {
		for l := 0; l < run[1]; l++ {
			for e := 0; e < g.perTile; e++ {
				in[e*gapChunk+at+l] = src[e*srcStride+run[0]+l]
			}
		}
		at += run[1]
	}
	transform(p, out, gapChunk, in, gapChunk, q.lanes)
	at = 0
	for _, run := range q.runs[:q.count] {
		for l := 0; l < run[1]; l++ {
			g.scatterTile(y, o, out[at+l:], gapChunk, b, t0+run[0]+l)
		}
		at += run[1]
	}
	*q = gaps{}
}

// gatherTile is gatherTiles for the one tile t, a pixel at a time: for the odd tiles between
// fused ones, where gatherTiles's row setup would cost more than the copying.
func (g *geometry) gatherTile(d []float32, ld int, img []float32, ch, channels, h, w, a, off, t int) {
	perImage := g.tilesY * g.tilesX
	n, ty, tx := t/perImage, t%perImage/g.tilesX, t%g.tilesX
	plane := img[(n*channels+ch)*h*w:][:h*w]
	y0, x0 := g.m*ty-off, g.m*tx-off
	for r := 0; r < a; r++ {
		for s := 0; s < a; s++ {
			v := float32(0)
			if yy, xx := y0+r, x0+s; yy >= 0 && yy < h && xx >= 0 && xx < w {
				v = plane[yy*w+xx]
			}
			d[(r*a+s)*ld] = v
		}
	}
}

// scatterTile is scatterTiles for the one tile t, a pixel at a time.
func (g *geometry) scatterTile(y []float32, o int, d []float32, ld int, b float32, t int) {
	perImage := g.tilesY * g.tilesX
	n, ty, tx := t/perImage, t%perImage/g.tilesX, t%g.tilesX
	plane := y[(n*g.co+o)*g.oh*g.ow:][:g.oh*g.ow]
	m := g.m
	for i := 0; i < min(m, g.oh-m*ty); i++ {
		for j := 0; j < min(m, g.ow-m*tx); j++ {
			plane[(m*ty+i)*g.ow+m*tx+j] = d[(i*m+j)*ld] + b
		}
	}
}
