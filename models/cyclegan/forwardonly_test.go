package cyclegan

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// Translation takes no gradient, so autograd marks its convolutions forward-only and ConvAuto
// may run them with Winograd F(4×4, 3×3) (tensor's autoTile), while a training forward keeps
// F(2×2, 3×3). These tests check that the generator gets each where it should, and that F(4×4)'s
// float32 rounding does not show in the 8-bit pixels.

// testImage returns a w x h RGB image of smooth colour ramps, stripes and some noise, so that
// the generator sees edges as well as flat regions.
func testImage(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 3))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			stripe := 0
			if ((x+2*y)/9)%2 == 0 {
				stripe = 60
			}
			c := color.RGBA{
				R: uint8(min(255, x*180/w+stripe+rng.IntN(16))),
				G: uint8(min(255, y*180/h+rng.IntN(16))),
				B: uint8(min(255, 120+stripe+rng.IntN(32))),
				A: 255,
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// withConvAlgorithm runs f under algo and restores the setting.
func withConvAlgorithm(algo tensor.ConvAlgorithm, f func()) {
	saved := tensor.SetConvAlgorithm(algo)
	defer tensor.SetConvAlgorithm(saved)
	f()
}

func sameFloat32Bits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// A generator of 8 filters has 32-channel residual blocks, at 32x32 for a 128x128 image: the
// one shape in it that Winograd computes, F(2×2) in training and F(4×4) forward-only (its other
// convolutions are 7x7, or stride 2). With its parameters off and a constant input the whole
// forward must be the bits of ZEBRA_CONV=winograd4's; with them on, those of winograd's (F2).
// Translate, which switches the gradients off itself, must give winograd4's image whether or not
// the generator was frozen.
func TestTranslationRunsForwardOnlyF4(t *testing.T) {
	g := NewResnetGenerator(tensor.NewRNG(7), 8, 2)
	g.SetTraining(false)
	img := testImage(128, 128, 1)
	x := autograd.Constant(ImageTensor(img))
	forward := func(algo tensor.ConvAlgorithm, grads bool) (out []float32) {
		withConvAlgorithm(algo, func() {
			defer nn.RequiresGrad(g, grads)()
			out = g.Forward(x).Value.Float32s()
		})
		return out
	}
	f2, f4 := forward(tensor.ConvWinograd, false), forward(tensor.ConvWinograd4, false)
	if sameFloat32Bits(f2, f4) {
		t.Fatal("F2 and F4 give the same bits: this test cannot tell them apart")
	}
	if !sameFloat32Bits(forward(tensor.ConvAuto, false), f4) {
		t.Error("auto, no parameter requiring a gradient: the output is not F(4x4)'s")
	}
	if !sameFloat32Bits(forward(tensor.ConvAuto, true), f2) {
		t.Error("auto, parameters requiring gradients (a training forward): the output is not F(2x2)'s")
	}

	var want *image.RGBA
	withConvAlgorithm(tensor.ConvWinograd4, func() {
		FreezeForTranslation(g)
		want = Translate(g, img)
	})
	for _, frozen := range []bool{true, false} {
		nn.RequiresGrad(g, !frozen)
		var got *image.RGBA
		withConvAlgorithm(tensor.ConvAuto, func() { got = Translate(g, img) })
		if string(got.Pix) != string(want.Pix) {
			t.Errorf("Translate under auto (generator frozen %v) differs from its F(4x4) translation", frozen)
		}
	}
}

// TestForwardOnlyTranslationAccuracy translates a 256x256 image (128x128 with -short) with the
// official generator (64 filters, 9 blocks, random initial weights) in float32 under ConvAuto,
// whose residual blocks (256 channels at 64x64, or 32x32) then run F(4×4, 3×3), and in float64,
// which runs every convolution directly. After tensor2im's conversion to 8 bits no pixel may
// differ by more than one level: a difference of one is a value that float32 moved across a
// truncation boundary, which any rounding can do (direct float32 does it too). F(2×2) and direct
// float32 run beside it for comparison.
//
// Measured (AMD EPYC Zen 4, 2 threads, December 2026), float32 against float64 on the
// generator's output in [-1, 1]: relative L2, largest absolute difference, and how many of the
// image's channel values differ (each by one level, 2/255 = 7.8e-3 in those units):
//
//	256x256  auto, F(4x4) forward-only  1.05e-5  3.7e-5   98 of 196608
//	         F(2x2) (winograd)          2.70e-6  9.8e-6   32
//	         direct                     2.24e-6  9.0e-6   27
//	128x128  auto, F(4x4) forward-only  1.04e-5  3.2e-5   31 of 49152
//	         F(2x2) (winograd)          2.64e-6  7.2e-6    2
//	         direct                     2.19e-6  7.0e-6    4
//
// F(4x4) rounds about 4.5 times more than direct, and its largest error is still 200 times
// smaller than one level.
func TestForwardOnlyTranslationAccuracy(t *testing.T) {
	size := 256
	if testing.Short() {
		size = 128
	}
	g32 := NewResnetGenerator(tensor.NewRNG(11), 64, 9)
	g64 := NewResnetGenerator(tensor.NewRNG(11), 64, 9)
	nn.Cast(g64, tensor.Float64)
	for _, g := range []*ResnetGenerator{g32, g64} {
		g.SetTraining(false)
		FreezeForTranslation(g)
	}
	img := testImage(size, size, 2)
	x := ImageTensor(img)

	var ref []float64
	var refImg *image.RGBA
	withConvAlgorithm(tensor.ConvDirect, func() {
		ref = g64.Forward(autograd.Constant(tensor.Cast(x, tensor.Float64))).Value.Float64s()
		refImg = Translate(g64, img)
	})
	for _, c := range []struct {
		name string
		algo tensor.ConvAlgorithm
	}{{"auto (F4 forward-only)", tensor.ConvAuto}, {"winograd (F2)", tensor.ConvWinograd}, {"direct", tensor.ConvDirect}} {
		var out []float64
		var got *image.RGBA
		withConvAlgorithm(c.algo, func() {
			out = g32.Forward(autograd.Constant(x)).Value.Float64s()
			got = Translate(g32, img)
		})
		var diff2, norm2, maxAbs float64
		for i := range out {
			d := out[i] - ref[i]
			diff2 += d * d
			norm2 += ref[i] * ref[i]
			maxAbs = max(maxAbs, math.Abs(d))
		}
		maxLevel, differ, values := 0, 0, 0
		for i := range got.Pix {
			if i%4 == 3 {
				continue // alpha, always 255
			}
			values++
			d := int(got.Pix[i]) - int(refImg.Pix[i])
			if d != 0 {
				differ++
			}
			maxLevel = max(maxLevel, d, -d)
		}
		t.Logf("%dx%d %-22s relative L2 %.2e, largest difference %.2e, %d of %d channel values differ, by at most %d",
			size, size, c.name, math.Sqrt(diff2/norm2), maxAbs, differ, values, maxLevel)
		if rel := math.Sqrt(diff2 / norm2); rel > maxTranslationError {
			t.Errorf("%dx%d %s: relative L2 error %.2e against float64, more than %.0e", size, size, c.name, rel, maxTranslationError)
		}
		if maxLevel > 1 {
			t.Errorf("%dx%d %s: a pixel differs from float64's by %d levels, more than one", size, size, c.name, maxLevel)
		}
	}
}

// maxTranslationError bounds the relative L2 error of a float32 translation against float64:
// about 10 times F(4×4)'s measured 1.05e-5, so that a broken transform fails here even where it
// would not yet move a pixel by two levels.
const maxTranslationError = 1e-4
