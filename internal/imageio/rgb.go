package imageio

import (
	"image"
	"image/color"
)

// ToRGB returns a new opaque RGB copy of img whose bounds start at (0, 0), for every colour
// model the decoders produce, doing what PIL's Image.convert("RGB") does:
//
//   - Grayscale (Gray, Gray16) becomes three equal channels.
//   - Alpha is dropped, not composited: a pixel keeps its unpremultiplied colour, as PIL's
//     RGBA-to-RGB conversion keeps the stored colour bytes. For the premultiplied *image.RGBA and
//     *image.RGBA64 the colour is divided by alpha first; a fully transparent pixel has lost
//     its colour there and becomes black.
//   - 16-bit samples keep their high byte (v >> 8), so an 8-bit value stored as v*257 comes back
//     exactly. PIL differs here on purpose: its I;16 to RGB conversion clips at 255 instead of
//     scaling, which turns most 16-bit grayscale images white.
//   - YCbCr and CMYK use the conversions of Go's image/color package, which agree with PIL's
//     to within a level or two of rounding.
//
// The alpha byte of the result is 255 everywhere.
func ToRGB(img image.Image) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			out := dst.Pix[y*dst.Stride:][:4*w]
			for x, v := range row {
				out[4*x+0] = v
				out[4*x+1] = v
				out[4*x+2] = v
				out[4*x+3] = 0xff
			}
		}
	case *image.NRGBA:
		// Non-premultiplied: the colour bytes are exactly what PIL keeps.
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			out := dst.Pix[y*dst.Stride:][:4*w]
			for x := 0; x < w; x++ {
				out[4*x+0] = row[4*x+0]
				out[4*x+1] = row[4*x+1]
				out[4*x+2] = row[4*x+2]
				out[4*x+3] = 0xff
			}
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			out := dst.Pix[y*dst.Stride:][:4*w]
			for x := 0; x < w; x++ {
				yi := src.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := src.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
				out[4*x+0] = r
				out[4*x+1] = g
				out[4*x+2] = bl
				out[4*x+3] = 0xff
			}
		}
	default:
		// Every other model (RGBA, RGBA64, NRGBA64, Gray16, CMYK, Paletted, ...) goes through
		// NRGBAModel: it unpremultiplies and keeps the high byte of 16-bit samples.
		for y := 0; y < h; y++ {
			out := dst.Pix[y*dst.Stride:][:4*w]
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				out[4*x+0] = c.R
				out[4*x+1] = c.G
				out[4*x+2] = c.B
				out[4*x+3] = 0xff
			}
		}
	}
	return dst
}
