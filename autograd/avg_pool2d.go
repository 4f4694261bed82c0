package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// AvgPool2d averages x ([N, C, H, W] or [C, H, W]) over windows of o.Kernel moved by o.Stride,
// as torch.nn.functional.avg_pool2d (without divisor_override):
//
//	y[i, j] = Σ_{(h, w) in window (i, j) ∩ image} x[h, w] / divisor
//
// where the divisor is the window's size clipped to the padded image (count_include_pad, the
// default) or the number of image elements in it (o.ExcludePadding, PyTorch's
// count_include_pad=False, which the FID Inception network uses). Both divisors are a product of
// a row count and a column count, so the pooling is a separable linear map (Separable2d) and
// needs no backward of its own: its gradient spreads dy[i, j]/divisor over the window.
//
// Shape: output [N, C, OH, OW], OH = ⌊(H + 2·pad − kernel) / stride⌋ + 1 (⌈⌉ with CeilMode,
// less one if the last window would start in the right padding), and likewise OW.
func AvgPool2d(x *Var, o Pool2dOptions) *Var {
	rows, cols := poolAxes("autograd.AvgPool2d", x.Shape(), o)
	dt := x.DType()
	return Separable2d(x, averageMap(dt, rows, o.ExcludePadding), averageMap(dt, cols, o.ExcludePadding))
}

// averageMap is the [out, in] matrix that averages each window along one axis.
func averageMap(dt tensor.DType, a poolAxis, excludePadding bool) *tensor.Tensor {
	m := make([]float64, a.out*a.in)
	for i := range a.out {
		start, end, padded := a.windowOf(i)
		divisor := padded
		if excludePadding {
			divisor = end - start
		}
		for h := start; h < end; h++ {
			m[i*a.in+h] = 1 / float64(divisor)
		}
	}
	return tensor.Cast(tensor.FromFloat64(m, a.out, a.in), dt)
}

// AdaptiveAvgPool2d averages x ([N, C, H, W] or [C, H, W]) down to oh×ow outputs, as
// torch.nn.functional.adaptive_avg_pool2d: output row i averages input rows
// ⌊i·H/oh⌋ to ⌈(i+1)·H/oh⌉ − 1 (windows that overlap when H is not a multiple of oh), and
// likewise for columns. Like AvgPool2d it is a separable linear map.
//
// Shape: output [N, C, oh, ow]; oh = ow = 1 is global average pooling.
func AdaptiveAvgPool2d(x *Var, oh, ow int) *Var {
	shape := x.Shape()
	if nd := len(shape); (nd != 3 && nd != 4) || oh < 1 || ow < 1 {
		panic(fmt.Sprintf("autograd.AdaptiveAvgPool2d: input %v to %dx%d: want [N, C, H, W] or [C, H, W] and a positive output size", shape, oh, ow))
	}
	dt := x.DType()
	return Separable2d(x, adaptiveMap(dt, shape[len(shape)-2], oh), adaptiveMap(dt, shape[len(shape)-1], ow))
}

// adaptiveMap is the [out, in] matrix of adaptive average pooling along one axis.
func adaptiveMap(dt tensor.DType, in, out int) *tensor.Tensor {
	m := make([]float64, out*in)
	for i := range out {
		start := i * in / out
		end := ((i+1)*in + out - 1) / out // ⌈(i+1)·in/out⌉
		for h := start; h < end; h++ {
			m[i*in+h] = 1 / float64(end-start)
		}
	}
	return tensor.Cast(tensor.FromFloat64(m, out, in), dt)
}
