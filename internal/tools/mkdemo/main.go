package main

import (
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/zebra-go/zebra/internal/imageio"

	"github.com/zebra-go/zebra/internal/repo"
)

// picks lists the source files of each split. The training images were chosen by eye from every
// tenth file of the full set (every fifth for the test splits); n02391049_226 and _2361 are two
// of the seven single-channel JPEGs of trainB.
var picks = map[string][]string{
	"trainA": {
		"n02381460_1168.jpg", "n02381460_1216.jpg", "n02381460_1305.jpg", "n02381460_1349.jpg",
		"n02381460_1523.jpg", "n02381460_1562.jpg", "n02381460_2014.jpg", "n02381460_2109.jpg",
		"n02381460_242.jpg", "n02381460_2517.jpg", "n02381460_2953.jpg", "n02381460_306.jpg",
		"n02381460_311.jpg", "n02381460_3283.jpg", "n02381460_3449.jpg", "n02381460_393.jpg",
		"n02381460_4447.jpg", "n02381460_4483.jpg", "n02381460_4946.jpg", "n02381460_528.jpg",
		"n02381460_541.jpg", "n02381460_601.jpg", "n02381460_764.jpg", "n02381460_8006.jpg",
	},
	"trainB": {
		"n02391049_10131.jpg", "n02391049_1024.jpg", "n02391049_10504.jpg", "n02391049_1158.jpg",
		"n02391049_1181.jpg", "n02391049_127.jpg", "n02391049_18.jpg", "n02391049_1869.jpg",
		"n02391049_2146.jpg", "n02391049_2182.jpg", "n02391049_226.jpg", "n02391049_2361.jpg",
		"n02391049_2571.jpg", "n02391049_2631.jpg", "n02391049_2648.jpg", "n02391049_2752.jpg",
		"n02391049_2897.jpg", "n02391049_2924.jpg", "n02391049_3081.jpg", "n02391049_3247.jpg",
		"n02391049_3266.jpg", "n02391049_3917.jpg", "n02391049_496.jpg", "n02391049_608.jpg",
	},
	"testA": {"n02381460_1000.jpg", "n02381460_1420.jpg", "n02381460_4630.jpg", "n02381460_7970.jpg"},
	"testB": {"n02391049_2100.jpg", "n02391049_2350.jpg", "n02391049_560.jpg", "n02391049_6890.jpg"},
}

// splits fixes the order in which the splits are built and reported.
var splits = []string{"trainA", "trainB", "testA", "testB"}

func main() {
	root, err := repo.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdemo:", err)
		os.Exit(1)
	}
	defaultData, _ := repo.Horse2Zebra() // empty when absent: then -data is needed
	data := flag.String("data", defaultData,
		"the full horse2zebra dataset (folders trainA, trainB, testA, testB); default: see repo.Horse2Zebra")
	out := flag.String("out", filepath.Join(root, "data", "demo", "horse2zebra"), "where to write the demo set")
	size := flag.Int("size", 64, "width and height of the demo images")
	quality := flag.Int("quality", 90, "JPEG quality of the demo images")
	flag.Parse()
	if *data == "" {
		_, err := repo.Horse2Zebra()
		fmt.Fprintln(os.Stderr, "mkdemo: -data is needed:", err)
		os.Exit(2)
	}

	total, err := build(*data, *out, *size, *quality, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdemo:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d bytes in all to %s\n", total, *out)
}

// build writes the demo set from the dataset in src to dst and returns the number of bytes
// written. Files in the split folders that are not part of the set are removed, so that
// dst holds exactly the demo set afterwards.
func build(src, dst string, size, quality int, log io.Writer) (total int64, err error) {
	if size <= 0 {
		return 0, fmt.Errorf("size %d must be positive", size)
	}
	for _, split := range splits {
		outDir := filepath.Join(dst, split)
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return total, err
		}
		gray := 0
		for _, name := range picks[split] {
			img, err := imageio.Load(filepath.Join(src, split, name))
			if err != nil {
				return total, err
			}
			small := imageio.ResizeBicubic(imageio.ToRGB(img), size, size)
			var save image.Image = small
			if _, isGray := img.(*image.Gray); isGray {
				// ToRGB made three equal channels, and ResizeBicubic treats them alike, so the
				// first channel is the whole image.
				save = grayOf(small)
				gray++
			}
			path := filepath.Join(outDir, name)
			if err := imageio.SaveJPEG(path, save, quality); err != nil {
				return total, err
			}
			info, err := os.Stat(path)
			if err != nil {
				return total, err
			}
			total += info.Size()
		}
		if err := removeOthers(outDir, picks[split]); err != nil {
			return total, err
		}
		fmt.Fprintf(log, "%s: %d images (%d grayscale)\n", split, len(picks[split]), gray)
	}
	return total, nil
}

// grayOf returns the R channel of an image whose three channels are equal.
func grayOf(img *image.RGBA) *image.Gray {
	g := image.NewGray(img.Rect)
	for i := range g.Pix {
		g.Pix[i] = img.Pix[4*i]
	}
	return g
}

// removeOthers deletes the regular files in dir whose names are not in keep.
func removeOthers(dir string, keep []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && !slices.Contains(keep, e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
