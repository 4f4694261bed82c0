package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// defaultMaxPixels bounds the images translate takes unless -max-pixels says otherwise: 2^21
// pixels, a 1920x1080 frame or 1448x1448. The generator's activations grow with the pixels and
// with ngf: a 4000x4000 image took 4.1 GB at ngf 8 (issue 11), about 256 bytes a pixel, so this
// default is about 0.5 GB at ngf 8 and, growing with ngf, a few GB at the paper's ngf 64, where a
// few hundred KB of PNG could otherwise ask for hundreds of GB.
const defaultMaxPixels = 1 << 21

func runTranslate(args []string) (err error) {
	fs := flag.NewFlagSet("cyclegan translate", flag.ContinueOnError)
	checkpoint := fs.String("checkpoint", "", "checkpoint written by cyclegan train or export, or a generator state dict (PyTorch .pth or safetensors, official keys)")
	direction := fs.String("direction", "AtoB", "AtoB (G_A, e.g. horse -> zebra) or BtoA (G_B), in any case")
	out := fs.String("out", "translated", "output folder: <name>_real.png, <name>_fake.png and index.html")
	device := fs.String("device", "cpu", "cpu, opencl[:N] or cuda[:N]")
	maxPixels := fs.Int64("max-pixels", defaultMaxPixels, "largest image to translate, in pixels (width times height), checked from the file's header before decoding")
	resize := fs.Int("resize", 0, "first scale each image so that its shorter side has this many pixels (bicubic, keeping the aspect ratio; 0: keep the size)")
	skipChecksum := fs.Bool("skip-checksum", false, "do not compare the generator's data with the checkpoint's SHA-256 digests (huge files, or salvaging a damaged one)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: cyclegan translate -checkpoint FILE [flags] IMAGE_OR_FOLDER...\n\nTranslates images of any size up to -max-pixels (padded to a multiple of 4, cropped back).\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *checkpoint == "" || fs.NArg() == 0 {
		return cli.Usagef("need -checkpoint and at least one image or folder")
	}
	if *resize < 0 || *resize > 1<<15 {
		return cli.Usagef("-resize %d: want a side length in pixels (up to 32768), or 0 to keep sizes", *resize)
	}
	if *maxPixels < 1 {
		return cli.Usagef("-max-pixels %d: want a positive number of pixels", *maxPixels)
	}
	d, ok := parseDirection(*direction)
	if !ok {
		return cli.Usagef("-direction %q: want AtoB or BtoA", *direction)
	}
	backend, err := gpu.Open(*device)
	if err != nil {
		return err
	}
	g, err := (cyclegan.CheckpointReader{SkipChecksum: *skipChecksum}).LoadGenerator(*checkpoint, d, backend)
	if err != nil {
		return checkpointHint(checkpointError(err, *checkpoint), *checkpoint, "translate with -checkpoint %s instead", nil)
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
	// A failed translation leaves no empty -out folder behind; the images it did write stay.
	removeOut, err := cli.MkdirAll(*out)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			removeOut()
		}
	}()
	save, err := newTranslationWriter(*out, inputs)
	if err != nil {
		return err
	}
	// An image's two PNGs are written (encoded, synced, renamed: 13 ms at 256x256, against about
	// 0.4 s for the generator, on a 2-vCPU AMD EPYC Zen 4) while the next image is translated, in
	// the gaps the generator leaves on the cores and while the disk syncs. At most one write is in flight, and its error
	// comes back before the next one starts.
	written := make(chan error, 1)
	written <- nil // no write in flight yet
	for i, path := range inputs {
		img, err := imageio.LoadRGBWithin(path, *maxPixels)
		if err != nil {
			<-written
			var large *imageio.TooLargeError
			if errors.As(err, &large) {
				return fmt.Errorf("translate: %s is %dx%d, %d pixels, more than -max-pixels %d (the generator's memory grows with the pixels: about 256 bytes a pixel at ngf 8); pass a larger -max-pixels to translate it",
					path, large.Width, large.Height, int64(large.Width)*int64(large.Height), *maxPixels)
			}
			return err
		}
		if *resize > 0 {
			img = resizeShorterSide(img, *resize)
		}
		fake := cyclegan.Translate(g, img)
		if err := <-written; err != nil {
			return err
		}
		realPath, fakePath := save.next(path)
		progress := fmt.Sprintf("[%d/%d] %s -> %s", i+1, len(inputs), path, fakePath)
		go func() {
			err := savePair(realPath, img, fakePath, fake)
			if err == nil {
				fmt.Fprintln(os.Stderr, progress)
			}
			written <- err
		}()
	}
	if err := <-written; err != nil {
		return err
	}
	if err := save.finish("CycleGAN " + string(d) + ": " + *checkpoint); err != nil {
		return err
	}
	index := filepath.Join(*out, "index.html")
	fmt.Fprintf(os.Stderr, "wrote %d images and %s\n", len(inputs), index)
	return nil
}

// resizeShorterSide scales img (bicubic, as the training data is) so that its shorter side is n
// pixels, keeping the aspect ratio; the longer side is rounded to the nearest pixel.
func resizeShorterSide(img *image.RGBA, n int) *image.RGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if min(w, h) == n {
		return img
	}
	if w <= h {
		return imageio.ResizeBicubic(img, n, max(1, int(math.Round(float64(h)*float64(n)/float64(w)))))
	}
	return imageio.ResizeBicubic(img, max(1, int(math.Round(float64(w)*float64(n)/float64(h)))), n)
}

// parseDirection reads a -direction in any case: AtoB, atob, BTOA.
func parseDirection(s string) (cyclegan.Direction, bool) {
	for _, d := range []cyclegan.Direction{cyclegan.AtoB, cyclegan.BtoA} {
		if strings.EqualFold(s, string(d)) {
			return d, true
		}
	}
	return "", false
}

// savePair saves an input and its translation as PNG files.
func savePair(realPath string, real *image.RGBA, fakePath string, fake *image.RGBA) error {
	if err := imageio.SavePNG(realPath, real); err != nil {
		return err
	}
	return imageio.SavePNG(fakePath, fake)
}

// translationWriter writes what cyclegan translate -out writes: each input and its translation
// as <name>_real.png and <name>_fake.png, and an index.html of them.
type translationWriter struct {
	dir   string
	names *outputNames
	rows  []sampleRow
}

func newTranslationWriter(dir string, inputs []string) (*translationWriter, error) {
	names, err := newOutputNames(dir, inputs)
	if err != nil {
		return nil, err
	}
	return &translationWriter{dir: dir, names: names}, nil
}

// next names the pair of the input at path, gives it its row in index.html, and returns the
// two files' paths.
func (t *translationWriter) next(path string) (realPath, fakePath string) {
	realFile, fakeFile := t.names.take(path)
	t.rows = append(t.rows, sampleRow{Title: filepath.Base(path), Images: []string{realFile, fakeFile}})
	return filepath.Join(t.dir, realFile), filepath.Join(t.dir, fakeFile)
}

// add writes the input at path and its translation.
func (t *translationWriter) add(path string, real, fake *image.RGBA) error {
	realPath, fakePath := t.next(path)
	return savePair(realPath, real, fakePath, fake)
}

// finish writes index.html.
func (t *translationWriter) finish(title string) error {
	return writeIndex(filepath.Join(t.dir, "index.html"), title, "", []string{"input", "output"}, t.rows, 256)
}

// outputNames gives each input its own pair of output names, <name>_real.png and
// <name>_fake.png, in the output folder. One set holds every name taken: the outputs given so far,
// index.html, and the inputs that sit in the output folder, so that no output replaces an input
// (-out set to the input folder, with a.png beside a_real.png) or another output (x/a.png,
// y/a.png and z/a_2.png would otherwise all ask for a_2). A name already taken gets the first
// free suffix _2, _3, ...
type outputNames struct {
	taken map[string]bool // file names in the output folder
}

// newOutputNames takes index.html and the names of the inputs that are in folder out. Paths are
// compared after resolving symbolic links, so that "." and an absolute path to it, or a link to
// the input folder, are the same folder. It is an error if an input is the index file.
func newOutputNames(out string, inputs []string) (*outputNames, error) {
	n := &outputNames{taken: map[string]bool{"index.html": true}}
	outDir, err := filepath.EvalSymlinks(out)
	if err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	for _, path := range inputs {
		// Both the name given (a link in the output folder would be replaced by an output)
		// and the file it leads to (a link elsewhere to a file in the output folder).
		parent, err := filepath.EvalSymlinks(filepath.Dir(path))
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		resolved, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		for _, p := range []string{filepath.Join(parent, filepath.Base(path)), resolved} {
			if filepath.Dir(p) != outDir {
				continue
			}
			if filepath.Base(p) == "index.html" {
				return nil, fmt.Errorf("input %s is the index file that translate writes in -out %s", path, out)
			}
			n.taken[filepath.Base(p)] = true
		}
	}
	return n, nil
}

// take returns the output names of the input at path and marks them taken.
func (n *outputNames) take(path string) (real, fake string) {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	name := base
	for i := 2; n.taken[name+"_real.png"] || n.taken[name+"_fake.png"]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	real, fake = name+"_real.png", name+"_fake.png"
	n.taken[real], n.taken[fake] = true, true
	return real, fake
}
