package main

import (
	"image"
	"image/color"
	"testing"
)

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// TestLayout: three images in rows of two, scaled to height 8 keeping their aspect ratio, land
// where the gaps put them, in their own colours, on white.
func TestLayout(t *testing.T) {
	red, green, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}
	sheet := layout([]image.Image{solid(4, 4, red), solid(8, 4, green), solid(2, 4, blue)}, 2, 8, 1)
	if got, want := sheet.Bounds().Size(), (image.Point{1 + 8 + 1 + 16 + 1, 1 + 8 + 1 + 8 + 1}); got != want {
		t.Fatalf("sheet is %v, want %v", got, want)
	}
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, color.RGBA{255, 255, 255, 255}}, {1, 1, red}, {8, 8, red}, {9, 1, color.RGBA{255, 255, 255, 255}},
		{10, 1, green}, {25, 8, green}, {1, 10, blue}, {4, 17, blue}, {5, 10, color.RGBA{255, 255, 255, 255}},
	} {
		if got := sheet.RGBAAt(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}
