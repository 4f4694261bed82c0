package winograd

import (
	"fmt"
	"runtime"

	"github.com/zebra-go/zebra/internal/gemm"
)

// ConvInputReflect computes the input gradient of a 3×3 convolution that follows a one-pixel
// reflection pad, Conv(ReflectPad(x, 1), w) with pad 0 (every convolution of a CycleGAN
// residual block): dx [n,c,h,wd] from dy [n,cout,h,wd]. It equals the pad's adjoint applied to
// ConvInput's gradient of the (h+2)×(wd+2) padded image, without forming that gradient:
//
//   - Its interior h×wd (padded pixel (i+1, j+1) is x's (i, j)) is ConvInput with pad 1 on an
//     h×wd image, written straight into dx. Its tiles cover exactly the image: 16x16 tiles of
//     F4 at 64x64, where ConvInput of the padded image needs 17x17 (66x66 outputs), 13% more
//     products in GEMMs a third wider than 256 and a third of its output tiles on the slow edge
//     path.
//   - Its one-pixel frame is where the pad's copies of x's second and second-to-last rows and
//     columns were: the pad's adjoint adds it there. Row 0 of the padded gradient is
//     Σ_{o,q} w[o,c,0,q]·dy[o,0,j-q], a one-dimensional convolution of dy's first row with the
//     kernel's top taps, and likewise row h+1 (dy's last row, bottom taps) and columns 0 and
//     wd+1 (first and last column, left and right taps). Each is one GEMM, (c × 3·cout) times
//     (3·cout × n·(wd+2)), about 2% of the convolution's multiply-adds at 256 channels and
//     64x64, run directly in float32 (direct's rounding, not Winograd's).
//
// The corners of the frame are in the rows' GEMMs; the columns' GEMMs compute them too, and
// they are dropped there. h and wd must be at least 2 (a reflection pad of 1 needs them).
// ws holds at least ConvInputReflectWorkspace(...) floats; dx is overwritten.
func ConvInputReflect(t Tile, dx, dy, w []float32, n, c, h, wd, cout int, ws []float32) {
	const op = "ConvInputReflect"
	if h < 2 || wd < 2 || n < 1 || c < 1 || cout < 1 {
		panic(fmt.Sprintf("winograd: %s: batch %d, %d→%d channels, %dx%d image: want positive sizes and an image of at least 2x2",
			op, n, c, cout, h, wd))
	}
	checkLen(op, "dx", len(dx), n*c*h*wd)
	checkLen(op, "dy", len(dy), n*cout*h*wd)
	checkLen(op, "w", len(w), cout*c*9)
	if need := ConvInputReflectWorkspace(t, n, c, h, wd, cout); len(ws) < need {
		panic(fmt.Sprintf("winograd: %s: workspace of %d floats, need %d", op, len(ws), need))
	}
	ConvInput(t, dx, dy, w, n, c, h, wd, cout, 1, ws)
	f := newFrame(n, c, h, wd, cout)
	f.add(dx, dy, w, ws)
}

// ConvInputReflectWorkspace returns the number of float32s ConvInputReflect needs in ws.
func ConvInputReflectWorkspace(t Tile, n, c, h, wd, cout int) int {
	return max(ConvInputWorkspace(t, n, c, h, wd, cout, 1), newFrame(n, c, h, wd, cout).workspace())
}

// frame computes the one-pixel frame of the padded input gradient (see ConvInputReflect) and
// folds it into dx. The four sides are numbered top, bottom, left, right.
type frame struct {
	n, c, h, w, cout int
	workers          int
}

func newFrame(n, c, h, wd, cout int) frame {
	return frame{n: n, c: c, h: h, w: wd, cout: cout, workers: min(runtime.GOMAXPROCS(0), maxWorkers)}
}

// length is the number of padded pixels along side s: a row of wd+2 or a column of h+2.
func (f frame) length(s int) int {
	if s < 2 {
		return f.w + 2
	}
	return f.h + 2
}

// workspace is the floats add uses: the four sides' taps of w, then one side's columns and
// products at a time.
func (f frame) workspace() int {
	long := f.n*max(f.w, f.h) + 2*f.n
	return 4*3*f.cout*f.c + (3*f.cout+f.c)*long
}

// add adds the folded frame to dx.
func (f frame) add(dx, dy, w, ws []float32) {
	k := 3 * f.cout
	taps := ws[:4*k*f.c]
	f.gatherTaps(taps, w)
	rest := ws[4*k*f.c:]
	for s := range 4 {
		cols := f.n * f.length(s)
		d, prod := rest[:k*cols], rest[k*cols:][:f.c*cols]
		f.gatherSide(d, cols, dy, s)
		// prod[col][c] = Σ_{(o,tap)} d[(o,tap)][col] · taps_s[(o,tap)][c]: the c channels as the
		// GEMM's columns, since the side's n·(wd+2) positions are too few to fill its tiles.
		gemm.Sgemm(true, false, cols, f.c, k, 1, d, cols, taps[s*k*f.c:], f.c, 0, prod, f.c)
		f.fold(dx, prod, s)
	}
}

// gatherTaps sets taps[s][o*3+r][c] to the tap of w[o,c] that side s reads at offset r: the
// top row (p = 0, q = r), the bottom row (p = 2, q = r), the left column (p = r, q = 0) and
// the right column (p = r, q = 2). One pass over w, split among the workers by o.
func (f frame) gatherTaps(taps, w []float32) {
	k := 3 * f.cout
	side := k * f.c
	parallelFor(f.workers, f.cout, func(_, lo, hi int) {
		for o := lo; o < hi; o++ {
			for c := 0; c < f.c; c++ {
				g := w[(o*f.c+c)*9:][:9]
				for r := range 3 {
					at := (o*3+r)*f.c + c
					taps[at] = g[r]
					taps[side+at] = g[6+r]
					taps[2*side+at] = g[3*r]
					taps[3*side+at] = g[3*r+2]
				}
			}
		}
	})
}

// gatherSide sets d[o*3+r][i*L + j] (L = length(s), cols = n·L) to the pixel of dy that side
// s's padded position j of image i reads at tap offset r: dy's first row (top), last row
// (bottom), first column (left) or last column (right) at position j-r, 0 outside it.
func (f frame) gatherSide(d []float32, cols int, dy []float32, s int) {
	length := f.length(s)
	plane := f.h * f.w
	parallelFor(f.workers, f.cout, func(_, lo, hi int) {
		for o := lo; o < hi; o++ {
			for i := range f.n {
				src := dy[(i*f.cout+o)*plane:][:plane]
				for r := range 3 {
					row := d[(o*3+r)*cols+i*length:][:length]
					clear(row[:r])
					clear(row[length-2+r:])
					inner := row[r : length-2+r] // positions j = r .. r+len-3 read dy at j-r
					switch s {
					case 0:
						copy(inner, src[:f.w])
					case 1:
						copy(inner, src[(f.h-1)*f.w:])
					case 2:
						for y := range inner {
							inner[y] = src[y*f.w]
						}
					default:
						for y := range inner {
							inner[y] = src[y*f.w+f.w-1]
						}
					}
				}
			}
		}
	})
}

// fold adds side s's frame pixels prod[i*L + j][c] into dx where the reflection pad copied
// them from: padded row 0 is x's row 1 and row h+1 is x's row h-2 (columns likewise), padded
// position j in 1..len-2 is x's j-1. A column side skips its first and last pixel (the corners,
// which the row sides added).
func (f frame) fold(dx, prod []float32, s int) {
	length := f.length(s)
	plane := f.h * f.w
	reflect := func(j, size int) int {
		switch j {
		case 0:
			return 1
		case size + 1:
			return size - 2
		}
		return j - 1
	}
	parallelFor(f.workers, f.c, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			for i := range f.n {
				src := prod[i*length*f.c+c:]
				dst := dx[(i*f.c+c)*plane:][:plane]
				switch s {
				case 0, 1:
					row := dst[1*f.w:][:f.w]
					if s == 1 {
						row = dst[(f.h-2)*f.w:][:f.w]
					}
					for j := range length {
						row[reflect(j, f.w)] += src[j*f.c]
					}
				default:
					col := 1
					if s == 3 {
						col = f.w - 2
					}
					for y := 1; y <= f.h; y++ {
						dst[(y-1)*f.w+col] += src[y*f.c]
					}
				}
			}
		}
	})
}
