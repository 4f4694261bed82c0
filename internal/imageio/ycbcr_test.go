package imageio

import (
	"image"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestJPEGDecodingMatchesPIL compares Load+ToRGB with PIL's decoding of JPEGs that PIL wrote
// with each chroma subsampling. On the "blocks" images (flat 16x16 squares) both inverse DCTs
// are exact, so chroma upsampling and colour conversion must agree to the bit. On the photo the
// two inverse DCTs differ slightly (Go's is not libjpeg's), which bounds the agreement.
func TestJPEGDecodingMatchesPIL(t *testing.T) {
	for _, name := range []string{"blocks", "photo"} {
		for _, sub := range []string{"444", "422", "420"} {
			t.Run(name+"_"+sub, func(t *testing.T) {
				dir := filepath.Join("testdata", "jpeg")
				img, err := Load(filepath.Join(dir, name+"_"+sub+".jpg"))
				if err != nil {
					t.Fatal(err)
				}
				want := mustLoadRGB(t, filepath.Join(dir, name+"_"+sub+".rgb.png"))
				got := ToRGB(img)
				if got.Rect != want.Rect {
					t.Fatalf("bounds %v, PIL %v", got.Rect, want.Rect)
				}
				maxDiff, differing := compareRGB(got, want)
				samples := 3 * want.Rect.Dx() * want.Rect.Dy()
				t.Logf("%T %v: %d of %d samples differ from PIL, by up to %d", img,
					img.(*image.YCbCr).SubsampleRatio, differing, samples, maxDiff)
				if name == "blocks" && maxDiff != 0 {
					t.Errorf("%d samples differ from PIL by up to %d; want none", differing, maxDiff)
				}
				// Measured: up to 3 levels on 2% of the samples, from the inverse DCT alone.
				// Repeating chroma samples instead of libjpeg's filter gives errors of 10 and more.
				if name == "photo" && (maxDiff > 3 || differing > samples/10) {
					t.Errorf("%d samples differ from PIL by up to %d; want under 10%% by at most 3", differing, maxDiff)
				}
			})
		}
	}
}

// TestUpsample440IsTransposed422 checks the vertical-only filter (4:4:0, which PIL cannot
// write) against the horizontal one: transposing a 4:2:2 image gives a 4:4:0 image, and the
// converted pixels must be transposed too. Odd sizes exercise the edge samples.
func TestUpsample440IsTransposed422(t *testing.T) {
	const w, h = 13, 7
	rng := rand.New(rand.NewPCG(1, 2))
	wide := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio422)
	tall := image.NewYCbCr(image.Rect(0, 0, h, w), image.YCbCrSubsampleRatio440)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(rng.IntN(256))
			wide.Y[wide.YOffset(x, y)] = v
			tall.Y[tall.YOffset(y, x)] = v
		}
		for cx := 0; cx < (w+1)/2; cx++ {
			cb, cr := uint8(rng.IntN(256)), uint8(rng.IntN(256))
			wide.Cb[wide.COffset(2*cx, y)], wide.Cr[wide.COffset(2*cx, y)] = cb, cr
			tall.Cb[tall.COffset(y, 2*cx)], tall.Cr[tall.COffset(y, 2*cx)] = cb, cr
		}
	}
	a, b := ToRGB(wide), ToRGB(tall)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pa, pb := a.Pix[a.PixOffset(x, y):][:3], b.Pix[b.PixOffset(y, x):][:3]
			if pa[0] != pb[0] || pa[1] != pb[1] || pa[2] != pb[2] {
				t.Fatalf("4:2:2 pixel (%d, %d) = %v but 4:4:0 pixel (%d, %d) = %v", x, y, pa, y, x, pb)
			}
		}
	}
}

// TestUpsampleSubImageMatchesFullImage checks that converting a sub-image at an odd offset
// gives the same pixels as converting the whole image, away from the sub-image's own edges
// (where the neighbours it cannot see are replaced by edge samples).
func TestUpsampleSubImageMatchesFullImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	full := image.NewYCbCr(image.Rect(0, 0, 20, 16), image.YCbCrSubsampleRatio420)
	for _, p := range [][]uint8{full.Y, full.Cb, full.Cr} {
		for i := range p {
			p[i] = uint8(rng.IntN(256))
		}
	}
	whole := ToRGB(full)
	sub := ToRGB(full.SubImage(image.Rect(5, 3, 17, 15)))
	for y := 2; y < 10; y++ {
		for x := 2; x < 10; x++ {
			ps, pw := sub.Pix[sub.PixOffset(x, y):][:3], whole.Pix[whole.PixOffset(5+x, 3+y):][:3]
			if ps[0] != pw[0] || ps[1] != pw[1] || ps[2] != pw[2] {
				t.Fatalf("sub-image pixel (%d, %d) = %v, full image (%d, %d) = %v", x, y, ps, 5+x, 3+y, pw)
			}
		}
	}
}

func BenchmarkToRGBYCbCr420(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 256, 256), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i * 7)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i*3), uint8(i*5)
	}
	for b.Loop() {
		ToRGB(img)
	}
}

func BenchmarkToRGBYCbCr444(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 256, 256), image.YCbCrSubsampleRatio444)
	for i := range img.Y {
		img.Y[i], img.Cb[i], img.Cr[i] = uint8(i*7), uint8(i*3), uint8(i*5)
	}
	for b.Loop() {
		ToRGB(img)
	}
}
