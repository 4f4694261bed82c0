package imageio

import (
	"fmt"
	"image"
)

// copyRGB returns a copy of the R, G and B bytes of src in a new image whose bounds start at
// the origin, with alpha 255.
func copyRGB(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		in := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		out := dst.Pix[y*dst.Stride:][:4*w]
		copy(out, in)
		for x := 3; x < 4*w; x += 4 {
			out[x] = 0xff
		}
	}
	return dst
}

// Crop returns a copy of the w x h rectangle of img whose top-left corner is (x, y), counted
// from img's top-left corner (not from img.Bounds().Min). This is torchvision's
// crop(img, top=y, left=x, height=h, width=w). It panics if the rectangle does not lie inside img.
func Crop(img *image.RGBA, x, y, w, h int) *image.RGBA {
	b := img.Bounds()
	if w <= 0 || h <= 0 || x < 0 || y < 0 || x+w > b.Dx() || y+h > b.Dy() {
		panic(fmt.Sprintf("imageio.Crop: rectangle %dx%d at (%d, %d) does not fit in a %dx%d image",
			w, h, x, y, b.Dx(), b.Dy()))
	}
	sub := img.SubImage(image.Rect(b.Min.X+x, b.Min.Y+y, b.Min.X+x+w, b.Min.Y+y+h)).(*image.RGBA)
	return copyRGB(sub)
}

// FlipLR returns a copy of img mirrored left to right (torchvision's hflip).
func FlipLR(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		in := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		out := dst.Pix[y*dst.Stride:][:4*w]
		for x := 0; x < w; x++ {
			src := 4 * (w - 1 - x)
			out[4*x+0] = in[src+0]
			out[4*x+1] = in[src+1]
			out[4*x+2] = in[src+2]
			out[4*x+3] = 0xff
		}
	}
	return dst
}
