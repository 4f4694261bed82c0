package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/models/cyclegan"
)

func runTranslate(args []string) error {
	fs := flag.NewFlagSet("cyclegan translate", flag.ContinueOnError)
	checkpoint := fs.String("checkpoint", "", "checkpoint written by cyclegan train (or a ResnetGenerator state_dict in safetensors)")
	direction := fs.String("direction", "AtoB", "AtoB (G_A, e.g. horse -> zebra) or BtoA (G_B)")
	out := fs.String("out", "translated", "output folder: <name>_real.png, <name>_fake.png and index.html")
	device := fs.String("device", "cpu", "cpu, opencl[:N] or cuda[:N]")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cyclegan translate -checkpoint FILE [flags] IMAGE_OR_FOLDER...\n\nTranslates images of any size (padded to a multiple of 4, cropped back).\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *checkpoint == "" || fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("need -checkpoint and at least one image or folder")
	}
	d := cyclegan.Direction(*direction)
	if d != cyclegan.AtoB && d != cyclegan.BtoA {
		return fmt.Errorf("-direction %q: want AtoB or BtoA", *direction)
	}
	backend, err := gpu.Open(*device)
	if err != nil {
		return err
	}
	g, err := cyclegan.LoadGenerator(*checkpoint, d, backend)
	if err != nil {
		return err
	}
	var inputs []string
	for _, arg := range fs.Args() {
		info, err := os.Stat(arg)
		if err != nil {
			return fmt.Errorf("input: %w", err)
		}
		if !info.IsDir() {
			inputs = append(inputs, arg)
			continue
		}
		paths, err := imageio.ListImages(arg)
		if err != nil {
			return err
		}
		inputs = append(inputs, paths...)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	used := map[string]int{}
	var rows []sampleRow
	for i, path := range inputs {
		img, err := imageio.LoadRGB(path)
		if err != nil {
			return err
		}
		fake := cyclegan.Translate(g, img)
		name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if used[name]++; used[name] > 1 { // same file name in two folders
			name += "_" + strconv.Itoa(used[name])
		}
		real, fakeFile := name+"_real.png", name+"_fake.png"
		if err := imageio.SavePNG(filepath.Join(*out, real), img); err != nil {
			return err
		}
		if err := imageio.SavePNG(filepath.Join(*out, fakeFile), fake); err != nil {
			return err
		}
		rows = append(rows, sampleRow{Title: filepath.Base(path), Images: []string{real, fakeFile}})
		fmt.Fprintf(os.Stderr, "[%d/%d] %s -> %s\n", i+1, len(inputs), path, filepath.Join(*out, fakeFile))
	}
	index := filepath.Join(*out, "index.html")
	if err := writeIndex(index, "CycleGAN "+string(d)+": "+*checkpoint, "", []string{"input", "output"}, rows, 256); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d images and %s\n", len(inputs), index)
	return nil
}
