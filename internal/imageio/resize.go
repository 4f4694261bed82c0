package imageio

import (
	"fmt"
	"image"
	"math"
)

// ResizeBicubic returns src scaled to w x h pixels exactly as PIL's
// Image.resize((w, h), Image.BICUBIC) does, which is what torchvision's Resize applies to the
// PIL images of the official CycleGAN pipeline. It panics if w or h is not positive.
//
// PIL's filter is Keys' cubic convolution with a = -0.5, and it is antialiased: when shrinking
// by a factor s the kernel is stretched to cover 2*s input pixels on each side (support 2*s,
// weights evaluated at distance/s), so every input pixel contributes, instead of sampling 4 of
// them. Weights are normalised to sum to one, then turned into fixed point with 22 fractional
// bits. PIL resizes in two passes, horizontal first, and rounds to 8 bits after each pass, so
// the intermediate image is 8-bit too; we do the same, which keeps the output within rounding
// of PIL's (the golden tests in testdata/resize check it pixel by pixel). A dimension whose size
// does not change is copied, as PIL skips that pass.
//
// Only the R, G and B channels are resampled; the alpha of the result is 255.
func ResizeBicubic(src *image.RGBA, w, h int) *image.RGBA {
	b := src.Bounds()
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("imageio.ResizeBicubic: output size %dx%d for a %dx%d image: sizes must be positive",
			w, h, b.Dx(), b.Dy()))
	}
	if b.Empty() {
		panic(fmt.Sprintf("imageio.ResizeBicubic: input image is empty (%dx%d)", b.Dx(), b.Dy()))
	}
	img := copyRGB(src) // bounds at the origin, alpha 255
	if w != img.Rect.Dx() {
		img = resampleHorizontal(img, w)
	}
	if h != img.Rect.Dy() {
		img = resampleVertical(img, h)
	}
	return img
}

// bicubicSupport is the radius of the a = -0.5 cubic kernel at scale 1.
const bicubicSupport = 2.0

// bicubic is Keys' cubic convolution kernel with a = -0.5 (PIL's bicubic_filter). The explicit
// float64 conversions stop the compiler from fusing a multiply and an add into one FMA
// instruction, which rounds differently from PIL's separate operations.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		// ((a+2)*x - (a+3)) * x * x + 1
		t := float64((a+2)*x) - (a + 3)
		return float64(float64(t*x)*x) + 1
	}
	if x < 2 {
		// (((x-5)*x + 8)*x - 4) * a
		t := float64((x-5)*x) + 8
		return (float64(t*x) - 4) * a
	}
	return 0
}

// precisionBits is the number of fractional bits of PIL's fixed-point weights: 32 bits minus 8
// for the pixel value and 2 for the sign and the overshoot of a cubic kernel.
const precisionBits = 32 - 8 - 2

// filterTaps holds, for every output position, the first input index it reads and its
// fixed-point weights (all rows have the same length; unused trailing weights are zero).
type filterTaps struct {
	start   []int
	count   []int
	weights []int32 // len(start) rows of size ksize
	ksize   int
}

// bicubicTaps computes PIL's precompute_coeffs for resizing inSize samples to outSize samples
// over the whole input, followed by normalize_coeffs_8bpc.
func bicubicTaps(inSize, outSize int) filterTaps {
	scale := float64(inSize) / float64(outSize)
	filterScale := scale
	if filterScale < 1 {
		filterScale = 1 // enlarging: plain bicubic interpolation, no stretching
	}
	support := bicubicSupport * filterScale
	ksize := int(math.Ceil(support))*2 + 1
	taps := filterTaps{
		start:   make([]int, outSize),
		count:   make([]int, outSize),
		weights: make([]int32, outSize*ksize),
		ksize:   ksize,
	}
	k := make([]float64, ksize)
	for xx := 0; xx < outSize; xx++ {
		// Pixel centres sit at half-integers: output pixel xx covers input [xx*scale, (xx+1)*scale).
		center := float64(float64(xx)+0.5) * scale
		invScale := 1 / filterScale
		// int() truncates toward zero as C's (int) cast does; the +0.5 rounds the bounds.
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		n := xmax - xmin
		var sum float64
		for x := 0; x < n; x++ {
			wgt := bicubic(float64(float64(x+xmin)-center+0.5) * invScale)
			k[x] = wgt
			sum += wgt
		}
		row := taps.weights[xx*ksize : (xx+1)*ksize]
		for x := 0; x < n; x++ {
			v := k[x]
			if sum != 0 {
				v /= sum
			}
			// Round half away from zero, as PIL does.
			if v < 0 {
				row[x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				row[x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		taps.start[xx] = xmin
		taps.count[xx] = n
	}
	return taps
}

// clip8 turns a fixed-point sum (which started at one half for rounding) into a byte.
func clip8(sum int32) uint8 {
	v := sum >> precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// resampleHorizontal resizes every row of src (bounds at the origin) to w pixels.
func resampleHorizontal(src *image.RGBA, w int) *image.RGBA {
	inW, h := src.Rect.Dx(), src.Rect.Dy()
	taps := bicubicTaps(inW, w)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		in := src.Pix[y*src.Stride : y*src.Stride+4*inW]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for xx := 0; xx < w; xx++ {
			k := taps.weights[xx*taps.ksize : xx*taps.ksize+taps.count[xx]]
			p := in[4*taps.start[xx]:]
			r, g, b := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
			for i, wgt := range k {
				r += int32(p[4*i+0]) * wgt
				g += int32(p[4*i+1]) * wgt
				b += int32(p[4*i+2]) * wgt
			}
			out[4*xx+0] = clip8(r)
			out[4*xx+1] = clip8(g)
			out[4*xx+2] = clip8(b)
			out[4*xx+3] = 0xff
		}
	}
	return dst
}

// resampleVertical resizes every column of src (bounds at the origin) to h pixels. It walks
// whole rows (acc += weight * input row) rather than columns, so that memory is read in order.
func resampleVertical(src *image.RGBA, h int) *image.RGBA {
	w, inH := src.Rect.Dx(), src.Rect.Dy()
	taps := bicubicTaps(inH, h)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	acc := make([]int32, 4*w)
	for yy := 0; yy < h; yy++ {
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1) // one half, so that the final shift rounds
		}
		k := taps.weights[yy*taps.ksize : yy*taps.ksize+taps.count[yy]]
		for i, wgt := range k {
			in := src.Pix[(taps.start[yy]+i)*src.Stride:][:len(acc)]
			for x, v := range in {
				acc[x] += int32(v) * wgt // the alpha lane is computed too and ignored
			}
		}
		out := dst.Pix[yy*dst.Stride:][:4*w]
		for x := 0; x < len(out); x += 4 {
			out[x+0] = clip8(acc[x+0])
			out[x+1] = clip8(acc[x+1])
			out[x+2] = clip8(acc[x+2])
			out[x+3] = 0xff
		}
	}
	return dst
}
