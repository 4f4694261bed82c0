package inception

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// InputSize is the height and width the network sees: every image is resized to 299×299.
const InputSize = 299

// Options are the settings of Features; the zero value runs batches of 8 images.
type Options struct {
	// BatchSize is the number of images per forward pass; 0 means 8. Memory grows with it
	// (about 90 MB of activations per image at the widest layer, float32).
	BatchSize int
	// Progress, if set, is called after each batch with the number of images done so far.
	Progress func(done int)
}

// Features returns the FID features of each image, pytorch-fid's pool3 activations: 2048
// float64 values per image, in the order of images. An image is read as RGB (alpha ignored, as
// PIL's convert("RGB") does), scaled to [0, 1] (v/255, torchvision's ToTensor), and resized on
// its own, so the images may differ in size. A zero-sized image is an error.
func Features(net *Net, images []image.Image, o Options) ([][]float64, error) {
	batch := o.BatchSize
	if batch <= 0 {
		batch = 8
	}
	out := make([][]float64, 0, len(images))
	for start := 0; start < len(images); start += batch {
		end := min(start+batch, len(images))
		resized := make([]*tensor.Tensor, 0, end-start)
		for i, img := range images[start:end] {
			x, err := unitTensor(img)
			if err != nil {
				return nil, fmt.Errorf("inception.Features: image %d: %w", start+i, err)
			}
			resized = append(resized, resize(x))
		}
		feats := forwardResized(net, tensor.Concat(resized, 0)).Float64s()
		for i := range end - start {
			out = append(out, feats[i*FeatureDims:(i+1)*FeatureDims])
		}
		if o.Progress != nil {
			o.Progress(end)
		}
	}
	return out, nil
}

// FeaturesOf is Features for a batch already in a tensor: x [N, 3, H, W] with RGB in [0, 1],
// on the network's device, float32. It returns [N, 2048].
func FeaturesOf(net *Net, x *tensor.Tensor) *tensor.Tensor {
	if x.NDim() != 4 || x.Dim(1) != 3 {
		panic(fmt.Sprintf("inception.FeaturesOf: input %v, want [N, 3, H, W]", x.Shape()))
	}
	return forwardResized(net, resize(x))
}

// resize interpolates x [N, 3, H, W] to 299×299 as F.interpolate(mode="bilinear",
// align_corners=False); pytorch-fid does it even at 299×299, where it is the identity.
func resize(x *tensor.Tensor) *tensor.Tensor {
	return autograd.InterpolateBilinear(autograd.Constant(x), InputSize, InputSize).Value
}

// forwardResized maps a resized batch from [0, 1] to [−1, 1] and runs the network.
func forwardResized(net *Net, x *tensor.Tensor) *tensor.Tensor {
	x = tensor.AddScalar(tensor.Scale(x, 2), -1) // pytorch-fid's normalize_input: 2x − 1
	return net.Forward(autograd.Constant(x)).Value
}

// unitTensor returns img as [1, 3, H, W] float32 in [0, 1].
func unitTensor(img image.Image) (*tensor.Tensor, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return nil, errors.New("the image is empty")
	}
	data := make([]float32, 3*h*w)
	plane := h * w
	for y := range h {
		for x := range w {
			r, g, bl := rgb8(img, b.Min.X+x, b.Min.Y+y)
			data[y*w+x] = float32(r) / 255
			data[plane+y*w+x] = float32(g) / 255
			data[2*plane+y*w+x] = float32(bl) / 255
		}
	}
	return tensor.FromFloat32(data, 1, 3, h, w), nil
}

// rgb8 returns the 8-bit colour of a pixel without its alpha: the stored bytes of RGBA and NRGBA
// images (as PIL's convert("RGB") keeps them), other images through color.NRGBAModel.
func rgb8(img image.Image, x, y int) (r, g, b uint8) {
	switch im := img.(type) {
	case *image.RGBA:
		c := im.RGBAAt(x, y)
		return c.R, c.G, c.B
	case *image.NRGBA:
		c := im.NRGBAAt(x, y)
		return c.R, c.G, c.B
	}
	c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
	return c.R, c.G, c.B
}
