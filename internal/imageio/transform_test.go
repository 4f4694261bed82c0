package imageio

import (
	"image"
	"testing"
)

// numbered returns a w x h image whose pixel (x, y) is (x, y, x+y) with alpha 255, placed at a
// non-zero origin so that the functions cannot get away with ignoring Bounds().Min.
func numbered(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(10, 20, 10+w, 20+h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := img.Pix[img.PixOffset(10+x, 20+y):]
			p[0], p[1], p[2], p[3] = uint8(x), uint8(y), uint8(x+y), 255
		}
	}
	return img
}

func TestCrop(t *testing.T) {
	img := numbered(9, 7)
	got := Crop(img, 2, 3, 4, 2)
	if got.Rect != image.Rect(0, 0, 4, 2) {
		t.Fatalf("bounds %v, want (0,0)-(4,2)", got.Rect)
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			p := got.Pix[got.PixOffset(x, y):]
			if p[0] != uint8(x+2) || p[1] != uint8(y+3) {
				t.Fatalf("pixel (%d, %d) is %v, want source (%d, %d)", x, y, p[:3], x+2, y+3)
			}
		}
	}
	got.Pix[0] = 99
	if img.Pix[img.PixOffset(12, 23)] == 99 {
		t.Error("Crop shares memory with its input")
	}
	whole := Crop(img, 0, 0, 9, 7)
	if maxDiff, _ := compareRGB(whole, img); maxDiff != 0 {
		t.Error("cropping the whole image changed it")
	}
}

func TestCropPanicsOutside(t *testing.T) {
	img := numbered(9, 7)
	for _, r := range [][4]int{{-1, 0, 2, 2}, {8, 0, 2, 2}, {0, 6, 2, 2}, {0, 0, 0, 1}, {0, 0, 10, 7}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Crop(%v) of a 9x7 image did not panic", r)
				}
			}()
			Crop(img, r[0], r[1], r[2], r[3])
		}()
	}
}

func TestFlipLR(t *testing.T) {
	img := numbered(5, 3)
	got := FlipLR(img)
	if got.Rect != image.Rect(0, 0, 5, 3) {
		t.Fatalf("bounds %v", got.Rect)
	}
	for y := 0; y < 3; y++ {
		for x := 0; x < 5; x++ {
			p := got.Pix[got.PixOffset(x, y):]
			if p[0] != uint8(4-x) || p[1] != uint8(y) || p[2] != uint8(4-x+y) || p[3] != 255 {
				t.Fatalf("pixel (%d, %d) is %v, want (%d, %d, %d)", x, y, p[:4], 4-x, y, 4-x+y)
			}
		}
	}
	if twice := FlipLR(got); func() int { d, _ := compareRGB(twice, img); return d }() != 0 {
		t.Error("flipping twice does not give the image back")
	}
}

func TestToCHWLayout(t *testing.T) {
	img := numbered(3, 2)
	chw := ToCHW(img)
	for c := 0; c < 3; c++ {
		for y := 0; y < 2; y++ {
			for x := 0; x < 3; x++ {
				want := byteToUnit[[]int{x, y, x + y}[c]]
				if got := chw[c*6+y*3+x]; got != want {
					t.Fatalf("chw[%d][%d][%d] = %v, want %v", c, y, x, got, want)
				}
			}
		}
	}
}
