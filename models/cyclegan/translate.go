package cyclegan

import (
	"image"
	"image/color"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// MinTranslateSize is the smallest side the generator takes: its two stride-2 convolutions
// quarter the size, and the reflection padding of the residual blocks needs at least 2 pixels.
const MinTranslateSize = 8

// TranslateMemoryEstimate bounds, in bytes, what Translate needs for a generator of ngf filters
// and the given residual blocks on an h x w image: the float32 weights and every layer's output
// at the padded size, as if all were alive at once. A pass without a graph frees most of them as
// it goes, so this is an upper bound (4000x4000 at ngf 8: 15 GB estimated, 4.1 GB measured in
// issue 11), good for refusing sizes that cannot fit, not for predicting use.
func TranslateMemoryEstimate(ngf, blocks, h, w int) int64 {
	ph, pw := max(MinTranslateSize, (h+3)/4*4), max(MinTranslateSize, (w+3)/4*4)
	return float32Bytes * (numParams(generatorShapes(ngf, blocks)) + generatorActivations(ngf, blocks, ph, pw))
}

// Translate runs generator g on an RGB image of any size and returns the translated image, of the
// same size. The image is padded by repeating its last row and column up to a multiple of 4 (and
// at least MinTranslateSize), which the generator maps to the same size, and the output is
// cropped back.
//
// No gradient is recorded, so that only the live activations take memory. A generator frozen by
// FreezeForTranslation is only read: any number of goroutines may translate with it at once.
// Otherwise Translate switches g's gradients off while it runs and back on after (nn.RequiresGrad),
// a write, so that g must then not be in use by another goroutine meanwhile.
func Translate(g *ResnetGenerator, img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	pw, ph := max(MinTranslateSize, (w+3)/4*4), max(MinTranslateSize, (h+3)/4*4)
	padded := padReplicate(img, pw, ph)
	if requiresGrad(g) {
		defer nn.RequiresGrad(g, false)()
	}
	w0 := nn.Parameters(g)[0].Value
	x := autograd.Constant(tensor.Cast(ImageTensor(padded), w0.DType()).To(w0.Backend()))
	y := g.Forward(x).Value
	y = tensor.Narrow(tensor.Narrow(y, 2, 0, h), 3, 0, w)
	return TensorImage(y)
}

// FreezeForTranslation switches off, for good, the gradients of g's parameters, for a generator
// that will only be evaluated (served by cyclegan serve, say). Translate then reads g and writes
// nothing in it, so that concurrent translations with one generator are safe (a -race test runs
// two at once). Training such a generator would compute no gradient for it: switch them back on
// with nn.RequiresGrad(g, true) first.
func FreezeForTranslation(g *ResnetGenerator) { nn.RequiresGrad(g, false) }

// requiresGrad reports whether any of g's parameters requires a gradient.
func requiresGrad(g *ResnetGenerator) bool {
	for _, p := range nn.Parameters(g) {
		if p.RequiresGrad() {
			return true
		}
	}
	return false
}

// padReplicate returns img grown to w x h (at least its size) by repeating its last row and
// column.
func padReplicate(img *image.RGBA, w, h int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := img.RGBAAt(b.Min.X+min(x, b.Dx()-1), b.Min.Y+min(y, b.Dy()-1))
			out.SetRGBA(x, y, color.RGBA{c.R, c.G, c.B, 255})
		}
	}
	return out
}
