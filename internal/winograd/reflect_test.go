package winograd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// refConvInputReflect is the input gradient of Conv(ReflectPad(x, 1), w) in float64 by the
// definitions: refConvInput on the padded image, then the pad's adjoint, which adds each padded
// pixel into the pixel of x it was copied from.
func refConvInputReflect(dy, w []float32, g shape) []float64 {
	padded := shape{g.n, g.c, g.h + 2, g.w + 2, g.cout, 0}
	dp := refConvInput(dy, w, padded)
	source := func(i, size int) int {
		switch i {
		case 0:
			return 1
		case size + 1:
			return size - 2
		}
		return i - 1
	}
	dx := make([]float64, g.n*g.c*g.h*g.w)
	for plane := range g.n * g.c {
		for i := range g.h + 2 {
			for j := range g.w + 2 {
				dx[(plane*g.h+source(i, g.h))*g.w+source(j, g.w)] += dp[(plane*(g.h+2)+i)*(g.w+2)+j]
			}
		}
	}
	return dx
}

// reflectShapes are x's shapes (pad unused): the CycleGAN residual blocks at 64x64 (fewer
// channels), 32x32 and the demo's 16x16, one 256-channel case, and ragged ones: sizes that are
// not multiples of a tile, the smallest image a pad of 1 allows (2x2), one channel, odd
// channel counts, batches of 2 and 3.
var reflectShapes = []shape{
	{1, 16, 64, 64, 16, 0},
	{1, 256, 8, 8, 256, 0},
	{1, 24, 32, 32, 24, 0},
	{2, 64, 16, 16, 64, 0},
	{2, 3, 17, 13, 5, 0},
	{1, 1, 2, 2, 1, 0},
	{3, 5, 2, 7, 4, 0},
	{1, 7, 5, 3, 2, 0},
	{1, 2, 10, 9, 1, 0},
}

// The frame's GEMMs round as direct convolution does, and the interior is ConvInput with pad 1,
// so ConvInputReflect is held to ConvInput's tolerances (winograd_test.go). Measured worst
// relative errors over reflectShapes (go test -v): see TestConvInputReflect's log.
func TestConvInputReflect(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, tile := range []Tile{F2, F4} {
			worst, at := 0.0, shape{}
			for _, g := range reflectShapes {
				w := random(rng, g.cout*g.c*9)
				dy := random(rng, g.n*g.cout*g.h*g.w)
				dx, whole := guarded(g.n * g.c * g.h * g.w)
				ws := nanWorkspace(ConvInputReflectWorkspace(tile, g.n, g.c, g.h, g.w, g.cout))
				ConvInputReflect(tile, dx, dy, w, g.n, g.c, g.h, g.w, g.cout, ws)
				name := fmt.Sprintf("ConvInputReflect %s F%d", g, tile)
				e := relErr(t, name, dx, whole, refConvInputReflect(dy, w, g))
				if e > tolerance[tile] {
					t.Errorf("%s: relative error %.3g > %.3g", name, e, tolerance[tile])
				}
				if e > worst {
					worst, at = e, g
				}
			}
			t.Logf("ConvInputReflect F%d: worst relative error %.3g (%s)", tile, worst, at)
		}
	})
}

func TestConvInputReflectRejectsSmallImages(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("ConvInputReflect on a 1x5 image did not panic")
		}
	}()
	ConvInputReflect(F2, make([]float32, 5), make([]float32, 5), make([]float32, 9), 1, 1, 1, 5, 1, make([]float32, 1<<16))
}
