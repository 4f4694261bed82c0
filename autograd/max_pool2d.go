package autograd

import (
	"math"

	"github.com/zebra-go/zebra/tensor"
)

// MaxPool2d takes the maximum of x ([N, C, H, W] or [C, H, W]) over windows of o.Kernel moved by
// o.Stride, as torch.nn.functional.max_pool2d (dilation 1): the padding counts as −∞, so it is
// never chosen, and o.ExcludePadding does not apply.
//
// The backward hands each output's gradient to the one input element that was the window's
// maximum (summed where windows overlap). A tie goes to the first maximum in row-major order
// and a NaN wins over every number, as in PyTorch, whose argmax rule this is.
//
// Shape: output [N, C, OH, OW] with the output size of AvgPool2d.
//
// The window search is plain Go over the tensor's elements on the host (the backends have no
// max-pooling kernel); a tensor on another device is copied to the host and back. The argmax of
// every output is kept for the backward only when x requires a gradient.
func MaxPool2d(x *Var, o Pool2dOptions) *Var {
	rows, cols := poolAxes("autograd.MaxPool2d", x.Shape(), o)
	outShape := pooledShape(x.Shape(), rows.out, cols.out)
	var out *tensor.Tensor
	var argmax []int32
	switch x.DType() {
	case tensor.Float32:
		var y []float32
		y, argmax = maxPoolPlanes(x.Value.Float32s(), rows, cols, x.RequiresGrad())
		out = tensor.FromFloat32(y, outShape...)
	default:
		var y []float64
		y, argmax = maxPoolPlanes(x.Value.Float64s(), rows, cols, x.RequiresGrad())
		out = tensor.FromFloat64(y, outShape...)
	}
	backend := x.Value.Backend()
	out = out.To(backend)
	// The backward reads x's shape, dtype and device, not its value: capture those, not x.
	shape, dt := x.Shape(), x.DType()
	return Record("max_pool2d", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		var dx *tensor.Tensor
		if dt == tensor.Float32 {
			dx = tensor.FromFloat32(scatterToArgmax(g.Float32s(), argmax, rows, cols), shape...)
		} else {
			dx = tensor.FromFloat64(scatterToArgmax(g.Float64s(), argmax, rows, cols), shape...)
		}
		return []*tensor.Tensor{dx.To(backend)}
	})
}

// maxPoolPlanes pools every [in rows, in cols] plane of x; with keepArgmax it also returns,
// for each output, the index within its plane of the element it took.
func maxPoolPlanes[T float32 | float64](x []T, rows, cols poolAxis, keepArgmax bool) ([]T, []int32) {
	inPlane, outPlane := rows.in*cols.in, rows.out*cols.out
	planes := len(x) / inPlane
	y := make([]T, planes*outPlane)
	var argmax []int32
	if keepArgmax {
		argmax = make([]int32, len(y))
	}
	for p := range planes {
		src := x[p*inPlane : (p+1)*inPlane]
		for i := range rows.out {
			h0, h1, _ := rows.windowOf(i)
			for j := range cols.out {
				w0, w1, _ := cols.windowOf(j)
				best, at := T(math.Inf(-1)), h0*cols.in+w0
			window:
				for h := h0; h < h1; h++ {
					for w := w0; w < w1; w++ {
						v := src[h*cols.in+w]
						if v != v { // NaN wins, and nothing replaces it, as in PyTorch
							best, at = v, h*cols.in+w
							break window
						}
						if v > best { // strictly: a tie keeps the first maximum
							best, at = v, h*cols.in+w
						}
					}
				}
				k := p*outPlane + i*cols.out + j
				y[k] = best
				if keepArgmax {
					argmax[k] = int32(at)
				}
			}
		}
	}
	return y, argmax
}

// scatterToArgmax adds every output gradient to the input element its window took.
func scatterToArgmax[T float32 | float64](g []T, argmax []int32, rows, cols poolAxis) []T {
	inPlane, outPlane := rows.in*cols.in, rows.out*cols.out
	dx := make([]T, len(g)/outPlane*inPlane)
	for k, v := range g {
		dx[k/outPlane*inPlane+int(argmax[k])] += v
	}
	return dx
}
