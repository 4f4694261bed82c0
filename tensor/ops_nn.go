package tensor

import "fmt"

// Im2col unfolds x [N, C, H, W] into [N, C*KH*KW, OH*OW] for the geometry g (whose N, C, H, W must
// match x). A convolution is then a batched GEMM of the weight [Cout, C*KH*KW] with these columns.
func Im2col(x *Tensor, g ConvGeom) *Tensor {
	checkImage("tensor.Im2col", x, g)
	cols := Empty(x.Backend(), x.dtype, g.N, g.C*g.KH*g.KW, g.OH*g.OW) // Im2col writes every element
	x.Backend().Im2col(cols.storage, x.storage, g)
	return cols
}

// Col2im folds columns [N, C*KH*KW, OH*OW] back into an image [N, C, H, W], summing overlapping
// taps: the adjoint of Im2col, used by the convolution's input gradient.
func Col2im(cols *Tensor, g ConvGeom) *Tensor {
	want := []int{g.N, g.C * g.KH * g.KW, g.OH * g.OW}
	if !sameShape(cols.shape, want) {
		panic(fmt.Sprintf("tensor.Col2im: columns %v, geometry wants %v", cols.shape, want))
	}
	x := Empty(cols.Backend(), cols.dtype, g.N, g.C, g.H, g.W) // Col2im overwrites it
	cols.Backend().Col2im(x.storage, cols.storage, g)
	return x
}

func checkImage(op string, x *Tensor, g ConvGeom) {
	if want := []int{g.N, g.C, g.H, g.W}; !sameShape(x.shape, want) {
		panic(fmt.Sprintf("%s: input %v, geometry wants %v", op, x.shape, want))
	}
}

// checkPad panics unless x is [..., H, W] with reflection pads smaller than the dimensions, as
// PyTorch requires.
func checkPad(op string, x *Tensor, p Pad2d) (planes, h, w int) {
	if x.NDim() < 2 {
		panic(fmt.Sprintf("%s: input %v needs at least 2 dimensions", op, x.shape))
	}
	h, w = x.shape[x.NDim()-2], x.shape[x.NDim()-1]
	if p.Left < 0 || p.Right < 0 || p.Top < 0 || p.Bottom < 0 || p.Left >= w || p.Right >= w || p.Top >= h || p.Bottom >= h {
		panic(fmt.Sprintf("%s: padding (%d, %d, %d, %d) must be non-negative and smaller than the input's %dx%d (shape %v)",
			op, p.Left, p.Right, p.Top, p.Bottom, h, w, x.shape))
	}
	return x.Numel() / max(h*w, 1), h, w
}

// ReflectPad2d pads the last two dimensions by reflection (the edge is not repeated).
func ReflectPad2d(x *Tensor, p Pad2d) *Tensor {
	planes, h, w := checkPad("tensor.ReflectPad2d", x, p)
	shape := x.Shape()
	shape[len(shape)-2] += p.Top + p.Bottom
	shape[len(shape)-1] += p.Left + p.Right
	out := Empty(x.Backend(), x.dtype, shape...) // ReflectPad writes every element
	x.Backend().ReflectPad(out.storage, x.storage, planes, h, w, p)
	return out
}

// ReflectPad2dBackward maps the gradient dy of a ReflectPad2d output back to its input's shape.
func ReflectPad2dBackward(dy *Tensor, inputShape []int, p Pad2d) *Tensor {
	dx := Empty(dy.Backend(), dy.dtype, inputShape...) // ReflectPadBackward overwrites it
	planes, h, w := checkPad("tensor.ReflectPad2dBackward", dx, p)
	want := dx.Shape()
	want[len(want)-2] += p.Top + p.Bottom
	want[len(want)-1] += p.Left + p.Right
	if !sameShape(dy.shape, want) {
		panic(fmt.Sprintf("tensor.ReflectPad2dBackward: gradient %v, padded input would be %v", dy.shape, want))
	}
	dy.Backend().ReflectPadBackward(dx.storage, dy.storage, planes, h, w, p)
	return dx
}

// InstanceNorm normalizes every [H, W] plane of x [N, C, H, W] (or any [..., H, W]) to zero mean and
// unit biased variance with eps added inside the square root. It also returns the per-plane mean
// and 1/std (shape [planes]) that the backward pass needs.
func InstanceNorm(x *Tensor, eps float64) (y, mean, rstd *Tensor) {
	planes, size := normPlanes("tensor.InstanceNorm", x)
	// The kernel writes every element of all three.
	y = Empty(x.Backend(), x.dtype, x.shape...)
	mean = Empty(x.Backend(), x.dtype, planes)
	rstd = Empty(x.Backend(), x.dtype, planes)
	x.Backend().InstanceNormForward(y.storage, mean.storage, rstd.storage, x.storage, planes, size, eps)
	return y, mean, rstd
}

// InstanceNormBackward returns the input gradient of InstanceNorm given the output gradient dy and
// what the forward pass returned.
func InstanceNormBackward(dy, x, mean, rstd *Tensor) *Tensor {
	sameDevice("tensor.InstanceNormBackward", dy, x, mean, rstd)
	sameDType("tensor.InstanceNormBackward", dy, x, mean, rstd)
	sameShapes("tensor.InstanceNormBackward", dy, x)
	planes, size := normPlanes("tensor.InstanceNormBackward", x)
	if mean.Numel() != planes || rstd.Numel() != planes {
		panic(fmt.Sprintf("tensor.InstanceNormBackward: statistics %v, %v for %d planes", mean.shape, rstd.shape, planes))
	}
	dx := Empty(x.Backend(), x.dtype, x.shape...) // the kernel writes every element
	x.Backend().InstanceNormBackward(dx.storage, dy.storage, x.storage, mean.storage, rstd.storage, planes, size)
	return dx
}

func normPlanes(op string, x *Tensor) (planes, size int) {
	if x.NDim() < 3 {
		panic(fmt.Sprintf("%s: input %v needs [N, C, H, W] or [C, H, W]", op, x.shape))
	}
	size = x.shape[x.NDim()-2] * x.shape[x.NDim()-1]
	return x.Numel() / max(size, 1), size
}

// AdamStep applies one Adam update to param in place, updating the moment estimates m and v.
func AdamStep(param, grad, m, v *Tensor, h AdamHyper) {
	sameDevice("tensor.AdamStep", param, grad, m, v)
	sameDType("tensor.AdamStep", param, grad, m, v)
	sameShapes("tensor.AdamStep", param, grad, m, v)
	param.Backend().AdamStep(param.storage, grad.storage, m.storage, v.storage, h)
}
