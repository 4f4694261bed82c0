package cyclegan

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/zebra-go/zebra/tensor"
)

// DefaultPoolSize is the official pool size: 50 generated images per direction.
const DefaultPoolSize = 50

// ImagePool is the history of generated images that a discriminator learns from (Shrivastava et
// al. 2017, as in the official image_pool.py). Showing the discriminator older fakes as well as
// the newest one keeps it from chasing the generator's latest move, which damps oscillation.
//
// Query(images) goes through the batch one image at a time, as the official query does: while the
// pool holds fewer than Size images, the new image is stored and returned; once it is full, with
// probability 1/2 a stored image chosen uniformly at random is returned and the new image takes
// its place, and otherwise the new image itself is returned. A Size of 0 returns the batch
// unchanged.
//
// The two draws for an image (swap or not, and which stored image) come from a generator seeded
// by the pool's seed, the epoch and the index of the sample the image was generated from, so they
// do not depend on the batch size or on what was drawn before; State and LoadState save and
// restore the stored images. A pool of the sequential scheme (SamplingSequential, for runs from
// checkpoints before batches) draws from one generator instead, whose state State saves too.
type ImagePool struct {
	Size   int
	images []*tensor.Tensor // each [1, C, H, W], owned by the pool
	seed   uint64
	rng    *tensor.RNG // the sequential scheme's generator; nil for per-sample draws
}

// NewImagePool returns an empty pool of the given size whose draws for each sample come from a
// generator seeded by seed, the epoch and the sample's index.
func NewImagePool(size int, seed uint64) *ImagePool {
	if size < 0 {
		panic(fmt.Sprintf("cyclegan.NewImagePool: negative size %d", size))
	}
	return &ImagePool{Size: size, seed: seed}
}

// newSequentialImagePool returns an empty pool that draws its choices in order from one generator
// seeded with seed (SamplingSequential).
func newSequentialImagePool(size int, seed uint64) *ImagePool {
	p := NewImagePool(size, seed)
	p.rng = tensor.NewRNG(seed)
	return p
}

// Len is the number of images stored.
func (p *ImagePool) Len() int { return len(p.images) }

// Query returns a batch of the same shape as images, [N, C, H, W], each image either the new
// one or one taken from the history (see ImagePool). indices are the N images' samples in epoch,
// which seed the draws (a sequential pool ignores them). The returned tensor is new; images is
// neither kept nor changed (the pool stores copies).
func (p *ImagePool) Query(images *tensor.Tensor, epoch int, indices []int) *tensor.Tensor {
	if images.NDim() != 4 || len(indices) != images.Dim(0) {
		panic(fmt.Sprintf("cyclegan.ImagePool.Query: images %v and %d indices: want [N, C, H, W] and N indices", images.Shape(), len(indices)))
	}
	if p.Size == 0 {
		return images.Clone()
	}
	out := make([]*tensor.Tensor, images.Dim(0))
	for i := range out {
		image := tensor.Narrow(images, 0, i, 1).Clone()
		if len(p.images) < p.Size {
			p.images = append(p.images, image)
			out[i] = image
			continue
		}
		rng := p.rng
		if rng == nil {
			rng = tensor.NewRNG(sampleSeed(p.seed, epoch, indices[i]))
		}
		if rng.Float64() > 0.5 { // the official random.uniform(0, 1) > 0.5
			j := rng.IntN(p.Size) // random.randint(0, pool_size - 1)
			out[i] = p.images[j]
			p.images[j] = image
		} else {
			out[i] = image
		}
	}
	if len(out) == 1 {
		return out[0].Clone()
	}
	return tensor.Concat(out, 0)
}

// Pool state keys: images under "<i>" (tensors), the size under "size" and, for a sequential
// pool, the generator's state under "rng" (metadata).
const (
	poolRNGKey  = "rng"
	poolSizeKey = "size"
)

// State returns the stored images by index ("0", "1", ...) and the metadata needed to restore the
// pool: its size and, for a sequential pool, its generator's state (hex). The tensors are the
// pool's own.
func (p *ImagePool) State() (map[string]*tensor.Tensor, map[string]string) {
	tensors := map[string]*tensor.Tensor{}
	for i, img := range p.images {
		tensors[strconv.Itoa(i)] = img
	}
	meta := map[string]string{poolSizeKey: strconv.Itoa(p.Size)}
	if p.rng != nil {
		rngState, err := p.rng.MarshalBinary()
		if err != nil {
			panic("cyclegan.ImagePool.State: " + err.Error()) // PCG's MarshalBinary cannot fail
		}
		meta[poolRNGKey] = hex.EncodeToString(rngState)
	}
	return tensors, meta
}

// LoadState restores a state written by State. The size must match the pool's, and a sequential
// pool's state has its generator's, a per-sample pool's none; nothing changes on error.
func (p *ImagePool) LoadState(tensors map[string]*tensor.Tensor, meta map[string]string) error {
	size, err := strconv.Atoi(meta[poolSizeKey])
	if err != nil || size != p.Size {
		return fmt.Errorf("image pool: saved size %q, this pool holds %d", meta[poolSizeKey], p.Size)
	}
	if len(tensors) > p.Size {
		return fmt.Errorf("image pool: %d saved images, more than the size %d", len(tensors), p.Size)
	}
	images := make([]*tensor.Tensor, len(tensors))
	for i := range images {
		t, ok := tensors[strconv.Itoa(i)]
		if !ok {
			return fmt.Errorf("image pool: saved images lack number %d of %d", i, len(tensors))
		}
		if t.NDim() != 4 || t.Dim(0) != 1 {
			return fmt.Errorf("image pool: saved image %d has shape %v, want [1, C, H, W]", i, t.Shape())
		}
		images[i] = t
	}
	saved, sequential := meta[poolRNGKey]
	switch {
	case sequential && p.rng == nil:
		return fmt.Errorf("image pool: the state holds a sequential generator, this pool draws per sample")
	case !sequential && p.rng != nil:
		return fmt.Errorf("image pool: the state lacks the generator state %q of a sequential pool", poolRNGKey)
	case !sequential:
		p.images = images
		return nil
	}
	rngState, err := hex.DecodeString(saved)
	if err != nil {
		return fmt.Errorf("image pool: generator state %q is not hex: %w", saved, err)
	}
	rng := tensor.NewRNG(0)
	if err := rng.UnmarshalBinary(rngState); err != nil {
		return fmt.Errorf("image pool: generator state: %w", err)
	}
	p.images, p.rng = images, rng
	return nil
}
