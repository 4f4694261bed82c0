package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// Conv2dOptions are the optional settings of Conv2d; the zero value is PyTorch's default (stride
// 1, no padding, dilation 1, with bias). Kernel, stride, padding and dilation are the same along
// height and width; set the layer's Options field for different ones.
type Conv2dOptions struct {
	Stride   int  // 0 means 1
	Padding  int  // zero padding on every side
	Dilation int  // 0 means 1
	NoBias   bool // PyTorch's bias=False
}

// Conv2d is a 2-D convolution layer (PyTorch's nn.Conv2d with groups 1 and zero padding):
//
//	y[n, o, i, j] = bias[o] + Σ_{c, p, q} weight[o, c, p, q] · x[n, c, i·s − pad + p·d, j·s − pad + q·d]
//
// with x read as 0 outside the image.
//
// Shape: input [N, Cin, H, W], output [N, Cout, OH, OW] with
// OH = ⌊(H + 2·pad − d·(KH − 1) − 1) / s⌋ + 1, and likewise OW.
//
// Parameters: weight [Cout, Cin, KH, KW] and bias [Cout], initialized as PyTorch does (see
// InitConvDefault); CycleGAN re-initializes them with N(0, 0.02²) and zeros.
type Conv2d struct {
	Weight  *autograd.Var
	Bias    *autograd.Var // nil without bias
	Options autograd.Conv2dOptions
}

// NewConv2d returns a Conv2d from inChannels to outChannels with a square kernel of kernelSize,
// in float32 on the CPU, with parameters drawn from rng, or left zero if rng is nil (for a layer
// whose parameters are loaded next, like torch.nn.utils.skip_init).
func NewConv2d(rng *tensor.RNG, inChannels, outChannels, kernelSize int, o Conv2dOptions) *Conv2d {
	checkConvSizes("nn.NewConv2d", inChannels, outChannels, kernelSize, o.Stride, o.Padding, o.Dilation)
	c := &Conv2d{Options: autograd.Conv2dOptions{
		Stride: pair(max(o.Stride, 1)), Padding: pair(o.Padding), Dilation: pair(max(o.Dilation, 1)),
	}}
	c.Weight, c.Bias = newConvParams(rng, []int{outChannels, inChannels, kernelSize, kernelSize}, outChannels, o.NoBias)
	return c
}

// Forward convolves x.
func (c *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Conv2d(x, c.Weight, c.Bias, c.Options)
}

// NamedParameters returns "weight" and, with a bias, "bias".
func (c *Conv2d) NamedParameters() []NamedParam {
	return paramList(NamedParam{"weight", c.Weight}, NamedParam{"bias", c.Bias})
}

func (c *Conv2d) String() string {
	w := c.Weight.Value
	return fmt.Sprintf("Conv2d(%d, %d, kernel_size=(%d, %d), stride=%v, padding=%v, dilation=%v, bias=%s)",
		w.Dim(1), w.Dim(0), w.Dim(2), w.Dim(3), pyPair(c.Options.Stride, 1), pyPair(c.Options.Padding, 0), pyPair(c.Options.Dilation, 1), pyBool(c.Bias != nil))
}

// ConvTranspose2dOptions are the optional settings of ConvTranspose2d; the zero value is PyTorch's
// default (stride 1, no padding, no output padding, dilation 1, with bias).
type ConvTranspose2dOptions struct {
	Stride  int // 0 means 1
	Padding int // removed from every side of the output
	// OutputPadding adds rows at the bottom and columns on the right of the output; it must be
	// smaller than the stride or the dilation. CycleGAN's upsampling uses stride 2, padding 1,
	// output padding 1 to double the size exactly.
	OutputPadding int
	Dilation      int  // 0 means 1
	NoBias        bool // PyTorch's bias=False
}

// ConvTranspose2d is a 2-D transposed convolution layer (PyTorch's nn.ConvTranspose2d with groups
// 1), the adjoint of Conv2d with respect to its input: each input pixel scatters the kernel,
// weighted, into the output,
//
//	y[n, o, i·s − pad + p·d, j·s − pad + q·d] += Σ_c x[n, c, i, j] · weight[c, o, p, q]
//
// and bias[o] is added to channel o.
//
// Shape: input [N, Cin, H, W], output [N, Cout, OH, OW] with
// OH = (H − 1)·s − 2·pad + d·(KH − 1) + output_padding + 1, and likewise OW.
//
// Parameters: weight [Cin, Cout, KH, KW] (input channels first, as in PyTorch) and bias [Cout],
// initialized as PyTorch does (see InitConvDefault).
type ConvTranspose2d struct {
	Weight  *autograd.Var
	Bias    *autograd.Var // nil without bias
	Options autograd.ConvTranspose2dOptions
}

// NewConvTranspose2d returns a ConvTranspose2d from inChannels to outChannels with a square kernel
// of kernelSize, in float32 on the CPU, with parameters drawn from rng, or left zero if rng is nil
// (see NewConv2d).
func NewConvTranspose2d(rng *tensor.RNG, inChannels, outChannels, kernelSize int, o ConvTranspose2dOptions) *ConvTranspose2d {
	const op = "nn.NewConvTranspose2d"
	checkConvSizes(op, inChannels, outChannels, kernelSize, o.Stride, o.Padding, o.Dilation)
	if s, d := max(o.Stride, 1), max(o.Dilation, 1); o.OutputPadding < 0 || (o.OutputPadding >= s && o.OutputPadding >= d) {
		panic(fmt.Sprintf("%s: output padding %d must be non-negative and smaller than the stride %d or the dilation %d", op, o.OutputPadding, s, d))
	}
	c := &ConvTranspose2d{Options: autograd.ConvTranspose2dOptions{
		Stride: pair(max(o.Stride, 1)), Padding: pair(o.Padding), OutputPadding: pair(o.OutputPadding), Dilation: pair(max(o.Dilation, 1)),
	}}
	c.Weight, c.Bias = newConvParams(rng, []int{inChannels, outChannels, kernelSize, kernelSize}, outChannels, o.NoBias)
	return c
}

// Forward applies the transposed convolution to x.
func (c *ConvTranspose2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.ConvTranspose2d(x, c.Weight, c.Bias, c.Options)
}

// NamedParameters returns "weight" and, with a bias, "bias".
func (c *ConvTranspose2d) NamedParameters() []NamedParam {
	return paramList(NamedParam{"weight", c.Weight}, NamedParam{"bias", c.Bias})
}

func (c *ConvTranspose2d) String() string {
	w := c.Weight.Value
	o := c.Options
	return fmt.Sprintf("ConvTranspose2d(%d, %d, kernel_size=(%d, %d), stride=%v, padding=%v, output_padding=%v, dilation=%v, bias=%s)",
		w.Dim(0), w.Dim(1), w.Dim(2), w.Dim(3), pyPair(o.Stride, 1), pyPair(o.Padding, 0), pyPair(o.OutputPadding, 0), pyPair(o.Dilation, 1), pyBool(c.Bias != nil))
}

// pyBool prints a flag as Python does, so that layers print as PyTorch prints them.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// newConvParams makes a convolution's float32 weight of the given shape and, unless noBias, its
// bias of outChannels, initialized as PyTorch does, or zero with a nil rng: drawing them costs
// 0.08 s for CycleGAN's generator, which loading a checkpoint would then overwrite.
func newConvParams(rng *tensor.RNG, weightShape []int, outChannels int, noBias bool) (weight, bias *autograd.Var) {
	weight = newParam(tensor.Zeros(tensor.Float32, weightShape...))
	var b *tensor.Tensor
	if !noBias {
		b = tensor.Zeros(tensor.Float32, outChannels)
		bias = newParam(b)
	}
	if rng != nil {
		InitConvDefault(weight.Value, b, rng)
	}
	return weight, bias
}

func checkConvSizes(op string, in, out, kernel, stride, padding, dilation int) {
	if in < 1 || out < 1 || kernel < 1 || stride < 0 || padding < 0 || dilation < 0 {
		panic(fmt.Sprintf("%s: channels %d -> %d, kernel %d, stride %d, padding %d, dilation %d: sizes must be positive and padding non-negative",
			op, in, out, kernel, stride, padding, dilation))
	}
}

// pair repeats a square setting for height and width.
func pair(v int) [2]int { return [2]int{v, v} }

// pyPair prints a (height, width) setting as PyTorch prints a tuple, with unset zeros as def.
func pyPair(p [2]int, def int) string {
	for i := range p {
		if p[i] == 0 {
			p[i] = def
		}
	}
	return fmt.Sprintf("(%d, %d)", p[0], p[1])
}
