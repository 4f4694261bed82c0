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
// Query(images) goes through the batch one image at a time: while the pool holds fewer than Size
// images, the new image is stored and returned; once it is full, with probability 1/2 a stored
// image chosen uniformly at random is returned and the new image takes its place, and otherwise
// the new image itself is returned. A Size of 0 returns the batch unchanged.
//
// The pool draws from its own seeded generator, and State and LoadState save and restore the
// stored images and the generator, so a resumed run draws the same choices.
type ImagePool struct {
	Size   int
	images []*tensor.Tensor // each [1, C, H, W], owned by the pool
	rng    *tensor.RNG
}

// NewImagePool returns an empty pool of the given size that draws its choices from a generator
// seeded with seed.
func NewImagePool(size int, seed uint64) *ImagePool {
	if size < 0 {
		panic(fmt.Sprintf("cyclegan.NewImagePool: negative size %d", size))
	}
	return &ImagePool{Size: size, rng: tensor.NewRNG(seed)}
}

// Len is the number of images stored.
func (p *ImagePool) Len() int { return len(p.images) }

// Query returns a batch of the same shape as images, [N, C, H, W], each image either the new
// one or one taken from the history (see ImagePool). The returned tensor is new; images is
// neither kept nor changed (the pool stores copies).
func (p *ImagePool) Query(images *tensor.Tensor) *tensor.Tensor {
	if images.NDim() != 4 {
		panic(fmt.Sprintf("cyclegan.ImagePool.Query: images %v: want [N, C, H, W]", images.Shape()))
	}
	if p.Size == 0 {
		return images.Clone()
	}
	out := make([]*tensor.Tensor, images.Dim(0))
	for i := range out {
		image := tensor.Narrow(images, 0, i, 1).Clone()
		switch {
		case len(p.images) < p.Size:
			p.images = append(p.images, image)
			out[i] = image
		case p.rng.Float64() > 0.5: // the official random.uniform(0, 1) > 0.5
			j := p.rng.IntN(p.Size) // random.randint(0, pool_size - 1)
			out[i] = p.images[j]
			p.images[j] = image
		default:
			out[i] = image
		}
	}
	if len(out) == 1 {
		return out[0].Clone()
	}
	return tensor.Concat(out, 0)
}

// Pool state keys: images under "<i>" (tensors), the generator's state under "rng" and the size
// under "size" (metadata).
const (
	poolRNGKey  = "rng"
	poolSizeKey = "size"
)

// State returns the stored images by index ("0", "1", ...) and the metadata needed to restore the
// pool: its size and its generator's state (hex). The tensors are the pool's own.
func (p *ImagePool) State() (map[string]*tensor.Tensor, map[string]string) {
	tensors := map[string]*tensor.Tensor{}
	for i, img := range p.images {
		tensors[strconv.Itoa(i)] = img
	}
	rngState, err := p.rng.MarshalBinary()
	if err != nil {
		panic("cyclegan.ImagePool.State: " + err.Error()) // PCG's MarshalBinary cannot fail
	}
	return tensors, map[string]string{poolSizeKey: strconv.Itoa(p.Size), poolRNGKey: hex.EncodeToString(rngState)}
}

// LoadState restores a state written by State. The size must match the pool's; nothing changes
// on error.
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
	rngState, err := hex.DecodeString(meta[poolRNGKey])
	if err != nil {
		return fmt.Errorf("image pool: generator state %q is not hex: %w", meta[poolRNGKey], err)
	}
	rng := tensor.NewRNG(0)
	if err := rng.UnmarshalBinary(rngState); err != nil {
		return fmt.Errorf("image pool: generator state: %w", err)
	}
	p.images, p.rng = images, rng
	return nil
}
