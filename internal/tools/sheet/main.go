package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"

	"github.com/zebra-go/zebra/internal/imageio"
)

func main() {
	out := flag.String("o", "sheet.png", "the PNG to write")
	cols := flag.Int("cols", 4, "images per row")
	height := flag.Int("height", 128, "height every image is scaled to, in pixels")
	gap := flag.Int("gap", 4, "white pixels between images")
	flag.Parse()
	if flag.NArg() == 0 || *cols < 1 || *height < 1 || *gap < 0 {
		fmt.Fprintln(os.Stderr, "usage: sheet [-o FILE] [-cols N] [-height PX] [-gap PX] IMAGE...")
		os.Exit(2)
	}
	var images []image.Image
	for _, path := range flag.Args() {
		img, err := imageio.Load(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sheet:", err)
			os.Exit(1)
		}
		images = append(images, img)
	}
	if err := imageio.SavePNG(*out, layout(images, *cols, *height, *gap)); err != nil {
		fmt.Fprintln(os.Stderr, "sheet:", err)
		os.Exit(1)
	}
}

// layout places images in rows of cols, each scaled to height pixels, on a white sheet.
func layout(images []image.Image, cols, height, gap int) *image.RGBA {
	widths := make([]int, len(images))
	for i, img := range images {
		b := img.Bounds()
		widths[i] = max(1, (b.Dx()*height+b.Dy()/2)/b.Dy())
	}
	rows := (len(images) + cols - 1) / cols
	sheetWidth := 0
	for r := 0; r < rows; r++ {
		w := gap
		for i := r * cols; i < min(len(images), (r+1)*cols); i++ {
			w += widths[i] + gap
		}
		sheetWidth = max(sheetWidth, w)
	}
	sheet := image.NewRGBA(image.Rect(0, 0, sheetWidth, gap+rows*(height+gap)))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for r := 0; r < rows; r++ {
		x, y := gap, gap+r*(height+gap)
		for i := r * cols; i < min(len(images), (r+1)*cols); i++ {
			scaleNearest(sheet, image.Rect(x, y, x+widths[i], y+height), images[i])
			x += widths[i] + gap
		}
	}
	return sheet
}

// scaleNearest draws src into the rectangle dst of sheet, each destination pixel taking the
// source pixel its centre falls in.
func scaleNearest(sheet *image.RGBA, dst image.Rectangle, src image.Image) {
	b := src.Bounds()
	for y := 0; y < dst.Dy(); y++ {
		sy := b.Min.Y + (2*y+1)*b.Dy()/(2*dst.Dy())
		for x := 0; x < dst.Dx(); x++ {
			sx := b.Min.X + (2*x+1)*b.Dx()/(2*dst.Dx())
			sheet.Set(dst.Min.X+x, dst.Min.Y+y, src.At(sx, sy))
		}
	}
}
