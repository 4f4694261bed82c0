package imageio

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// goldenResize is testdata/resize/cases.json, written by scripts/golden/resize_golden.py.
type goldenResize struct {
	Pillow string `json:"pillow"`
	Cases  []struct {
		Input  string `json:"input"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Output string `json:"output"`
	} `json:"cases"`
}

// TestResizeBicubicMatchesPIL compares every case with PIL's output. PIL's arithmetic (float64
// weights, 22-bit fixed point, 8-bit rounding after each pass) is reproduced step by step, so
// the bytes must be identical, not merely close.
func TestResizeBicubicMatchesPIL(t *testing.T) {
	dir := filepath.Join("testdata", "resize")
	raw, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden goldenResize
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) == 0 {
		t.Fatal("cases.json holds no case")
	}
	for _, c := range golden.Cases {
		t.Run(c.Output, func(t *testing.T) {
			in := mustLoadRGB(t, filepath.Join(dir, c.Input))
			want := mustLoadRGB(t, filepath.Join(dir, c.Output))
			got := ResizeBicubic(in, c.Width, c.Height)
			if got.Bounds() != want.Bounds() {
				t.Fatalf("bounds %v, PIL %v", got.Bounds(), want.Bounds())
			}
			maxDiff, differing := compareRGB(got, want)
			if maxDiff > 0 {
				t.Errorf("%d of %d samples differ from PIL %s, by up to %d levels", differing,
					3*c.Width*c.Height, golden.Pillow, maxDiff)
			}
		})
	}
}

func TestResizeBicubicSameSizeCopies(t *testing.T) {
	in := mustLoadRGB(t, filepath.Join("testdata", "resize", "noise.png"))
	got := ResizeBicubic(in, in.Rect.Dx(), in.Rect.Dy())
	if maxDiff, _ := compareRGB(got, in); maxDiff != 0 {
		t.Errorf("same-size resize changed pixels by up to %d", maxDiff)
	}
	got.Pix[0]++
	if got.Pix[0] == in.Pix[0] {
		t.Error("same-size resize returned its input instead of a copy")
	}
}

func TestResizeBicubicConstantImageStaysConstant(t *testing.T) {
	// Normalised weights sum to one, so a flat image must stay flat whatever the scale.
	in := image.NewRGBA(image.Rect(0, 0, 37, 23))
	for i := 0; i < len(in.Pix); i += 4 {
		in.Pix[i], in.Pix[i+1], in.Pix[i+2], in.Pix[i+3] = 200, 17, 255, 255
	}
	for _, size := range [][2]int{{286, 286}, {5, 3}, {37, 100}, {1, 1}} {
		out := ResizeBicubic(in, size[0], size[1])
		for i := 0; i < len(out.Pix); i += 4 {
			if out.Pix[i] != 200 || out.Pix[i+1] != 17 || out.Pix[i+2] != 255 || out.Pix[i+3] != 255 {
				t.Fatalf("%dx%d: pixel %d is %v, want [200 17 255 255]", size[0], size[1], i/4, out.Pix[i:i+4])
			}
		}
	}
}

func TestResizeBicubicPanicsOnBadSize(t *testing.T) {
	in := image.NewRGBA(image.Rect(0, 0, 4, 4))
	defer func() {
		if recover() == nil {
			t.Error("ResizeBicubic(0x4) did not panic")
		}
	}()
	ResizeBicubic(in, 0, 4)
}

func BenchmarkResizeBicubic256To286(b *testing.B) {
	in := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for i := range in.Pix {
		in.Pix[i] = uint8(i * 7)
	}
	b.SetBytes(int64(len(in.Pix)))
	for b.Loop() {
		ResizeBicubic(in, 286, 286)
	}
}

func mustLoadRGB(t *testing.T, path string) *image.RGBA {
	t.Helper()
	img, err := LoadRGB(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// compareRGB returns the largest difference between the R, G, B bytes of two images of the
// same size and how many bytes differ.
func compareRGB(a, b *image.RGBA) (maxDiff, differing int) {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			pa := a.Pix[a.PixOffset(a.Rect.Min.X+x, a.Rect.Min.Y+y):]
			pb := b.Pix[b.PixOffset(b.Rect.Min.X+x, b.Rect.Min.Y+y):]
			for c := 0; c < 3; c++ {
				d := int(pa[c]) - int(pb[c])
				if d < 0 {
					d = -d
				}
				if d > 0 {
					differing++
				}
				maxDiff = max(maxDiff, d)
			}
		}
	}
	return maxDiff, differing
}
