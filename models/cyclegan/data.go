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
	// Sampling is how those choices are drawn from Seed: SamplingPerSample ("" too), keyed by
	// the sample, or SamplingSequential, the one stream per epoch of zebra before batches.
	Sampling string
	Workers  int // goroutines that load and augment; 0 means min(4, GOMAXPROCS)
	Prefetch int // samples loaded ahead of the consumer; 0 means 2·Workers
	// MinSize, when positive, is the smallest image side the networks take (see MinImageSize):
	// then the crop size must be a multiple of 4 and at least MinSize, and with PreprocessNone an
	// image whose rounded size is smaller is an error naming the file.
	MinSize int
}

// Sampling schemes (Options.Sampling, DataOptions.Sampling): how the random choices of the data
// and the pools follow from the seed.
const (
	// SamplingPerSample draws each sample's choices from a generator seeded by the seed, the
	// epoch and the sample's index, so that they do not depend on how the work is split. The
	// default, also spelled "".
	SamplingPerSample = "per-sample"
	// SamplingSequential draws every choice of an epoch in order from one generator, and the
	// pools' from one generator each across the run: the scheme of zebra before batches, which
	// runs resumed from its checkpoints keep so that they continue exactly.
	SamplingSequential = "sequential"
)

func checkSampling(s string) error {
	if s != "" && s != SamplingPerSample && s != SamplingSequential {
		return fmt.Errorf("cyclegan: sampling scheme %q: want %s or %s", s, SamplingPerSample, SamplingSequential)
	}
	return nil
}

func (o DataOptions) check() error {
	if err := checkSampling(o.Sampling); err != nil {
		return err
	}
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
// The random choices are functions of the seed, the epoch and the sample's index in the epoch,
// not of a sequential stream: the permutation is drawn from a generator seeded by (seed, epoch),
// and everything else about sample i (its B partner, the crop offsets and flips of both images)
// from a generator of its own seeded by (seed, epoch, i). So sample i of an epoch is the same
// whichever samples are loaded with it, in what batches, by which process, in what order: a
// resumed run continues exactly, loading runs in background goroutines in any order, and a
// data-parallel rank loads its share of an epoch (Batches, ShardBatches) with the same
// augmentation as one process would.
//
// DataOptions.Sampling = SamplingSequential keeps the scheme of zebra before batches, for runs
// resumed from their checkpoints: every choice of an epoch drawn in order from one generator.
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

// plan is everything random about one sample, drawn before any loading starts.
type plan struct {
	index        int
	pathA, pathB string
	augA, augB   augment
}

// epochSeed mixes a seed with an epoch number (SplitMix64's finalizer), so that the epochs'
// generators are unrelated. Mixed twice, epochSeed(epochSeed(seed, epoch), i) seeds sample i's
// generator (sampleSeed).
func epochSeed(seed uint64, epoch int) uint64 {
	z := seed + 0x9e3779b97f4a7c15*uint64(epoch+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// sampleSeed seeds the generator of the random choices about sample index of epoch, for a
// stream of choices (the data, a pool) seeded by seed: neighbouring samples and epochs get
// unrelated generators, since each number goes through the finalizer before the next joins.
func sampleSeed(seed uint64, epoch, index int) uint64 {
	return epochSeed(epochSeed(seed, epoch), index)
}

// draw draws the augmentation of one image.
func (d *Dataset) draw(rng *tensor.RNG) augment {
	a := augment{cropX: rng.Float64(), cropY: rng.Float64()}
	a.flip = !d.opts.NoFlip && rng.Float64() > 0.5
	return a
}

// plans returns the plans of the samples of epoch at the indices given by batches, in order.
func (d *Dataset) plans(epoch int, batches [][]int) []plan {
	n := d.Len()
	var sequential []plan
	var perm []int
	if d.opts.Sampling == SamplingSequential {
		sequential = d.sequentialPlans(epoch)
	} else {
		// The permutation is the one choice about the whole epoch: O(n) per call, for any
		// share of it.
		perm = tensor.NewRNG(epochSeed(d.opts.Seed, epoch)).Perm(n)
	}
	var out []plan
	for _, batch := range batches {
		for _, i := range batch {
			if i < 0 || i >= n {
				panic(fmt.Sprintf("cyclegan.Dataset: sample %d of an epoch of %d", i, n))
			}
			if sequential != nil {
				out = append(out, sequential[i])
				continue
			}
			rng := tensor.NewRNG(sampleSeed(d.opts.Seed, epoch, i))
			p := plan{index: i, pathA: d.PathsA[perm[i]%len(d.PathsA)], pathB: d.PathsB[rng.IntN(len(d.PathsB))]}
			p.augA = d.draw(rng)
			p.augB = d.draw(rng)
			out = append(out, p)
		}
	}
	return out
}

// sequentialPlans draws the random choices of every sample of an epoch in order from one
// generator seeded by the seed and the epoch (SamplingSequential): the permutation, then for each
// sample its B image and the augmentation of A and B. Sample i's choices depend on every sample
// before it, which is why this is no longer the default.
func (d *Dataset) sequentialPlans(epoch int) []plan {
	rng := tensor.NewRNG(epochSeed(d.opts.Seed, epoch))
	n := d.Len()
	perm := rng.Perm(n)
	out := make([]plan, n)
	for i := range out {
		p := plan{index: i, pathA: d.PathsA[perm[i]%len(d.PathsA)], pathB: d.PathsB[rng.IntN(len(d.PathsB))]}
		p.augA = d.draw(rng)
		p.augB = d.draw(rng)
		out[i] = p
	}
	return out
}

// EpochBatches splits the samples start, start+1, ..., n−1 of an epoch of n samples into
// batches of size samples, in order, the last one shorter when size does not divide the count:
// the official DataLoader's batches (drop_last=False, the samples in the dataset's order).
// A run that stopped after a batch resumes at its end, so the batches of the rest of the epoch
// are the ones it would have had.
func EpochBatches(n, start, size int) [][]int {
	if size < 1 {
		panic(fmt.Sprintf("cyclegan.EpochBatches: batch size %d", size))
	}
	var out [][]int
	for first := max(start, 0); first < n; first += size {
		batch := make([]int, 0, min(size, n-first))
		for i := first; i < min(first+size, n); i++ {
			batch = append(batch, i)
		}
		out = append(out, batch)
	}
	return out
}

// ShardBatches returns rank's share (of ranks) of each batch: a contiguous part, the first
// len%ranks ranks taking one sample more than the others, so that the shares of all ranks put
// together, in rank order, are the batch again. A share can be empty (a short last batch with
// fewer samples than ranks), and is then left in the list, so that the k-th share of every rank
// belongs to the same step. A data-parallel step over such shares equals one step on the whole
// batch when each rank's gradients are weighted by its share of the batch before they are summed.
func ShardBatches(batches [][]int, rank, ranks int) [][]int {
	if ranks < 1 || rank < 0 || rank >= ranks {
		panic(fmt.Sprintf("cyclegan.ShardBatches: rank %d of %d", rank, ranks))
	}
	out := make([][]int, len(batches))
	for k, batch := range batches {
		per, extra := len(batch)/ranks, len(batch)%ranks
		first := rank*per + min(rank, extra)
		size := per
		if rank < extra {
			size++
		}
		out[k] = batch[first : first+size]
	}
	return out
}

// Batch is a training batch: A and B as [N, 3, H, W] float32 CPU tensors in [-1, 1], and for
// each of their N images the file and the sample's index in the epoch. Number is the position of
// the batch in the list given to Dataset.Batches; samples with unreadable files (SkipBadImages)
// are left out, so N can be less than that batch's length, down to 0 (A and B are then nil).
type Batch struct {
	A, B           *tensor.Tensor
	PathsA, PathsB []string
	Indices        []int
	Number         int
}

// Len is the number of samples in the batch.
func (b Batch) Len() int { return len(b.Indices) }

// Loader delivers samples in order while background goroutines load the ones ahead, one at a
// time (Next) or a batch at a time (NextBatch): use one or the other. Call Close when done, also
// after an error.
type Loader struct {
	futures chan chan loaded
	sizes   []int // the planned samples of each batch
	next    int   // the batch NextBatch returns next
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

type loaded struct {
	sample Sample
	err    error
	skip   bool
}

// Epoch starts loading the samples of epoch (counted from 0) from sample index start on, as
// batches of one.
func (d *Dataset) Epoch(epoch, start int) *Loader {
	return d.Batches(epoch, EpochBatches(d.Len(), start, 1))
}

// Batches starts loading the given batches of samples of epoch, each a list of indices in the
// epoch (from 0 to Len − 1; EpochBatches and ShardBatches make them). Sample i has the same
// files and augmentation whatever batch it is in.
func (d *Dataset) Batches(epoch int, batches [][]int) *Loader {
	return d.batches(context.Background(), epoch, batches)
}

// batches is Batches under a parent context (for the tests: a cancelled parent must start no
// load).
func (d *Dataset) batches(parent context.Context, epoch int, batches [][]int) *Loader {
	ctx, cancel := context.WithCancel(parent)
	l := &Loader{futures: make(chan chan loaded, d.opts.Prefetch), cancel: cancel}
	for _, b := range batches {
		l.sizes = append(l.sizes, len(b))
	}
	plans := d.plans(epoch, batches)
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

// result returns the next loaded sample, skipped or not; ok is false at the end.
func (l *Loader) result() (r loaded, ok bool) {
	future, ok := <-l.futures
	if !ok {
		return loaded{}, false
	}
	return <-future, true
}

// Next returns the next sample; ok is false at the end. With SkipBadImages, samples with an
// unreadable file are passed over; otherwise the error names the file.
func (l *Loader) Next() (s Sample, ok bool, err error) {
	for {
		r, more := l.result()
		if !more {
			return Sample{}, false, nil
		}
		if r.err != nil {
			return Sample{}, false, r.err
		}
		if !r.skip {
			return r.sample, true, nil
		}
	}
}

// NextBatch returns the next batch, every one of those given to Dataset.Batches in turn; ok is
// false after the last. With SkipBadImages, samples with an unreadable file are left out of their
// batch, which can leave it empty; otherwise the error names the file.
func (l *Loader) NextBatch() (b Batch, ok bool, err error) {
	if l.next >= len(l.sizes) {
		return Batch{}, false, nil
	}
	b = Batch{Number: l.next}
	var as, bs []*tensor.Tensor
	for range l.sizes[l.next] {
		r, more := l.result()
		switch {
		case !more: // the loading was cancelled: Close ran
			return Batch{}, false, context.Canceled
		case r.err != nil:
			return Batch{}, false, r.err
		case r.skip:
			continue
		}
		as, bs = append(as, r.sample.A), append(bs, r.sample.B)
		b.PathsA = append(b.PathsA, r.sample.PathA)
		b.PathsB = append(b.PathsB, r.sample.PathB)
		b.Indices = append(b.Indices, r.sample.Index)
	}
	l.next++
	if len(as) > 0 {
		b.A, b.B = concatImages(as), concatImages(bs)
	}
	return b, true, nil
}

// concatImages stacks [1, 3, H, W] images into one [N, 3, H, W] tensor.
func concatImages(images []*tensor.Tensor) *tensor.Tensor {
	if len(images) == 1 {
		return images[0]
	}
	return tensor.Concat(images, 0)
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
