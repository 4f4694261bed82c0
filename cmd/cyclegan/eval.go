package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/models/cyclegan"
)

func runEval(args []string) error { return evalCommand(args, os.Stdout, os.Stderr, openInception) }

// evalProtocol is everything that a FID or KID value depends on besides the images themselves,
// printed before the values and stored beside them in -json: two FIDs are comparable only under
// one protocol (the same weights, resizing, reference set and, for KID, subsets).
type evalProtocol struct {
	Inception weightsInfo     `json:"inception"`
	Resize    string          `json:"resize"`
	Device    string          `json:"device"`
	Real      evalSet         `json:"real"`
	Fake      evalSet         `json:"fake"`
	KID       kidProtocol     `json:"kid"`
	Generator *checkpointInfo `json:"checkpoint,omitempty"`
}

// evalSet is one side of the comparison.
type evalSet struct {
	Dir    string `json:"dir"`
	Images int    `json:"images"`
	What   string `json:"what"` // "the reference set: real B images", "G_A(testA), translated as cyclegan translate does"
}

// checkpointInfo says which generator made the fake images: the checkpoint, its direction, and
// where in training it was saved (its metadata), with the rule that chose it if it has one
// (best.safetensors of train -eval-every).
type checkpointInfo struct {
	Path      string `json:"path"`
	Direction string `json:"direction"`
	Contents  string `json:"contents,omitempty"` // full, generators, networks; empty for a .pth
	Epoch     *int   `json:"epoch,omitempty"`
	Steps     *int   `json:"steps,omitempty"`
	Selection string `json:"selection,omitempty"`
}

// describe writes the checkpoint as one line of the protocol.
func (c *checkpointInfo) describe() string {
	s := c.Path + ", " + c.Direction
	switch {
	case c.Epoch != nil && c.Steps != nil:
		s += fmt.Sprintf(", saved after epoch %d (%d steps)", *c.Epoch, *c.Steps)
	case c.Contents == "":
		s += ", a state dict without training metadata"
	}
	if c.Selection != "" {
		s += "; " + c.Selection
	}
	return s
}

// readCheckpointInfo reads what a checkpoint's header says about it: safetensors metadata
// (epoch and steps as Trainer.Save and SaveWeights write them, and the selection rule of a best
// checkpoint); a PyTorch .pth file has none.
func readCheckpointInfo(path string, d cyclegan.Direction) checkpointInfo {
	info := checkpointInfo{Path: path, Direction: string(d)}
	meta, err := safetensors.ReadMetadata(path)
	if err != nil {
		return info
	}
	info.Contents, _ = cyclegan.Contents(path)
	if n, err := strconv.Atoi(meta["epoch"]); err == nil {
		info.Epoch = &n
	}
	if n, err := strconv.Atoi(meta["steps"]); err == nil {
		info.Steps = &n
	}
	info.Selection = meta[selectionKey]
	return info
}

// evalResult is what eval prints and -json writes.
type evalResult struct {
	scores
	Protocol evalProtocol `json:"protocol"`
}

func evalCommand(args []string, stdout, stderr io.Writer, open openExtractor) (err error) {
	fs := flag.NewFlagSet("cyclegan eval", flag.ContinueOnError)
	weights := fs.String("inception", "", "pytorch-fid's Inception weights, pt_inception-2015-12-05-6726825d.pth (cyclegan download-model fid-inception)")
	realDir := fs.String("real", "", "folder of real images: the reference set")
	fakeDir := fs.String("fake", "", "folder of generated images")
	checkpoint := fs.String("checkpoint", "", "instead of -fake: translate the test set with this checkpoint's generator first (any file translate takes)")
	direction := fs.String("direction", "AtoB", "with -checkpoint: AtoB (testA through G_A, against testB) or BtoA (testB through G_B, against testA)")
	dataroot := fs.String("dataroot", "", "with -checkpoint: the dataset folder holding testA and testB")
	out := fs.String("out", "", "with -checkpoint: also write the translated images and index.html here, as cyclegan translate -out does (default: write no files)")
	device := fs.String("device", "cpu", "cpu, opencl[:N] or cuda[:N], for the generator and the Inception network")
	jsonFile := fs.String("json", "", "also write FID, KID and the protocol to this JSON file")
	batch := fs.Int("batch", 8, "images per Inception forward pass (about 90 MB of activations each)")
	kidSubsets := fs.Int("kid-subsets", 100, "KID: the number of random subsets averaged (torch-fidelity's 100; 0: once, on the full sets)")
	kidSubsetSize := fs.Int("kid-subset-size", 0, "KID: images drawn from each set per subset (0: min(1000, the smaller set), torch-fidelity's 1000 when the sets allow)")
	kidSeed := fs.Uint64("kid-seed", 1, "KID: the seed of the subsets' draw")
	maxPixels := fs.Int64("max-pixels", defaultMaxPixels, "largest image to read, in pixels (width times height)")
	skipChecksum := fs.Bool("skip-checksum", false, "with -checkpoint: do not compare the generator's data with the checkpoint's SHA-256 digests")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: cyclegan eval -inception FILE -real DIR -fake DIR [flags]
       cyclegan eval -inception FILE -checkpoint FILE -dataroot DIR [-direction AtoB|BtoA] [flags]

Computes the Fréchet Inception Distance (FID) and the Kernel Inception Distance (KID) between a
folder of real images and a folder of generated ones, as pytorch-fid and torch-fidelity do, with
pytorch-fid's Inception-v3 weights. With -checkpoint it first translates the test set as
cyclegan translate does (horse2zebra AtoB: testA's horses into zebras, measured against testB's
zebras). It prints the protocol, then "FID <value>" and "KID <mean> ± <std>".

Both sets need at least 2 images; FID is biased upwards for small sets, so compare values of
sets of the same sizes only.

flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nexit status: 0 measured, 1 failed, 2 a usage error\n")
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return cli.Usagef("unexpected arguments %q (all settings are flags)", fs.Args())
	case *weights == "":
		return cli.Usagef("need -inception FILE (cyclegan download-model fid-inception fetches it)")
	case *checkpoint == "" && (*realDir == "" || *fakeDir == ""):
		return cli.Usagef("need -real DIR and -fake DIR, or -checkpoint FILE and -dataroot DIR")
	case *checkpoint != "" && (*fakeDir != "" || *realDir != ""):
		return cli.Usagef("-checkpoint translates the test set of -dataroot and measures it against the other domain's: leave out -real and -fake")
	case *checkpoint != "" && *dataroot == "":
		return cli.Usagef("-checkpoint needs -dataroot DIR, the dataset holding testA and testB")
	case *checkpoint == "" && (*dataroot != "" || *out != ""):
		return cli.Usagef("-dataroot and -out go with -checkpoint")
	case *batch < 1 || *batch > 1024:
		return cli.Usagef("-batch %d: want 1 to 1024 images", *batch)
	case *kidSubsets < 0:
		return cli.Usagef("-kid-subsets %d: want a number of subsets, or 0 for the full sets", *kidSubsets)
	case *kidSubsetSize < 0 || *kidSubsetSize == 1:
		return cli.Usagef("-kid-subset-size %d: want at least 2 images, or 0 for min(1000, the smaller set)", *kidSubsetSize)
	case *maxPixels < 1:
		return cli.Usagef("-max-pixels %d: want a positive number of pixels", *maxPixels)
	}
	d, ok := parseDirection(*direction)
	if !ok {
		return cli.Usagef("-direction %q: want AtoB or BtoA", *direction)
	}

	// The folders first: a missing one, or one of a single image, is found before anything
	// is loaded.
	var p evalProtocol
	var realPaths, fakePaths []string
	if *checkpoint == "" {
		if realPaths, err = listEvalImages("-real", *realDir); err != nil {
			return err
		}
		if fakePaths, err = listEvalImages("-fake", *fakeDir); err != nil {
			return err
		}
		p.Real = evalSet{Dir: *realDir, Images: len(realPaths), What: "the reference set"}
		p.Fake = evalSet{Dir: *fakeDir, Images: len(fakePaths), What: "generated images"}
	} else {
		source, reference := testFolders(*dataroot, d)
		if fakePaths, err = listEvalImages("-dataroot", source); err != nil {
			return err
		}
		if realPaths, err = listEvalImages("-dataroot", reference); err != nil {
			return err
		}
		p.Real = evalSet{Dir: reference, Images: len(realPaths), What: "the reference set: the other domain's real test images"}
		p.Fake = evalSet{Dir: source, Images: len(fakePaths), What: generatorName(d) + "(" + filepath.Base(source) + "), translated as cyclegan translate does"}
	}
	if *kidSubsetSize > min(len(realPaths), len(fakePaths)) {
		return cli.Usagef("-kid-subset-size %d: the sets have %d and %d images", *kidSubsetSize, len(realPaths), len(fakePaths))
	}
	p.KID = kidProtocol{Subsets: *kidSubsets, SubsetSize: *kidSubsetSize, Seed: *kidSeed}.resolved(len(realPaths), len(fakePaths))
	p.Resize = resizeProtocol

	backend, err := gpu.Open(*device)
	if err != nil {
		return err
	}
	p.Device = backend.Name()
	if p.Inception, err = readWeightsInfo(*weights); err != nil {
		return err
	}
	fx, err := open(*weights, backend)
	if err != nil {
		return err
	}
	run := featureRun{fx: fx, batch: *batch, out: stderr}
	fakeJob := imageFiles("fake ("+p.Fake.Dir+")", fakePaths, *maxPixels)
	if *checkpoint != "" {
		g, err := (cyclegan.CheckpointReader{SkipChecksum: *skipChecksum}).LoadGenerator(*checkpoint, d, backend)
		if err != nil {
			return checkpointHint(checkpointError(err, *checkpoint), *checkpoint, "evaluate with -checkpoint %s instead", nil)
		}
		info := readCheckpointInfo(*checkpoint, d)
		p.Generator = &info
		var save *translationWriter
		if *out != "" {
			removeOut, err := cli.MkdirAll(*out)
			if err != nil {
				return err
			}
			defer func() {
				if err != nil {
					removeOut()
				}
			}()
			if save, err = newTranslationWriter(*out, fakePaths); err != nil {
				return err
			}
		}
		what := fmt.Sprintf("fake %s (%s of %s)", targetDomain(d), generatorName(d), filepath.Base(p.Fake.Dir))
		fakeJob = translatedImages(what, g, fakePaths, *maxPixels, save)
		defer func() {
			if err == nil && save != nil {
				err = save.finish("CycleGAN " + string(d) + ": " + *checkpoint)
			}
		}()
	}
	printProtocol(stdout, p)

	realFeatures, err := run.features(imageFiles("real ("+p.Real.Dir+")", realPaths, *maxPixels))
	if err != nil {
		return err
	}
	fakeFeatures, err := run.features(fakeJob)
	if err != nil {
		return err
	}
	s, err := score(realFeatures, fakeFeatures, p.KID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "FID %.4f\nKID %.6f ± %.6f\n", s.FID, s.KIDMean, s.KIDStd)
	if *jsonFile != "" {
		data, err := json.MarshalIndent(evalResult{scores: s, Protocol: p}, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFile(*jsonFile, append(data, '\n')); err != nil {
			return fmt.Errorf("-json: %w", err)
		}
	}
	return nil
}

// testFolders returns the test images that direction d translates and the real images of the
// other domain that its fakes are measured against.
func testFolders(dataroot string, d cyclegan.Direction) (source, reference string) {
	if d == cyclegan.BtoA {
		return filepath.Join(dataroot, "testB"), filepath.Join(dataroot, "testA")
	}
	return filepath.Join(dataroot, "testA"), filepath.Join(dataroot, "testB")
}

// generatorName is the generator of a direction: G_A turns A into B.
func generatorName(d cyclegan.Direction) string {
	if d == cyclegan.BtoA {
		return "G_B"
	}
	return "G_A"
}

// targetDomain is the domain that a direction's generator makes: B for AtoB.
func targetDomain(d cyclegan.Direction) string {
	if d == cyclegan.BtoA {
		return "A"
	}
	return "B"
}

// printProtocol writes the protocol, one setting a line.
func printProtocol(w io.Writer, p evalProtocol) {
	digest := p.Inception.SHA256
	if !strings.HasPrefix(digest, pytorchFIDDigest) {
		digest += " (not pytorch-fid's pt_inception-2015-12-05-6726825d.pth: these values are not comparable with published ones)"
	}
	fmt.Fprintf(w, "protocol:\n  inception   %s\n  sha256      %s\n  resize      %s\n  device      %s\n", p.Inception.Path, digest, p.Resize, p.Device)
	fmt.Fprintf(w, "  real        %s: %d images, %s\n", p.Real.Dir, p.Real.Images, p.Real.What)
	fmt.Fprintf(w, "  fake        %s: %d images, %s\n", p.Fake.Dir, p.Fake.Images, p.Fake.What)
	if p.Generator != nil {
		fmt.Fprintf(w, "  checkpoint  %s\n", p.Generator.describe())
	}
	if p.KID.Subsets == 0 {
		fmt.Fprintf(w, "  KID         once, on the full sets\n")
	} else {
		fmt.Fprintf(w, "  KID         %d subsets of %d images per set, seed %d\n", p.KID.Subsets, p.KID.SubsetSize, p.KID.Seed)
	}
}

// translatedImages is a job that translates each image as cyclegan translate does (read as RGB,
// at its own size, through cyclegan.Translate) and, when save is not nil, writes the pair.
func translatedImages(what string, g *cyclegan.ResnetGenerator, paths []string, maxPixels int64, save *translationWriter) featureJob {
	return featureJob{what: what, n: len(paths), image: func(i int) (image.Image, error) {
		img, err := imageio.LoadRGBWithin(paths[i], maxPixels)
		if err != nil {
			var large *imageio.TooLargeError
			if errors.As(err, &large) {
				return nil, fmt.Errorf("%s is %dx%d, more than -max-pixels %d", paths[i], large.Width, large.Height, maxPixels)
			}
			return nil, err
		}
		fake := cyclegan.Translate(g, img)
		if save != nil {
			if err := save.add(paths[i], img, fake); err != nil {
				return nil, err
			}
		}
		return fake, nil
	}}
}
