package shiftconv

import (
	"fmt"

	"github.com/zebra-go/zebra/internal/gemm"
	"github.com/zebra-go/zebra/internal/parallel"
)

// Geom is a stride-1, dilation-1 convolution: N images of C channels H×W, zero-padded by PadH
// rows and PadW columns on each side, and a kernel [Cout, C, KH, KW].
type Geom struct {
	N, C, H, W   int
	Cout, KH, KW int
	PadH, PadW   int
}

// OutH and OutW are the output's height and width.
func (g Geom) OutH() int { return g.H + 2*g.PadH - g.KH + 1 }
func (g Geom) OutW() int { return g.W + 2*g.PadW - g.KW + 1 }

func (g Geom) check(op string) {
	if g.N < 0 || g.C < 1 || g.H < 1 || g.W < 1 || g.Cout < 1 || g.KH < 1 || g.KW < 1 ||
		g.PadH < 0 || g.PadW < 0 || g.OutH() < 1 || g.OutW() < 1 {
		panic(fmt.Sprintf("shiftconv.%s: invalid geometry %+v", op, g))
	}
}

// layout is where one image and its output sit in the workspace, for a path with chunks of
// chunk positions.
type layout struct {
	Geom
	hp, wp    int   // the padded image
	oh, ow    int   // the output
	positions int   // oh·wp: the output on rows wp wide
	padded    int   // positions rounded up to a whole chunk
	taps      int   // C·KH·KW
	offs      []int // offs[t] for tap t = (c, i, j), ascending
	imageLen  int   // floats of the padded image plus the reads past its end
}

// newLayout lays g out for chunks of chunk positions. The tap offsets are left to withOffsets,
// which only the passes need, not the workspace sizes.
func newLayout(g Geom, chunk int) layout {
	l := layout{Geom: g, hp: g.H + 2*g.PadH, wp: g.W + 2*g.PadW, oh: g.OutH(), ow: g.OutW(),
		taps: g.C * g.KH * g.KW}
	l.positions = l.oh * l.wp
	l.padded = (l.positions + chunk - 1) / chunk * chunk
	plane := l.hp * l.wp
	lastTap := (g.C-1)*plane + (g.KH-1)*l.wp + g.KW - 1
	l.imageLen = max(g.C*plane, lastTap+l.padded)
	return l
}

// withOffsets fills in offs.
func (l *layout) withOffsets() *layout {
	plane := l.hp * l.wp
	l.offs = make([]int, 0, l.taps)
	for c := range l.C {
		for i := range l.KH {
			for j := range l.KW {
				l.offs = append(l.offs, c*plane+i*l.wp+j)
			}
		}
	}
	return l
}

// ForwardWorkspace returns the number of float32s Forward needs in ws.
func ForwardWorkspace(g Geom) int {
	l := newLayout(g, maxChunk)
	return l.imageLen + g.Cout*(l.padded+l.taps)
}

// WeightWorkspace returns the number of float32s Weight needs in ws: the image, the gradient,
// the sums of each segment, and each thread's lane-wise partial sums.
func WeightWorkspace(g Geom) int {
	l := newLayout(g, maxChunk)
	return l.imageLen + g.Cout*l.padded + segments(l.padded)*g.Cout*l.taps + gemm.Threads()*partLen
}

// partLen is the floats of one dots call's lane-wise partial sums, at most.
const partLen = maxBlock * maxChunk

// Forward overwrites y [N, Cout, OutH, OutW] with the convolution of x [N, C, H, W] with w
// [Cout, C, KH, KW], plus bias [Cout] (nil for none): for each image
//
//	y[o, r, s] = bias[o] + Σ_{c,i,j} w[o, c, i, j] · x[c, r+i−PadH, s+j−PadW]
//
// with x read as 0 outside the image, summed in ascending (c, i, j). ws holds ForwardWorkspace
// floats; its contents do not matter.
func Forward(y, x, w, bias []float32, g Geom, ws []float32) {
	g.check("Forward")
	p := active
	l := newLayout(g, p.chunk())
	l.withOffsets()
	if len(x) < g.N*g.C*g.H*g.W || len(w) < g.Cout*l.taps || len(y) < g.N*g.Cout*l.oh*l.ow ||
		(bias != nil && len(bias) < g.Cout) || len(ws) < ForwardWorkspace(g) {
		panic(fmt.Sprintf("shiftconv.Forward: %+v: y %d, x %d, w %d, bias %d or workspace %d too short",
			g, len(y), len(x), len(w), len(bias), len(ws)))
	}
	image := ws[:l.imageLen]
	out := ws[l.imageLen:][:g.Cout*l.padded]
	packed := ws[l.imageLen+len(out):][:g.Cout*l.taps]
	packWeights(packed, w, g.Cout, l.taps)

	chunks := l.padded / p.chunk()
	tiles := (chunks + tileChunks - 1) / tileChunks
	for n := range g.N {
		l.padImage(image, x[n*g.C*g.H*g.W:][:g.C*g.H*g.W])
		yn := y[n*g.Cout*l.oh*l.ow:][:g.Cout*l.oh*l.ow]
		parallel.Claim(gemm.Threads(), tiles, func(_, tile int) {
			lo := tile * tileChunks
			k := min(tileChunks, chunks-lo)
			for o0 := 0; o0 < g.Cout; o0 += maxBlock {
				ob := min(maxBlock, g.Cout-o0)
				p.runTaps(ob, out[o0*l.padded+lo*p.chunk():], l.padded, image[lo*p.chunk():],
					l.offs, packed[o0*l.taps:], l.taps, k)
			}
			// Copied out while the tile's outputs are still in cache.
			l.unpackOutput(yn, out, bias, lo*p.chunk(), min((lo+k)*p.chunk(), l.positions))
		})
	}
}

// tileChunks is how many chunks Forward computes for every output channel before moving on,
// so that the image rows they read stay in cache across the channel blocks: on AVX-512, 8
// chunks of 96 positions read 768 + (KH−1)·wp floats of each input channel (AVX2's chunks are
// a quarter as long).
const tileChunks = 8

// packWeights writes w [cout, taps] block by block of maxBlock output channels, each block
// [taps, ob] (the order the taps kernels broadcast them in).
func packWeights(dst, w []float32, cout, taps int) {
	for o0 := 0; o0 < cout; o0 += maxBlock {
		ob := min(maxBlock, cout-o0)
		block := dst[o0*taps:][:taps*ob]
		for o := range ob {
			for t, v := range w[(o0+o)*taps:][:taps] {
				block[t*ob+o] = v
			}
		}
	}
}

// padImage writes one image [C, H, W] into dst with its zero padding, and zeroes the floats
// past its end that the kernels read (into outputs that are discarded, or times a zero
// gradient: they must be finite). The rows are shared among threads.
func (l *layout) padImage(dst, x []float32) {
	parallel.For(l.C*l.hp, rowGrain, func(lo, hi int) {
		for cr := lo; cr < hi; cr++ {
			c, r := cr/l.hp, cr%l.hp-l.PadH
			row := dst[cr*l.wp:][:l.wp]
			if r < 0 || r >= l.H {
				clear(row)
				continue
			}
			clear(row[:l.PadW])
			copy(row[l.PadW:], x[(c*l.H+r)*l.W:][:l.W])
			clear(row[l.PadW+l.W:])
		}
	})
	clear(dst[l.C*l.hp*l.wp : l.imageLen])
}

// rowGrain is the fewest rows of an image or gradient that one thread lays out: a row is a
// few hundred bytes, and a thread costs a few microseconds to wake.
const rowGrain = 64

// unpackOutput copies the valid columns of positions [lo, hi) of the wide output rows out
// into y [Cout, oh, ow], adding the bias.
func (l *layout) unpackOutput(y, out, bias []float32, lo, hi int) {
	for o := range l.Cout {
		var b float32
		if bias != nil {
			b = bias[o]
		}
		plane := out[o*l.padded:]
		for p := lo; p < hi; {
			i, s := p/l.wp, p%l.wp
			end := min(hi-p+s, l.wp) // this row's positions up to hi
			if s < l.ow {
				src := plane[i*l.wp+s : i*l.wp+min(end, l.ow)]
				dst := y[(o*l.oh+i)*l.ow+s:][:len(src)]
				if bias == nil {
					copy(dst, src)
				} else {
					for q, v := range src {
						dst[q] = v + b
					}
				}
			}
			p += end - s
		}
	}
}

// packGradient writes one output gradient [Cout, oh, ow] into rows wp wide, zero in the
// garbage columns and past the last position, so that those positions add nothing to a dot
// product. The rows are shared among threads.
func (l *layout) packGradient(dst, dy []float32) {
	parallel.For(l.Cout*l.oh, rowGrain, func(lo, hi int) {
		for or := lo; or < hi; or++ {
			o, i := or/l.oh, or%l.oh
			row := dst[o*l.padded+i*l.wp:][:l.wp]
			copy(row, dy[or*l.ow:][:l.ow])
			clear(row[l.ow:])
		}
	})
	for o := range l.Cout {
		clear(dst[o*l.padded+l.positions : (o+1)*l.padded])
	}
}

// segmentPositions is how many positions one dots call covers at most: the weight gradient is
// summed segment by segment, so that the gradient rows and image rows one call streams stay in
// the L2 cache (4 rows of 8192 floats are 128 KiB).
const segmentPositions = 8192

// segments returns how many segments Weight splits padded positions into.
func segments(padded int) int { return (padded + segmentPositions - 1) / segmentPositions }

// Weight overwrites dw [Cout, C, KH, KW] with the weight gradient of the convolution for the
// output gradient dy [N, Cout, OutH, OutW] and the input x [N, C, H, W], summed over the batch:
//
//	dw[o, c, i, j] = Σ_{n,r,s} dy[n, o, r, s] · x[n, c, r+i−PadH, s+j−PadW]
//
// Each image's sum runs lane-wise over segments of the positions, then across lanes and
// segments in a fixed order, so that the result does not depend on how the work was shared
// among threads. ws holds WeightWorkspace floats; its contents do not matter.
//
// The sums run over the wide rows, whose last KW−1 columns of gradient are zero and meet image
// pixels of the next row: an infinite input pixel there makes 0·Inf = NaN in taps of its
// channel that the convolution does not pair with it (GEMM's weight gradient would stay finite
// in those). A non-finite input poisons the step's gradients either way; the finiteness checks
// after each optimizer step report it.
func Weight(dw, dy, x []float32, g Geom, ws []float32) {
	g.check("Weight")
	p := active
	l := newLayout(g, p.chunk())
	l.withOffsets()
	if len(x) < g.N*g.C*g.H*g.W || len(dy) < g.N*g.Cout*l.oh*l.ow || len(dw) < g.Cout*l.taps || len(ws) < WeightWorkspace(g) {
		panic(fmt.Sprintf("shiftconv.Weight: %+v: dw %d, dy %d, x %d or workspace %d too short",
			g, len(dw), len(dy), len(x), len(ws)))
	}
	image := ws[:l.imageLen]
	grad := ws[l.imageLen:][:g.Cout*l.padded]
	segs := segments(l.padded)
	sums := ws[l.imageLen+len(grad):][:segs*g.Cout*l.taps]
	threads := gemm.Threads()
	parts := ws[l.imageLen+len(grad)+len(sums):][:threads*partLen]

	// The taps in blocks of p.vecs, the last one filled up with offset 0 (its sums are dropped).
	tb := p.vecs
	tapBlocks := (l.taps + tb - 1) / tb
	offs := make([]int, tapBlocks*tb)
	copy(offs, l.offs)
	oBlocks := (g.Cout + maxBlock - 1) / maxBlock
	dwv := dw[:g.Cout*l.taps]
	clear(dwv)
	for n := range g.N {
		l.padImage(image, x[n*g.C*g.H*g.W:][:g.C*g.H*g.W])
		l.packGradient(grad, dy[n*g.Cout*l.oh*l.ow:][:g.Cout*l.oh*l.ow])
		parallel.Claim(threads, segs*oBlocks*tapBlocks, func(worker, item int) {
			seg, rest := item/(oBlocks*tapBlocks), item%(oBlocks*tapBlocks)
			o0, t0 := rest/tapBlocks*maxBlock, rest%tapBlocks*tb
			ob := min(maxBlock, g.Cout-o0)
			lo := seg * segmentPositions
			m := min(segmentPositions, l.padded-lo)
			part := parts[worker*partLen:][:partLen]
			p.runDots(ob, part, grad[o0*l.padded+lo:], l.padded, image[lo:], offs[t0:], m/p.lanes)
			s := sums[seg*g.Cout*l.taps:]
			for o := range ob {
				for t := range min(tb, l.taps-t0) {
					s[(o0+o)*l.taps+t0+t] = sumLanes(part[(o*tb+t)*p.lanes:][:p.lanes])
				}
			}
		})
		for seg := range segs {
			for i, v := range sums[seg*g.Cout*l.taps:][:len(dwv)] {
				dwv[i] += v
			}
		}
	}
}

// sumLanes adds up one tap's lane-wise partial sums (a multiple of 4 of them) in four
// interleaved chains rather than one, whose latency would cost as much as a short dots call;
// the order is fixed, so the sum does not depend on the thread.
func sumLanes(v []float32) float32 {
	var a, b, c, d float32
	for i := 0; i+4 <= len(v); i += 4 {
		a += v[i]
		b += v[i+1]
		c += v[i+2]
		d += v[i+3]
	}
	return (a + b) + (c + d)
}
