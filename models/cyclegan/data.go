package cyclegan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/tensor"
)

// Preprocess modes, the official --preprocess values zebra supports.
const (
	// PreprocessResizeAndCrop resizes to LoadSize x LoadSize (bicubic), then crops a random
	// CropSize x CropSize square: the official default (286, then 256).
	PreprocessResizeAndCrop = "resize_and_crop"
	// PreprocessCrop crops a random CropSize x CropSize square without resizing.
	PreprocessCrop = "crop"
	// PreprocessNone keeps each image's size, rounded to the nearest multiple of 4 (bicubic) so
	// that the generator maps it back to the same size.
	PreprocessNone = "none"
)

// DataOptions configure the data pipeline. LoadSize and CropSize are the official --load_size and
// --crop_size; with PreprocessNone they are unused.
type DataOptions struct {
	LoadSize, CropSize int
	Preprocess         string // one of the Preprocess constants; "" means PreprocessResizeAndCrop
	NoFlip             bool   // never flip (the official --no_flip)
	// SkipBadImages skips a sample whose A or B file cannot be read or decoded, and counts the
	// file, instead of stopping with an error that names it.
	SkipBadImages bool
	Seed          uint64 // fixes the order, the B draws, the crops and the flips of every epoch
	Workers       int    // goroutines that load and augment; 0 means min(4, GOMAXPROCS)
	Prefetch      int    // samples loaded ahead of the consumer; 0 means 2·Workers
	// MinSize, when positive, is the smallest image side the networks take (see MinImageSize):
	// then the crop size must be a multiple of 4 and at least MinSize, and with PreprocessNone an
	// image whose rounded size is smaller is an error naming the file.
	MinSize int
}

func (o DataOptions) check() error {
	if o.LoadSize > MaxImageSize || o.CropSize > MaxImageSize {
		return fmt.Errorf("cyclegan: load size %d and crop size %d: want at most %d", o.LoadSize, o.CropSize, MaxImageSize)
	}
	switch o.Preprocess {
	case "", PreprocessResizeAndCrop:
		if o.CropSize < 1 || o.LoadSize < o.CropSize {
			return fmt.Errorf("cyclegan: load size %d and crop size %d: want 1 ≤ crop size ≤ load size", o.LoadSize, o.CropSize)
		}
	case PreprocessCrop:
		if o.CropSize < 1 {
			return fmt.Errorf("cyclegan: crop size %d: want at least 1", o.CropSize)
		}
	case PreprocessNone:
		return nil
	default:
		return fmt.Errorf("cyclegan: unknown preprocess mode %q (want %s, %s or %s)", o.Preprocess, PreprocessResizeAndCrop, PreprocessCrop, PreprocessNone)
	}
	if o.MinSize > 0 && (o.CropSize%4 != 0 || o.CropSize < o.MinSize) {
		return fmt.Errorf("cyclegan: crop size %d: the networks want a multiple of 4 of at least %d", o.CropSize, o.MinSize)
	}
	return nil
}

// checkImage reports whether t is an image like those the data pipeline gives for these options:
// [1, 3, H, W] float32 with H = W = CropSize when cropping, or H and W multiples of 4 from
// MinImageSize to MaxImageSize with PreprocessNone.
func (o Options) checkImage(t *tensor.Tensor) error {
	shape := t.Shape()
	if len(shape) != 4 || shape[0] != 1 || shape[1] != 3 || t.DType() != tensor.Float32 {
		return fmt.Errorf("%s tensor of shape %v, want float32 [1, 3, H, W]", t.DType(), shape)
	}
	h, w := shape[2], shape[3]
	if o.Preprocess == PreprocessNone {
		if least := MinImageSize(o.DLayers); h%4 != 0 || w%4 != 0 || h < least || w < least || h > MaxImageSize || w > MaxImageSize {
			return fmt.Errorf("size %dx%d, want multiples of 4 from %d to %d", h, w, least, MaxImageSize)
		}
	} else if h != o.CropSize || w != o.CropSize {
		return fmt.Errorf("size %dx%d, want the crop size %dx%d", h, w, o.CropSize, o.CropSize)
	}
	return nil
}

// MaxImageSize bounds the load and crop sizes, so that a mistyped flag or a crafted checkpoint
// cannot ask for an image of gigabytes.
const MaxImageSize = 8192

// Dataset is an unaligned pair of image folders, the official UnalignedDataset: an epoch visits
// max(|A|, |B|) samples; sample i takes A image perm[i] mod |A| for a random permutation perm of
// the epoch (so A is read in shuffled order, each image once when A is the larger set) and a B
// image drawn uniformly at random, so that pairs never repeat in lockstep.
//
// All random choices of an epoch (the permutation, the B draws, every crop and flip) are drawn up
// front, in order, from a generator seeded by the seed and the epoch number. Loading then runs in
// background goroutines in any order, but the samples, and so a training run, are the same for
// a seed whatever the timing; and an epoch can be restarted at any sample, which is how a resumed
// run continues exactly.
type Dataset struct {
	PathsA, PathsB []string
	opts           DataOptions

	mu  sync.Mutex
	bad map[string]error // files that failed to load, counted once each

	loadsStarted atomic.Int64 // samples whose loading began, for the tests
}

// NewDataset lists the images (.jpg, .jpeg, .png in any case, in subfolders too) of dirA and dirB.
// A missing or empty folder is an error naming it.
func NewDataset(dirA, dirB string, o DataOptions) (*Dataset, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.Preprocess == "" {
		o.Preprocess = PreprocessResizeAndCrop
	}
	if o.Workers <= 0 {
		o.Workers = min(4, runtime.GOMAXPROCS(0))
	}
	if o.Prefetch <= 0 {
		o.Prefetch = 2 * o.Workers
	}
	a, err := imageio.ListImages(dirA)
	if err != nil {
		return nil, fmt.Errorf("cyclegan: domain A: %w", err)
	}
	b, err := imageio.ListImages(dirB)
	if err != nil {
		return nil, fmt.Errorf("cyclegan: domain B: %w", err)
	}
	return &Dataset{PathsA: a, PathsB: b, opts: o, bad: map[string]error{}}, nil
}

// Len is the number of samples in an epoch, max(|A|, |B|).
func (d *Dataset) Len() int { return max(len(d.PathsA), len(d.PathsB)) }

// Skipped returns the number of distinct files skipped as unreadable so far (with SkipBadImages).
func (d *Dataset) Skipped() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.bad)
}

// Sample is one training pair: A and B as [1, 3, H, W] float32 CPU tensors in [-1, 1], their
// files, and the sample's position in its epoch.
type Sample struct {
	A, B         *tensor.Tensor
	PathA, PathB string
	Index        int
}

// augment is the random part of preparing one image: where to crop and whether to flip. The crop
// offsets are kept as uniform draws in [0, 1) until the image's size is known.
type augment struct {
	cropX, cropY float64
	flip         bool
}

// plan is everything random about one sample, drawn in order before any loading starts.
type plan struct {
	index        int
	pathA, pathB string
	augA, augB   augment
}

// epochSeed mixes the dataset seed with the epoch number (SplitMix64's finalizer), so that the
// epochs' generators are unrelated.
func epochSeed(seed uint64, epoch int) uint64 {
	z := seed + 0x9e3779b97f4a7c15*uint64(epoch+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// plans draws the random choices of every sample of an epoch.
func (d *Dataset) plans(epoch int) []plan {
	rng := tensor.NewRNG(epochSeed(d.opts.Seed, epoch))
	n := d.Len()
	perm := rng.Perm(n)
	draw := func() augment {
		a := augment{cropX: rng.Float64(), cropY: rng.Float64()}
		a.flip = !d.opts.NoFlip && rng.Float64() > 0.5
		return a
	}
	out := make([]plan, n)
	for i := range out {
		p := plan{index: i, pathA: d.PathsA[perm[i]%len(d.PathsA)], pathB: d.PathsB[rng.IntN(len(d.PathsB))]}
		p.augA = draw()
		p.augB = draw()
		out[i] = p
	}
	return out
}

// Loader delivers the samples of one epoch in order while background goroutines load the ones
// ahead. Call Close when done, also after an error.
type Loader struct {
	futures chan chan loaded
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

type loaded struct {
	sample Sample
	err    error
	skip   bool
}

// Epoch starts loading the samples of epoch (counted from 0) from sample index start on.
func (d *Dataset) Epoch(epoch, start int) *Loader {
	return d.epoch(context.Background(), epoch, start)
}

// epoch is Epoch under a parent context (for the tests: a cancelled parent must start no load).
func (d *Dataset) epoch(parent context.Context, epoch, start int) *Loader {
	ctx, cancel := context.WithCancel(parent)
	l := &Loader{futures: make(chan chan loaded, d.opts.Prefetch), cancel: cancel}
	plans := d.plans(epoch)[min(start, d.Len()):]
	workers := make(chan struct{}, d.opts.Workers)
	l.done.Add(1)
	go func() {
		defer l.done.Done()
		defer close(l.futures)
		for _, p := range plans {
			// A select picks at random among ready cases, so a free queue slot or worker could
			// win over the cancellation: check it first, and again before a load starts.
			if ctx.Err() != nil {
				return
			}
			future := make(chan loaded, 1)
			select {
			case l.futures <- future: // waits while Prefetch samples are queued
			case <-ctx.Done():
				return
			}
			select {
			case workers <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				future <- loaded{err: ctx.Err()} // the queued future must not leave a reader waiting
				return
			}
			l.done.Add(1)
			go func() {
				defer l.done.Done()
				future <- d.load(p)
				<-workers
			}()
		}
	}()
	return l
}

// Next returns the next sample; ok is false at the end of the epoch. With SkipBadImages, samples
// with an unreadable file are passed over; otherwise the error names the file.
func (l *Loader) Next() (s Sample, ok bool, err error) {
	for future := range l.futures {
		r := <-future
		if r.err != nil {
			return Sample{}, false, r.err
		}
		if !r.skip {
			return r.sample, true, nil
		}
	}
	return Sample{}, false, nil
}

// Close stops the background loading and waits for it to end.
func (l *Loader) Close() {
	l.cancel()
	go func() { // let a producer blocked on a full queue see the cancellation
		for range l.futures {
		}
	}()
	l.done.Wait()
}

func (d *Dataset) load(p plan) loaded {
	d.loadsStarted.Add(1)
	a, errA := d.loadImage(p.pathA, p.augA)
	b, errB := d.loadImage(p.pathB, p.augB)
	if err := errors.Join(errA, errB); err != nil {
		if !d.opts.SkipBadImages {
			return loaded{err: err}
		}
		d.mu.Lock()
		for _, e := range []struct {
			path string
			err  error
		}{{p.pathA, errA}, {p.pathB, errB}} {
			if e.err != nil {
				d.bad[e.path] = e.err
			}
		}
		d.mu.Unlock()
		return loaded{skip: true}
	}
	return loaded{sample: Sample{A: a, B: b, PathA: p.pathA, PathB: p.pathB, Index: p.index}}
}

// loadImage reads one file and applies the preprocessing with the drawn augmentation.
func (d *Dataset) loadImage(path string, aug augment) (*tensor.Tensor, error) {
	img, err := imageio.LoadRGB(path)
	if err != nil {
		return nil, err
	}
	img, err = Preprocess(img, d.opts, aug.cropX, aug.cropY, aug.flip)
	if err != nil {
		return nil, fmt.Errorf("cyclegan: %s: %w", path, err)
	}
	return ImageTensor(img), nil
}

// Preprocess applies the official transform to an RGB image: resize (PreprocessResizeAndCrop) or
// round the size to a multiple of 4 (PreprocessNone), crop at the relative offsets cropX, cropY
// in [0, 1) (the crop's left edge is ⌊cropX·(w − CropSize + 1)⌋, like random.randint(0,
// w − CropSize)), then flip left-right if flip is set.
func Preprocess(img *image.RGBA, o DataOptions, cropX, cropY float64, flip bool) (*image.RGBA, error) {
	switch o.Preprocess {
	case "", PreprocessResizeAndCrop, PreprocessCrop:
		if o.Preprocess != PreprocessCrop {
			img = imageio.ResizeBicubic(img, o.LoadSize, o.LoadSize)
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if w < o.CropSize || h < o.CropSize {
			return nil, fmt.Errorf("image of %dx%d is smaller than the crop size %d", w, h, o.CropSize)
		}
		x := int(cropX * float64(w-o.CropSize+1))
		y := int(cropY * float64(h-o.CropSize+1))
		img = imageio.Crop(img, x, y, o.CropSize, o.CropSize)
	case PreprocessNone:
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		rw, rh := RoundToMultiple(w, 4), RoundToMultiple(h, 4)
		if min(rw, rh) < o.MinSize {
			return nil, fmt.Errorf("image of %dx%d (rounded to %dx%d) is smaller than the networks' minimum %d", w, h, rw, rh, o.MinSize)
		}
		if rw != w || rh != h {
			img = imageio.ResizeBicubic(img, rw, rh)
		}
	default:
		return nil, fmt.Errorf("unknown preprocess mode %q", o.Preprocess)
	}
	if flip {
		img = imageio.FlipLR(img)
	}
	return img, nil
}

// RoundToMultiple rounds n to the nearest multiple of base, halves to even as Python's round()
// does in the official __make_power_2, and never below base.
func RoundToMultiple(n, base int) int {
	return max(base, int(math.RoundToEven(float64(n)/float64(base)))*base)
}

// ImageTensor returns img as a [1, 3, H, W] float32 CPU tensor in [-1, 1].
func ImageTensor(img *image.RGBA) *tensor.Tensor {
	b := img.Bounds()
	return tensor.FromFloat32(imageio.ToCHW(img), 1, 3, b.Dy(), b.Dx())
}

// TensorImage turns the first image of a [N, 3, H, W] tensor in [-1, 1] back into an RGB image,
// as the official tensor2im does.
func TensorImage(t *tensor.Tensor) *image.RGBA {
	if t.NDim() != 4 || t.Dim(1) != 3 {
		panic(fmt.Sprintf("cyclegan.TensorImage: tensor %v: want [N, 3, H, W]", t.Shape()))
	}
	h, w := t.Dim(2), t.Dim(3)
	first := tensor.Narrow(t, 0, 0, 1)
	return imageio.FromCHW(tensor.Cast(first, tensor.Float32).Float32s(), 3, h, w)
}

// dataFolders returns <root>/<phase>A and <root>/<phase>B, checking that root exists so that the
// error names the folder a user typed.
func dataFolders(root, phase string) (string, string, error) {
	if info, err := os.Stat(root); errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("cyclegan: data root %s does not exist", root)
	} else if err != nil {
		return "", "", fmt.Errorf("cyclegan: data root: %w", err) // the error names root
	} else if !info.IsDir() {
		return "", "", fmt.Errorf("cyclegan: data root %s is not a folder", root)
	}
	return filepath.Join(root, phase+"A"), filepath.Join(root, phase+"B"), nil
}

// TrainingData opens <DataRoot>/trainA and <DataRoot>/trainB with o's preprocessing and seed.
func (o Options) TrainingData(skipBadImages bool) (*Dataset, error) {
	dirA, dirB, err := dataFolders(o.DataRoot, "train")
	if err != nil {
		return nil, err
	}
	do := o.dataOptions()
	do.SkipBadImages = skipBadImages
	return NewDataset(dirA, dirB, do)
}

// SetWorkers sets the number of loading goroutines (at least 1) for the epochs started after.
func (d *Dataset) SetWorkers(n int) {
	d.opts.Workers = max(1, n)
	d.opts.Prefetch = 2 * d.opts.Workers
}
