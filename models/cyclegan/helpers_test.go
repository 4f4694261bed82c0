package cyclegan

import (
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// writeImages writes n w x h PNG images into dir: smooth colour blobs for domain A ("horses"),
// diagonal stripes for domain B ("zebras"), varied by a seeded generator.
func writeImages(t *testing.T, dir string, n, w, h int, stripes bool, seed uint64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range n {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		r0, g0, b0 := rng.IntN(200), rng.IntN(200), rng.IntN(200)
		period := 4 + rng.IntN(6)
		for y := range h {
			for x := range w {
				var c color.NRGBA
				if stripes {
					v := uint8(30)
					if ((x+y)/period)%2 == 0 {
						v = 230
					}
					c = color.NRGBA{v, v, v, 255}
				} else {
					c = color.NRGBA{uint8(r0 + x*55/w), uint8(g0 + y*55/h), uint8(b0), 255}
				}
				img.SetNRGBA(x, y, c)
			}
		}
		writePNG(t, filepath.Join(dir, "img"+string(rune('a'+i))+".png"), img)
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// tinyData makes a dataset root with trainA (nA images) and trainB (nB images) of w x h.
func tinyData(t *testing.T, nA, nB, w, h int) string {
	t.Helper()
	root := t.TempDir()
	writeImages(t, filepath.Join(root, "trainA"), nA, w, h, false, 1)
	writeImages(t, filepath.Join(root, "trainB"), nB, w, h, true, 2)
	return root
}

// tinyOptions is the tiny configuration of the tests: ngf 8, 2 blocks, 32x32 crops.
func tinyOptions(root string) Options {
	o := DefaultOptions()
	o.DataRoot = root
	o.NGF, o.NDF, o.Blocks = 8, 8, 2
	o.LoadSize, o.CropSize = 36, 32
	o.Epochs, o.DecayEpochs = 2, 2
	o.PoolSize = 3
	o.Seed = 42
	return o
}
