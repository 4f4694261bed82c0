package imageio_test

import (
	"fmt"
	"log"
	"path/filepath"

	"github.com/zebra-go/zebra/internal/imageio"
)

// The official CycleGAN preprocessing of one training image, at a small size: load, convert
// to RGB, resize with PIL's bicubic filter, crop, flip, and scale to [-1, 1] in (C, H, W)
// order. (Training uses 286, 256 and a random crop position and flip.)
func Example() {
	img, err := imageio.LoadRGB(filepath.Join("testdata", "resize", "photo.png"))
	if err != nil {
		log.Fatal(err)
	}
	loaded := imageio.ResizeBicubic(img, 36, 36)
	cropped := imageio.Crop(loaded, 2, 3, 32, 32)
	flipped := imageio.FlipLR(cropped)
	chw := imageio.ToCHW(flipped)
	fmt.Println("input", img.Bounds().Dx(), "x", img.Bounds().Dy(), "-> tensor data of", len(chw), "values")

	// The inverse, as the official tensor2im does before saving a result.
	back := imageio.FromCHW(chw, 3, 32, 32)
	fmt.Println("back to", back.Bounds().Dx(), "x", back.Bounds().Dy())
	// Output:
	// input 48 x 48 -> tensor data of 3072 values
	// back to 32 x 32
}
