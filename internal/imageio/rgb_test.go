package imageio

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestToRGBMatchesPIL loads PNGs that PIL wrote in its L, LA, RGBA and P (with a transparency
// table) modes and compares ToRGB with PIL's convert("RGB") of the same files.
func TestToRGBMatchesPIL(t *testing.T) {
	for _, name := range []string{"gray", "gray_alpha", "rgba", "palette"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "colour")
			img, err := Load(filepath.Join(dir, name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			want := mustLoadRGB(t, filepath.Join(dir, name+".rgb.png"))
			got := ToRGB(img)
			if maxDiff, n := compareRGB(got, want); maxDiff != 0 {
				t.Errorf("decoded as %T: %d samples differ from PIL by up to %d", img, n, maxDiff)
			}
			checkOpaque(t, got)
		})
	}
}

func TestToRGBCMYKMatchesPIL(t *testing.T) {
	dir := filepath.Join("testdata", "colour")
	raw, err := os.ReadFile(filepath.Join(dir, "cmyk.raw"))
	if err != nil {
		t.Fatal(err)
	}
	want := mustLoadRGB(t, filepath.Join(dir, "cmyk.rgb.png"))
	w, h := want.Rect.Dx(), want.Rect.Dy()
	if len(raw) != 4*w*h {
		t.Fatalf("cmyk.raw holds %d bytes, want %d for %dx%d", len(raw), 4*w*h, w, h)
	}
	src := image.NewCMYK(image.Rect(0, 0, w, h))
	copy(src.Pix, raw)
	got := ToRGB(src)
	if maxDiff, n := compareRGB(got, want); maxDiff != 0 {
		t.Errorf("%d samples differ from PIL by up to %d", n, maxDiff)
	}
}

// TestToRGBColourModels encodes one picture in every colour model Go's PNG codec writes, decodes
// it, and checks the RGB bytes against what each model should give.
func TestToRGBColourModels(t *testing.T) {
	const w, h = 7, 5
	// The reference colour of pixel (x, y), and an alpha that is 0, partial and 255 somewhere.
	ref := func(x, y int) (r, g, b, a uint8) {
		return uint8(30*x + 7), uint8(50*y + 3), uint8(255 - 20*x - 10*y), uint8([]int{0, 128, 255, 255, 1}[y])
	}
	gray := image.NewGray(image.Rect(0, 0, w, h))
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, w, h))
	rgba64 := image.NewRGBA64(image.Rect(0, 0, w, h))
	palette := color.Palette{color.NRGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 0}, color.NRGBA{1, 2, 3, 77}}
	paletted := image.NewPaletted(image.Rect(0, 0, w, h), palette)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b, a := ref(x, y)
			gray.SetGray(x, y, color.Gray{r})
			// 16-bit samples that are not v*257, so the high byte is really what is kept.
			gray16.SetGray16(x, y, color.Gray16{uint16(r)<<8 | 0xa5})
			nrgba.SetNRGBA(x, y, color.NRGBA{r, g, b, a})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(r)<<8 | 0x7f, uint16(g) << 8, uint16(b)<<8 | 0xff, uint16(a) * 257})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(r) * 257, uint16(g) * 257, uint16(b) * 257, 0xffff})
			paletted.SetColorIndex(x, y, uint8((x+y)%3))
		}
	}
	cases := []struct {
		name string
		img  image.Image
		want func(x, y int) [3]uint8
	}{
		{"gray", gray, func(x, y int) [3]uint8 { r, _, _, _ := ref(x, y); return [3]uint8{r, r, r} }},
		{"gray16", gray16, func(x, y int) [3]uint8 { r, _, _, _ := ref(x, y); return [3]uint8{r, r, r} }},
		// Alpha is dropped and the stored colour kept, even where alpha is 0.
		{"nrgba", nrgba, func(x, y int) [3]uint8 { r, g, b, _ := ref(x, y); return [3]uint8{r, g, b} }},
		{"nrgba64", nrgba64, func(x, y int) [3]uint8 { r, g, b, _ := ref(x, y); return [3]uint8{r, g, b} }},
		{"rgb48", rgba64, func(x, y int) [3]uint8 { r, g, b, _ := ref(x, y); return [3]uint8{r, g, b} }},
		{"paletted", paletted, func(x, y int) [3]uint8 {
			c := palette[(x+y)%3].(color.NRGBA)
			return [3]uint8{c.R, c.G, c.B}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Through a PNG file, so the decoder picks the in-memory model as it does for users.
			var buf bytes.Buffer
			if err := png.Encode(&buf, tc.img); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), tc.name+".PNG")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			decoded, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, img := range []image.Image{tc.img, decoded} {
				got := ToRGB(img)
				if got.Rect != image.Rect(0, 0, w, h) {
					t.Fatalf("%T: bounds %v", img, got.Rect)
				}
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						p := got.Pix[got.PixOffset(x, y):]
						if want := tc.want(x, y); [3]uint8{p[0], p[1], p[2]} != want {
							t.Fatalf("%T: pixel (%d, %d) is %v, want %v", img, x, y, p[:3], want)
						}
					}
				}
				checkOpaque(t, got)
			}
		})
	}
}

func TestToRGBPremultipliedRGBA(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 1))
	copy(img.Pix, []uint8{
		100, 50, 0, 255, // opaque: kept
		64, 32, 0, 128, // half transparent: unpremultiplied to about 127, 63, 0
		0, 0, 0, 0, // transparent: the colour is gone, black
	})
	got := ToRGB(img)
	want := []uint8{100, 50, 0, 255, 127, 63, 0, 255, 0, 0, 0, 255}
	if !bytes.Equal(got.Pix, want) {
		t.Errorf("got %v, want %v", got.Pix, want)
	}
}

// TestToRGBYCbCr444AgreesWithImageColor checks libjpeg's fixed-point conversion against Go's
// own, which rounds differently but must never be more than a level away.
func TestToRGBYCbCr444AgreesWithImageColor(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio444)
	for i := range img.Y {
		img.Y[i], img.Cb[i], img.Cr[i] = uint8(i*7), uint8(i/16*5), uint8(i*13+i/64)
	}
	got := ToRGB(img)
	exact := 0
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			p := got.Pix[got.PixOffset(x, y):]
			d := maxAbsDiff3(p, [3]uint8{c.R, c.G, c.B})
			if d > 1 {
				t.Fatalf("pixel (%d, %d) is %v, image/color says %v", x, y, p[:3], c)
			}
			if d == 0 {
				exact++
			}
		}
	}
	if exact == 64*64 {
		t.Error("no pixel differs from image/color: is libjpeg's rounding in use?")
	}
}

func maxAbsDiff3(p []uint8, want [3]uint8) int {
	m := 0
	for c := 0; c < 3; c++ {
		d := int(p[c]) - int(want[c])
		if d < 0 {
			d = -d
		}
		m = max(m, d)
	}
	return m
}

func checkOpaque(t *testing.T, img *image.RGBA) {
	t.Helper()
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 255 {
			t.Fatalf("alpha of pixel %d is %d, want 255", i/4, img.Pix[i])
		}
	}
}
