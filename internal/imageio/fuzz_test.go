package imageio

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadResizeCHW runs the data pipeline's first steps on arbitrary file contents: decode
// (with a small pixel bound), convert to RGB, resize bicubically, and lay out as CHW. Whatever
// the bytes, Load returns an error or an image with pixels, and what follows gives exactly
// 3*h*w finite values in [-1, 1]; nothing panics and a header claiming a huge image is refused
// before its pixels are allocated. The seed corpus (testdata/fuzz/FuzzLoadResizeCHW: a PNG with
// alpha, grayscale and colour JPEGs, a PNG header claiming 100000x100000) runs in every go test.
//
//	go test -fuzz=FuzzLoadResizeCHW -fuzztime=60s ./internal/imageio
func FuzzLoadResizeCHW(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "image")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		const maxPixels = 1 << 16
		img, err := LoadWithin(path, maxPixels)
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Empty() || int64(b.Dx())*int64(b.Dy()) > maxPixels {
			t.Fatalf("Load returned a %dx%d image (bound %d pixels)", b.Dx(), b.Dy(), maxPixels)
		}
		const w, h = 13, 7
		chw := ToCHW(ResizeBicubic(ToRGB(img), w, h))
		if len(chw) != 3*w*h {
			t.Fatalf("ToCHW gave %d values, want %d", len(chw), 3*w*h)
		}
		for i, v := range chw {
			if math.IsNaN(float64(v)) || v < -1 || v > 1 {
				t.Fatalf("value %d is %g, want [-1, 1]", i, v)
			}
		}
	})
}
