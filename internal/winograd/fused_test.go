package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestFusedKernelsMatchGoTwin runs every fused gather and scatter on every path against its
// Go twin, with the two halves in a row, in consecutive tile rows, in reverse order and at the
// very end of the image. Pixels outside the windows a gather reads are NaN (a wrong read shows
// up in the result), and so are the gaps between the rows of its output and every pixel a
// scatter must not write.
func TestFusedKernelsMatchGoTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	gathers := []struct {
		p *matrix
		m int
	}{{f2.input, 2}, {f4.input, 4}, {f2.gradOutput, 2}, {f4.gradOutput, 4}}
	forEachPath(t, func(t *testing.T) {
		for _, gk := range gathers {
			for _, pl := range placements(gk.m, gk.p.cols) {
				checkGather(t, gk.p, gk.m, pl, rng)
			}
		}
		for _, p := range []*matrix{f2.output, f4.output} {
			for _, pl := range placements(p.rows, p.rows) {
				checkScatter(t, p, pl, rng)
			}
		}
	})
}

// placement is where the two halves of 16 tiles sit in an image of h rows of rowStride floats.
type placement struct{ h, rowStride, lo, hi int }

// placements returns the layouts the kernels meet for tiles m apart with s×s windows, and two
// that they do not (halves in reverse order, rows with a gap at their end).
func placements(m, s int) []placement {
	half := (fusedHalf-1)*m + s
	w := 2*fusedHalf*m + s - m
	return []placement{
		{s, w, 0, fusedHalf * m},             // one row of 16 tiles
		{m + s, half, 0, m * half},           // two tile rows of 8 tiles
		{2 * s, w + 5, s*(w+5) + 3, 0},       // reversed, row stride with a gap
		{2 * s, half + 1, 0, s*(half+1) + 1}, // hi ends on the image's last pixel
	}
}

func (pl placement) String() string {
	return fmt.Sprintf("h=%d stride=%d lo=%d hi=%d", pl.h, pl.rowStride, pl.lo, pl.hi)
}

// windowsOf returns the image offsets of element (k,q) of lane l of the placement's tiles.
func windowsOf(pl placement, m, s int) func(l, k, q int) int {
	return func(l, k, q int) int { return laneBase(pl.lo, pl.hi, m, l) + k*pl.rowStride + q }
}

func checkGather(t *testing.T, p *matrix, m int, pl placement, rng *rand.Rand) {
	r, s := p.rows, p.cols
	at := windowsOf(pl, m, s)
	img := nanBuffer(pl.h * pl.rowStride)
	for l := 0; l < fusedLanes; l++ {
		for e := 0; e < s*s; e++ {
			img[at(l, e/s, e%s)] = float32(rng.NormFloat64())
		}
	}
	x := make([]float32, s*s*fusedLanes) // the windows (which may overlap), lane-wise
	for l := 0; l < fusedLanes; l++ {
		for e := 0; e < s*s; e++ {
			x[e*fusedLanes+l] = img[at(l, e/s, e%s)]
		}
	}
	dstStride := fusedLanes + 3
	want, got := nanBuffer(r*r*dstStride), nanBuffer(r*r*dstStride)
	gatherTransformGo(p, m, want, dstStride, img, pl.lo, pl.hi, pl.rowStride)
	gatherTransform(p, m, got, dstStride, img, pl.lo, pl.hi, pl.rowStride)
	compareLaneWise(t, fmt.Sprintf("%s gather, %v,", p.name, pl), got, want, r*r, dstStride, fusedLanes,
		func(i, l int) float64 { return absSandwich(p, x, fusedLanes, i/r, i%r, l) })
}

func checkScatter(t *testing.T, p *matrix, pl placement, rng *rand.Rand) {
	m, s := p.rows, p.cols
	srcStride := fusedLanes + 5
	src := nanBuffer(s * s * srcStride)
	for e := 0; e < s*s; e++ {
		for l := 0; l < fusedLanes; l++ {
			src[e*srcStride+l] = float32(rng.NormFloat64())
		}
	}
	bias := float32(rng.NormFloat64())
	want, got := nanBuffer(pl.h*pl.rowStride), nanBuffer(pl.h*pl.rowStride)
	transformScatterGo(p, want, pl.lo, pl.hi, pl.rowStride, src, srcStride, bias)
	transformScatter(p, got, pl.lo, pl.hi, pl.rowStride, src, srcStride, bias)
	at := windowsOf(pl, m, m)
	inside := map[int]int{} // image offset → lane*m*m + element
	for l := 0; l < fusedLanes; l++ {
		for e := 0; e < m*m; e++ {
			inside[at(l, e/m, e%m)] = l*m*m + e
		}
	}
	for i := range got {
		where := fmt.Sprintf("%s scatter, %v, pixel %d", p.name, pl, i)
		le, ok := inside[i]
		if !ok {
			if !math.IsNaN(float64(got[i])) {
				t.Fatalf("%s: outside the tiles, written with %v", where, got[i])
			}
			continue
		}
		l, e := le/(m*m), le%(m*m)
		scale := absSandwich(p, src, srcStride, e/m, e%m, l) + math.Abs(float64(bias))
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= 1e-6*scale) {
			t.Fatalf("%s: kernel %v, Go twin %v (scale %.3g)", where, got[i], want[i], scale)
		}
	}
}

// TestFusedRunsCoverInteriorLayers checks that the fused kernels do take the tiles of the
// layers they are for, reading the input planes as transformInputs does (from the padded copy
// where the geometry has one). A mistake in halfAt would otherwise only cost speed.
func TestFusedRunsCoverInteriorLayers(t *testing.T) {
	for _, c := range []struct {
		tile         Tile
		h, w, pad    int
		fused, tiles int
	}{
		{F4, 66, 66, 0, 256, 256}, // 16 tiles a row
		{F4, 34, 34, 0, 64, 64},   // 8 tiles a row: halves from two tile rows
		{F2, 34, 34, 0, 256, 256},
		{F4, 18, 18, 0, 0, 16}, // 4 tiles a row: no halves
		// 17 tiles a row (padded): 16 of each row fuse, the 17th is a short segment.
		{F4, 66, 66, 1, 17 * 16, 17 * 17},
		{F4, 64, 64, 1, 256, 256}, // padded, 16 a row
	} {
		g := convGeometry(c.tile, 1, 1, c.h, c.w, 1, c.pad)
		h, w, off := g.h, g.w, g.pad
		if g.padH != 0 {
			h, w, off = g.padH, g.padW, 0
		}
		fused, total := 0, 0
		for i := 0; i < g.tiles; {
			sg := g.nextSegment(i, 0, g.tiles, 0, 1, h, w, g.a, off)
			if sg.fused {
				fused += sg.n
			}
			total += sg.n
			i += sg.n
		}
		if fused != c.fused || total != c.tiles {
			t.Errorf("F%d %dx%d pad %d: %d of %d tiles fused, want %d of %d", c.tile, c.h, c.w, c.pad, fused, total, c.fused, c.tiles)
		}
	}
}
