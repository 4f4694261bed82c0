package autograd

import "fmt"

// Pool2dOptions are the settings of MaxPool2d and AvgPool2d, each a (height, width) pair as in
// Conv2dOptions. Kernel must be set; a zero Stride means the kernel size (PyTorch's default).
type Pool2dOptions struct {
	Kernel  [2]int
	Stride  [2]int // 0 means Kernel
	Padding [2]int // implicit padding on both sides: -∞ for max pooling, 0 for average pooling
	// CeilMode rounds the output size up instead of down (PyTorch's ceil_mode), so that a last,
	// partial window covers the rows that a floor would drop.
	CeilMode bool
	// ExcludePadding divides each average by the number of image elements in its window rather
	// than by the window's size (PyTorch's count_include_pad=False; the default, false, counts
	// the padding). Max pooling ignores it.
	ExcludePadding bool
}

// poolAxis is the geometry of pooling along one axis: the input size and, for each output
// position, the window [start, end) in padded coordinates, before clipping to the image.
type poolAxis struct {
	in, out, kernel, stride, pad int
}

// windowOf returns output position i's window in image coordinates, clipped to [0, in), and
// the unclipped window's size, clipped to [−pad, in + pad): PyTorch's pool_size, the divisor of
// an average that counts padding. With CeilMode a last window may reach past the padding; that
// part counts nowhere.
func (a poolAxis) windowOf(i int) (start, end, padded int) {
	start = i*a.stride - a.pad
	end = min(start+a.kernel, a.in+a.pad)
	padded = end - start
	return max(start, 0), min(end, a.in), padded
}

// newPoolAxis checks one axis's settings and computes its output size as PyTorch does:
//
//	out = ⌊(in + 2·pad − kernel) / stride⌋ + 1   (⌈⌉ with CeilMode)
//
// and, with CeilMode, one less when the last window would start in the right padding or beyond,
// so that every window holds at least one image element.
func newPoolAxis(op string, in, kernel, stride, pad int, ceil bool) poolAxis {
	if stride == 0 {
		stride = kernel
	}
	if kernel < 1 || stride < 1 || pad < 0 || 2*pad > kernel {
		panic(fmt.Sprintf("%s: kernel %d, stride %d, padding %d: want kernel and stride ≥ 1 and 0 ≤ padding ≤ kernel/2", op, kernel, stride, pad))
	}
	span := in + 2*pad - kernel
	if span < 0 {
		panic(fmt.Sprintf("%s: input size %d with padding %d is smaller than the kernel %d", op, in, pad, kernel))
	}
	out := span/stride + 1
	if ceil {
		out = (span+stride-1)/stride + 1
		if (out-1)*stride >= in+pad {
			out--
		}
	}
	return poolAxis{in: in, out: out, kernel: kernel, stride: stride, pad: pad}
}

// poolAxes checks that x is [N, C, H, W] or [C, H, W] and returns its two pooled axes.
func poolAxes(op string, shape []int, o Pool2dOptions) (rows, cols poolAxis) {
	if nd := len(shape); nd != 3 && nd != 4 {
		panic(fmt.Sprintf("%s: input %v must be [N, C, H, W] or [C, H, W]", op, shape))
	}
	h, w := shape[len(shape)-2], shape[len(shape)-1]
	rows = newPoolAxis(op, h, o.Kernel[0], o.Stride[0], o.Padding[0], o.CeilMode)
	cols = newPoolAxis(op, w, o.Kernel[1], o.Stride[1], o.Padding[1], o.CeilMode)
	return rows, cols
}

// pooledShape is shape with its last two dimensions replaced by oh and ow.
func pooledShape(shape []int, oh, ow int) []int {
	out := append([]int(nil), shape...)
	out[len(out)-2], out[len(out)-1] = oh, ow
	return out
}
