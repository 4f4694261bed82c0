package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The reference is direct convolution in float64, written from the definitions in the doc
// comments: eachTap walks the loop nest of the sum once, and each pass accumulates its own
// product along it.

// eachTap calls f(yi, xi, wi) for every output pixel and filter tap that reads inside the image,
// with the indices of y[n,o,i,j], x[n,c,i-pad+p,j-pad+q] and w[o,c,p,q].
func eachTap(g shape, f func(yi, xi, wi int)) {
	oh, ow := g.h+2*g.pad-2, g.w+2*g.pad-2
	for n := 0; n < g.n; n++ {
		for o := 0; o < g.cout; o++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					yi := ((n*g.cout+o)*oh+i)*ow + j
					for c := 0; c < g.c; c++ {
						for p := 0; p < 3; p++ {
							for q := 0; q < 3; q++ {
								yy, xx := i-g.pad+p, j-g.pad+q
								if yy >= 0 && yy < g.h && xx >= 0 && xx < g.w {
									f(yi, ((n*g.c+c)*g.h+yy)*g.w+xx, ((o*g.c+c)*3+p)*3+q)
								}
							}
						}
					}
				}
			}
		}
	}
}

func (g shape) outputSize() int { return g.n * g.cout * (g.h + 2*g.pad - 2) * (g.w + 2*g.pad - 2) }

func refConv(x, w, bias []float32, g shape) []float64 {
	y := make([]float64, g.outputSize())
	if bias != nil {
		plane := len(y) / g.n / g.cout
		for i := range y {
			y[i] = float64(bias[i/plane%g.cout])
		}
	}
	eachTap(g, func(yi, xi, wi int) { y[yi] += float64(w[wi]) * float64(x[xi]) })
	return y
}

// refConvInput scatters each output gradient back along the taps that produced it: the
// adjoint of refConv's sum, with no flipping algebra.
func refConvInput(dy, w []float32, g shape) []float64 {
	dx := make([]float64, g.n*g.c*g.h*g.w)
	eachTap(g, func(yi, xi, wi int) { dx[xi] += float64(w[wi]) * float64(dy[yi]) })
	return dx
}

func refConvWeight(dy, x []float32, g shape) []float64 {
	dw := make([]float64, g.cout*g.c*9)
	eachTap(g, func(yi, xi, wi int) { dw[wi] += float64(dy[yi]) * float64(x[xi]) })
	return dw
}

// shape is one test convolution: batch n, c→cout channels, h×w input, padding pad.
type shape struct{ n, c, h, w, cout, pad int }

func (g shape) String() string {
	return fmt.Sprintf("n%d_c%d_%dx%d_cout%d_pad%d", g.n, g.c, g.h, g.w, g.cout, g.pad)
}

// shapes covers the CycleGAN geometries (3x3 convolutions at 64x64 after a reflection pad, so
// pad 0 on 66x66; 32x32 and the demo's 16x16), with fewer channels where the float64 reference
// would be slow, one 256-channel case, several blocks of tiles (with blockTiles = 1152, a
// batch of two 66x66 images with F2 is 2048 tiles, two blocks of 1024; ConvInput of one 66x66
// image is 1089 tiles, one block) and ragged sizes:
// outputs that are not multiples of either tile, 1x1 outputs, one channel, odd channel counts,
// batches of 2 and 3, and every padding.
var shapes = []shape{
	{1, 16, 66, 66, 16, 0},
	{1, 256, 10, 10, 256, 0},
	{1, 24, 34, 34, 24, 0},
	{1, 64, 18, 18, 64, 0},
	{2, 3, 66, 66, 5, 0},
	{1, 4, 70, 70, 3, 1},
	{1, 2, 68, 68, 3, 1},
	{1, 3, 5, 7, 2, 1},
	{2, 1, 3, 3, 1, 0},
	{3, 5, 1, 1, 7, 2},
	{1, 1, 1, 1, 1, 1},
	{2, 7, 9, 6, 3, 2},
	{1, 2, 13, 11, 3, 1},
	{3, 3, 4, 4, 5, 0},
	{1, 1, 8, 8, 1, 1},
	{2, 17, 7, 9, 1, 0},
	{1, 1, 12, 5, 19, 2},
}

// The tolerances bound max|out - ref| / max|ref| over an output, for the float32 results
// against the float64 reference. The measured worst cases over shapes (go test -v prints them,
// per path; the assembly paths fuse multiply-adds and land within 20% of generic) were, for F2
// and F4:
//
//	Conv        5.6e-7  9.8e-6   (both at 256 channels)
//	ConvInput   5.9e-7  9.2e-6   (256 channels)
//	ConvWeight  8.3e-7  7.8e-6   (F4: 70x70, 324 tiles summed; other seeds reach 1.3e-5)
//
// F4's transforms have entries up to 8 (Aᵀ) and 1/24 (G), which amplify the float32 rounding of
// the transformed values about tenfold over F2's ±1 and 1/2. The tolerances sit 2.3-3x above the
// measurements, so that other seeds and paths pass while a wrong matrix entry (1/12 off by
// 1e-4 relative gives 1e-4) or a misplaced tile does not.
var tolerance = map[Tile]float64{F2: 2.5e-6, F4: 3e-5}

const guard = 7

// random returns n normal floats.
func random(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// guarded returns a slice of n elements inside NaN guard bands, and the whole buffer.
func guarded(n int) (inner, whole []float32) {
	whole = make([]float32, n+2*guard)
	for i := range whole {
		whole[i] = float32(math.NaN())
	}
	return whole[guard : guard+n], whole
}

// nanWorkspace returns a workspace of n NaNs: every value a pass reads must be one it wrote.
func nanWorkspace(n int) []float32 {
	ws := make([]float32, n)
	for i := range ws {
		ws[i] = float32(math.NaN())
	}
	return ws
}

// relErr returns max|got-want| / max|want| (NaN counts as an infinite error) and checks the
// guard bands around got.
func relErr(t *testing.T, name string, got, whole []float32, want []float64) float64 {
	t.Helper()
	for i := 0; i < guard; i++ {
		if !math.IsNaN(float64(whole[i])) || !math.IsNaN(float64(whole[len(whole)-1-i])) {
			t.Fatalf("%s: guard band overwritten", name)
		}
	}
	var maxErr, maxRef float64
	for i, w := range want {
		e := math.Abs(float64(got[i]) - w)
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		maxErr = max(maxErr, e)
		maxRef = max(maxRef, math.Abs(w))
	}
	if maxRef == 0 {
		return maxErr
	}
	return maxErr / maxRef
}

// forEachPath runs f on every path this binary and CPU have.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	for _, name := range Paths() {
		t.Run(name, func(t *testing.T) {
			prev := SetPath(name)
			defer SetPath(prev)
			f(t)
		})
	}
}

type pass int

const (
	passConv pass = iota
	passInput
	passWeight
)

var passNames = [...]string{"Conv", "ConvInput", "ConvWeight"}

// runPass runs one pass of one shape through the exported functions and returns its relative
// error against the reference. With tf set, it runs the pass's algorithm with those matrices
// instead of the tile's own (on transformGo, as no kernel knows them).
func runPass(t *testing.T, p pass, tile Tile, g shape, rng *rand.Rand, tf *transforms) float64 {
	oh, ow := g.h+2*g.pad-2, g.w+2*g.pad-2
	x := random(rng, g.n*g.c*g.h*g.w)
	w := random(rng, g.cout*g.c*9)
	dy := random(rng, g.n*g.cout*oh*ow)
	name := fmt.Sprintf("%s %s F%d", passNames[p], g, tile)
	// override returns the geometry and a NaN workspace for a run with tf's matrices.
	override := func(geo geometry) (geometry, []float32) {
		geo.tf = tf
		_, size := geo.layout(nil, true)
		return geo, nanWorkspace(size)
	}
	switch p {
	case passConv:
		bias := random(rng, g.cout)
		if g.c%2 == 0 {
			bias = nil
		}
		y, whole := guarded(g.n * g.cout * oh * ow)
		if tf != nil {
			geo, ws := override(convGeometry(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
			geo.forward(y, x, w, false, bias, ws)
		} else {
			ws := nanWorkspace(ConvWorkspace(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
			Conv(tile, y, x, w, bias, g.n, g.c, g.h, g.w, g.cout, g.pad, ws)
		}
		return relErr(t, name, y, whole, refConv(x, w, bias, g))
	case passInput:
		dx, whole := guarded(g.n * g.c * g.h * g.w)
		if tf != nil {
			geo, ws := override(convInputGeometry(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
			geo.forward(dx, dy, w, true, nil, ws)
		} else {
			ws := nanWorkspace(ConvInputWorkspace(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
			ConvInput(tile, dx, dy, w, g.n, g.c, g.h, g.w, g.cout, g.pad, ws)
		}
		return relErr(t, name, dx, whole, refConvInput(dy, w, g))
	default:
		dw, whole := guarded(g.cout * g.c * 9)
		if tf != nil {
			geo, ws := override(convWeightGeometry(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
			geo.weight(dw, dy, x, ws)
		} else {
			ws := nanWorkspace(ConvWeightWorkspace(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
			ConvWeight(tile, dw, dy, x, g.n, g.c, g.h, g.w, g.cout, g.pad, ws)
		}
		return relErr(t, name, dw, whole, refConvWeight(dy, x, g))
	}
}

func TestPassesAgainstDirect(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, tile := range []Tile{F2, F4} {
			for p := passConv; p <= passWeight; p++ {
				worst, at := 0.0, shape{}
				for _, g := range shapes {
					if testing.Short() && g.c*g.cout*g.h*g.w > 100000 {
						continue
					}
					e := runPass(t, p, tile, g, rng, nil)
					if e > tolerance[tile] {
						t.Errorf("%s %s F%d: relative error %.3g > %.3g", passNames[p], g, tile, e, tolerance[tile])
					}
					if e > worst {
						worst, at = e, g
					}
				}
				t.Logf("%-10s F%d: worst relative error %.3g (%s)", passNames[p], tile, worst, at)
			}
		}
	})
}

// halfPoints is F(4×4,3×3) from the points 0, ±1, ±1/2, ∞ instead of Lavin & Gray's 0, ±1, ±2,
// ∞, by the same Toom-Cook construction: Bᵀ row j holds the coefficients of Π_{l≠j}(x - a_l)
// (the last row Π_l(x - a_l)), G row j is (1, a_j, a_j²)/Π_{l≠j}(a_j - a_l), Aᵀ[i][j] = a_j^i.
var halfPoints = newTransforms("Half",
	&matrix{name: "inputHalf", rows: 6, cols: 6, v: []float32{
		1.0 / 4, 0, -5.0 / 4, 0, 1, 0,
		0, -1.0 / 4, -1.0 / 4, 1, 1, 0,
		0, 1.0 / 4, -1.0 / 4, -1, 1, 0,
		0, -1.0 / 2, -1, 1.0 / 2, 1, 0,
		0, 1.0 / 2, -1, -1.0 / 2, 1, 0,
		0, 1.0 / 4, 0, -5.0 / 4, 0, 1,
	}},
	&matrix{name: "filterHalf", rows: 6, cols: 3, v: []float32{
		4, 0, 0,
		2.0 / 3, 2.0 / 3, 2.0 / 3,
		2.0 / 3, -2.0 / 3, 2.0 / 3,
		-8.0 / 3, -4.0 / 3, -2.0 / 3,
		-8.0 / 3, 4.0 / 3, -2.0 / 3,
		0, 0, 1,
	}},
	&matrix{name: "outputHalf", rows: 4, cols: 6, v: []float32{
		1, 1, 1, 1, 1, 0,
		0, 1, -1, 1.0 / 2, -1.0 / 2, 0,
		0, 1, 1, 1.0 / 4, 1.0 / 4, 0,
		0, 1, -1, 1.0 / 8, -1.0 / 8, 1,
	}},
)

// TestTunePoints compares the worst relative error of F4's points with 0, ±1, ±1/2, ∞ on the
// test shapes, each pass with the same operands (the measurement behind matrices.go's choice).
// It skips unless ZEBRA_TUNE=1.
func TestTunePoints(t *testing.T) {
	skipUnlessTuning(t)
	prev := SetPath("generic")
	defer SetPath(prev)
	for p := passConv; p <= passWeight; p++ {
		var worst [2]float64
		for i, g := range shapes {
			for k, tf := range []*transforms{f4, halfPoints} {
				rng := rand.New(rand.NewPCG(uint64(i), uint64(p)))
				worst[k] = max(worst[k], runPass(t, p, F4, g, rng, tf))
			}
		}
		t.Logf("%-10s points 0,±1,±2,∞: %.3g   0,±1,±1/2,∞: %.3g", passNames[p], worst[0], worst[1])
	}
}
