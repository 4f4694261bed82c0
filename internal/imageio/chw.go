package imageio

import (
	"fmt"
	"image"
)

// ToCHW returns the pixels of img as float32 in channel-major (C, H, W) order, three channels
// (R, G, B), each byte v scaled to [-1, 1]. The arithmetic is that of torchvision's ToTensor
// followed by Normalize(mean=0.5, std=0.5), in float32 and in the same order:
// x = v / 255, then (x - 0.5) / 0.5, so the values are bitwise those PyTorch produces.
func ToCHW(img *image.RGBA) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]float32, 3*h*w)
	plane := h * w
	for y := 0; y < h; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				out[c*plane+y*w+x] = byteToUnit[row[4*x+c]]
			}
		}
	}
	return out
}

// byteToUnit[v] is ToTensor+Normalize(0.5, 0.5) of the byte v, computed once.
var byteToUnit = func() (table [256]float32) {
	for v := range table {
		x := float32(v) / 255
		table[v] = (x - 0.5) / 0.5
	}
	return table
}()

// FromCHW turns a (C, H, W) array of values in [-1, 1] back into an image, as the official
// tensor2im does: v = (x + 1) / 2 * 255 in float32, then cast to a byte. That cast truncates
// toward zero (numpy's astype(uint8)), it does not round: ToCHW followed by FromCHW maps some
// bytes v to v-1, exactly as the official code does. Values outside [-1, 1] are clamped to
// 0..255 and NaN becomes 0 (numpy's cast is undefined there). A single channel (C = 1) is
// repeated into R, G and B, as tensor2im tiles a grayscale output.
//
// It panics if c is not 1 or 3 or if len(data) != c*h*w.
func FromCHW(data []float32, c, h, w int) *image.RGBA {
	if (c != 1 && c != 3) || h < 0 || w < 0 || len(data) != c*h*w {
		panic(fmt.Sprintf("imageio.FromCHW: %d values for shape (%d, %d, %d): want C of 1 or 3 and C*H*W values",
			len(data), c, h, w))
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for y := 0; y < h; y++ {
		out := img.Pix[y*img.Stride:][:4*w]
		for x := 0; x < w; x++ {
			for ch := 0; ch < 3; ch++ {
				src := ch
				if c == 1 {
					src = 0
				}
				out[4*x+ch] = unitToByte(data[src*plane+y*w+x])
			}
			out[4*x+3] = 0xff
		}
	}
	return img
}

// unitToByte is tensor2im's (x + 1) / 2 * 255 followed by a truncating cast, with the float32
// rounding after every operation that numpy does (the float32() conversions keep the
// compiler from fusing the multiply with anything).
func unitToByte(x float32) uint8 {
	v := float32(float32(x+1)/2) * 255
	v = float32(v)
	switch {
	case !(v >= 0): // also catches NaN
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v) // truncates toward zero, like astype(np.uint8)
}
