package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
)

// Pool2dOptions are the optional settings of MaxPool2d and AvgPool2d; the zero value is
// PyTorch's default (stride equal to the kernel, no padding, floor mode, and for AvgPool2d
// count_include_pad=True). Kernel, stride and padding are the same along height and width; set
// the layer's Options field for different ones.
type Pool2dOptions struct {
	Stride   int  // 0 means the kernel size
	Padding  int  // implicit padding on every side, at most half the kernel
	CeilMode bool // round the output size up (PyTorch's ceil_mode)
	// ExcludePadding leaves the padding out of each average's divisor (PyTorch's
	// count_include_pad=False). Only AvgPool2d reads it.
	ExcludePadding bool
}

func (o Pool2dOptions) autograd(kernel int) autograd.Pool2dOptions {
	return autograd.Pool2dOptions{
		Kernel: pair(kernel), Stride: pair(o.Stride), Padding: pair(o.Padding),
		CeilMode: o.CeilMode, ExcludePadding: o.ExcludePadding,
	}
}

// MaxPool2d takes the maximum over each window (PyTorch's nn.MaxPool2d with dilation 1):
//
//	y[n, c, i, j] = max_{p, q < kernel} x[n, c, i·s − pad + p, j·s − pad + q]
//
// with the padding read as −∞. The gradient goes to the first maximum of each window.
//
// Shape: input [N, C, H, W] or [C, H, W], output [N, C, OH, OW] with
// OH = ⌊(H + 2·pad − kernel) / s⌋ + 1 (⌈⌉ in ceil mode, where a last window must start inside
// the image or the left padding), and likewise OW.
type MaxPool2d struct {
	noParams
	Options autograd.Pool2dOptions
}

// NewMaxPool2d returns a MaxPool2d with a square kernel of kernelSize.
func NewMaxPool2d(kernelSize int, o Pool2dOptions) *MaxPool2d {
	return &MaxPool2d{Options: o.autograd(kernelSize)}
}

// Forward pools x.
func (m *MaxPool2d) Forward(x *autograd.Var) *autograd.Var { return autograd.MaxPool2d(x, m.Options) }

func (m *MaxPool2d) String() string {
	o := m.Options
	return fmt.Sprintf("MaxPool2d(kernel_size=%v, stride=%v, padding=%v, dilation=1, ceil_mode=%s)",
		pyPair(o.Kernel, 0), pyPair(o.Stride, o.Kernel[0]), pyPair(o.Padding, 0), pyBool(o.CeilMode))
}

// AvgPool2d averages over each window (PyTorch's nn.AvgPool2d without divisor_override):
//
//	y[n, c, i, j] = Σ_{p, q < kernel} x[n, c, i·s − pad + p, j·s − pad + q] / divisor
//
// with the padding read as 0, and a divisor that counts the padding (the default) or only the
// image elements in the window (ExcludePadding, count_include_pad=False).
//
// Shape: as MaxPool2d.
type AvgPool2d struct {
	noParams
	Options autograd.Pool2dOptions
}

// NewAvgPool2d returns an AvgPool2d with a square kernel of kernelSize.
func NewAvgPool2d(kernelSize int, o Pool2dOptions) *AvgPool2d {
	return &AvgPool2d{Options: o.autograd(kernelSize)}
}

// Forward pools x.
func (m *AvgPool2d) Forward(x *autograd.Var) *autograd.Var { return autograd.AvgPool2d(x, m.Options) }

func (m *AvgPool2d) String() string {
	o := m.Options
	return fmt.Sprintf("AvgPool2d(kernel_size=%v, stride=%v, padding=%v, ceil_mode=%s, count_include_pad=%s)",
		pyPair(o.Kernel, 0), pyPair(o.Stride, o.Kernel[0]), pyPair(o.Padding, 0), pyBool(o.CeilMode), pyBool(!o.ExcludePadding))
}

// AdaptiveAvgPool2d averages each plane down to a fixed output size (PyTorch's
// nn.AdaptiveAvgPool2d): output row i averages rows ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉ − 1, and likewise
// for columns. Output size 1×1 is global average pooling, the last layer of Inception-v3.
//
// Shape: input [N, C, H, W] or [C, H, W], output [N, C, OH, OW].
type AdaptiveAvgPool2d struct {
	noParams
	OutH, OutW int
}

// NewAdaptiveAvgPool2d returns an AdaptiveAvgPool2d to outH×outW.
func NewAdaptiveAvgPool2d(outH, outW int) *AdaptiveAvgPool2d {
	if outH < 1 || outW < 1 {
		panic(fmt.Sprintf("nn.NewAdaptiveAvgPool2d: output size %dx%d must be positive", outH, outW))
	}
	return &AdaptiveAvgPool2d{OutH: outH, OutW: outW}
}

// Forward pools x.
func (m *AdaptiveAvgPool2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.AdaptiveAvgPool2d(x, m.OutH, m.OutW)
}

func (m *AdaptiveAvgPool2d) String() string {
	return fmt.Sprintf("AdaptiveAvgPool2d(output_size=(%d, %d))", m.OutH, m.OutW)
}

// Upsample resizes each plane to a fixed size by bilinear interpolation with pixel centres
// aligned (PyTorch's nn.Upsample(size=(OutH, OutW), mode="bilinear", align_corners=False), the
// same as F.interpolate with those arguments; not nn.UpsamplingBilinear2d, which aligns the
// corners). It enlarges or shrinks, without antialiasing.
//
// Shape: input [N, C, H, W] or [C, H, W], output [N, C, OutH, OutW].
type Upsample struct {
	noParams
	OutH, OutW int
}

// NewUpsample returns a bilinear Upsample to outH×outW.
func NewUpsample(outH, outW int) *Upsample {
	if outH < 1 || outW < 1 {
		panic(fmt.Sprintf("nn.NewUpsample: output size %dx%d must be positive", outH, outW))
	}
	return &Upsample{OutH: outH, OutW: outW}
}

// Forward resizes x.
func (m *Upsample) Forward(x *autograd.Var) *autograd.Var {
	return autograd.InterpolateBilinear(x, m.OutH, m.OutW)
}

func (m *Upsample) String() string {
	return fmt.Sprintf("Upsample(size=(%d, %d), mode='bilinear')", m.OutH, m.OutW)
}
