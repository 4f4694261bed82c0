package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// Conv2d and ConvTranspose2d are one adjoint pair. Package tensor runs the three passes of a
// convolution (tensor.Conv2d, tensor.Conv2dInput, tensor.Conv2dWeight) and plans how; here each
// op only says which pass is whose derivative, and whether any gradient will be taken at all
// (forwardGeom).

// Conv2dOptions is the geometry of a 2-D convolution, each as (height, width). The zero value is
// PyTorch's default: stride 1, no padding, dilation 1.
type Conv2dOptions struct {
	Stride   [2]int // step between output positions; 0 means 1
	Padding  [2]int // zeros added on both sides of the input
	Dilation [2]int // spacing between kernel taps; 0 means 1
}

// Conv2d is the 2-D cross-correlation of PyTorch's torch.nn.functional.conv2d (groups 1):
//
//	y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·sH − padH + p·dH, j·sW − padW + q·dW]
//
// with x read as 0 outside the image. x is [N, Cin, H, W], w is [Cout, Cin, KH, KW] and b, which
// may be nil, is [Cout]. The result is [N, Cout, OH, OW] with
//
//	OH = (H + 2·padH − dH·(KH−1) − 1)/sH + 1, and likewise OW.
//
// y is linear in x and in w, so its derivatives are the convolution's two other passes: with
// cols_n the im2col matrix of image n and dY_n the output gradient seen as [Cout, OH·OW],
//
//	dx = Conv2dInput(dY) = col2im(Wᵀ · dY_n)   dW = Conv2dWeight(dY, x) = Σ_n dY_n · cols_nᵀ   db = Σ_{n,i,j} dY
func Conv2d(x, w, b *Var, o Conv2dOptions) *Var {
	const op = "autograd.Conv2d"
	checkConvOperands(op, x, w, b, 0)
	if x.Value.Dim(1) != w.Value.Dim(1) {
		panic(fmt.Sprintf("%s: input %v has %d channels, weight %v expects %d", op, x.Shape(), x.Value.Dim(1), w.Shape(), w.Value.Dim(1)))
	}
	g := newConvGeom(op, x.Value.Dim(0), x.Value.Dim(1), x.Value.Dim(2), x.Value.Dim(3), w.Value.Dim(2), w.Value.Dim(3), o.Stride, o.Padding, o.Dilation)
	inputs := convInputs(x, w, b)
	out := tensor.Conv2d(x.Value, w.Value, valueOrNil(b), forwardGeom(g, inputs))
	return Record("conv2d", out, inputs, func(gy *tensor.Tensor) []*tensor.Tensor {
		grads := make([]*tensor.Tensor, len(inputs))
		if x.requiresGrad {
			grads[0] = tensor.Conv2dInput(gy, w.Value, g)
		}
		if w.requiresGrad {
			grads[1] = tensor.Conv2dWeight(gy, x.Value, g)
		}
		if b != nil && b.requiresGrad {
			grads[2] = tensor.Sum(gy, []int{0, 2, 3}, false)
		}
		return grads
	})
}

// ConvTranspose2dOptions is the geometry of a 2-D transposed convolution, each as (height, width).
// The zero value is PyTorch's default: stride 1, no padding, no output padding, dilation 1.
type ConvTranspose2dOptions struct {
	Stride  [2]int // 0 means 1
	Padding [2]int // removed from both sides of the full output
	// OutputPadding adds rows and columns at the bottom and right of the output, to pick one of the
	// output sizes that a strided convolution maps to the same input size. Each must be smaller than
	// the stride or the dilation.
	OutputPadding [2]int
	Dilation      [2]int // 0 means 1
}

// ConvTranspose2d is PyTorch's torch.nn.functional.conv_transpose2d (groups 1): the adjoint of
// Conv2d with respect to its input, plus a bias. Every input pixel scatters a weighted copy of the
// kernel into the output:
//
//	y[n, o, i·sH − padH + p·dH, j·sW − padW + q·dW] += Σ_c x[n, c, i, j] · w[c, o, p, q]
//
// and b[o] is added everywhere in channel o. x is [N, Cin, H, W], w is [Cin, Cout, KH, KW] (as in
// PyTorch, input channels first) and b, which may be nil, is [Cout]. The result is
// [N, Cout, OH, OW] with
//
//	OH = (H − 1)·sH − 2·padH + dH·(KH − 1) + outputPadH + 1, and likewise OW.
//
// With g the geometry of the convolution from the output's Cout channels to Cin whose input
// gradient this is (its weight is w as it stands), forward and backward are that convolution's
// passes in another order:
//
//	y = Conv2dInput(x) + b   dx = Conv2d(dY)   dW = Conv2dWeight(x, dY)   db = Σ_{n,i,j} dY
func ConvTranspose2d(x, w, b *Var, o ConvTranspose2dOptions) *Var {
	const op = "autograd.ConvTranspose2d"
	checkConvOperands(op, x, w, b, 1)
	if x.Value.Dim(1) != w.Value.Dim(0) {
		panic(fmt.Sprintf("%s: input %v has %d channels, weight %v expects %d", op, x.Shape(), x.Value.Dim(1), w.Shape(), w.Value.Dim(0)))
	}
	g := transposedGeom(op, x.Value, w.Value, o)
	inputs := convInputs(x, w, b)
	out := tensor.Conv2dInput(x.Value, w.Value, forwardGeom(g, inputs))
	if b != nil {
		tensor.AddInPlace(out, tensor.Reshape(b.Value, b.Value.Dim(0), 1, 1))
	}
	return Record("conv_transpose2d", out, inputs, func(gy *tensor.Tensor) []*tensor.Tensor {
		grads := make([]*tensor.Tensor, len(inputs))
		if x.requiresGrad {
			grads[0] = tensor.Conv2d(gy, w.Value, nil, g)
		}
		if w.requiresGrad {
			grads[1] = tensor.Conv2dWeight(x.Value, gy, g)
		}
		if b != nil && b.requiresGrad {
			grads[2] = tensor.Sum(gy, []int{0, 2, 3}, false)
		}
		return grads
	})
}

// The geometry and operand checks of the two ops.

// orOne replaces zeros (unset options) by 1.
func orOne(p [2]int) [2]int {
	for i, v := range p {
		if v == 0 {
			p[i] = 1
		}
	}
	return p
}

func valueOrNil(b *Var) *tensor.Tensor {
	if b == nil {
		return nil
	}
	return b.Value
}

// forwardGeom returns the geometry for the forward pass: g marked ForwardOnly when none of the
// inputs requires a gradient, so that Record will keep no node and no backward will ever run
// through this convolution (translation, evaluation). The planner may then take a faster,
// slightly less accurate float32 algorithm. The backward closures keep g itself.
func forwardGeom(g tensor.ConvGeom, inputs []*Var) tensor.ConvGeom {
	g.ForwardOnly = true
	for _, in := range inputs {
		if in.requiresGrad {
			g.ForwardOnly = false
		}
	}
	return g
}

func convInputs(x, w, b *Var) []*Var {
	if b == nil {
		return []*Var{x, w}
	}
	return []*Var{x, w, b}
}

// checkConvOperands panics unless x and w are 4-D, b is nil or 1-D with one entry per output
// channel of w (its dimension outDim), and all share one dtype and device.
func checkConvOperands(op string, x, w, b *Var, outDim int) {
	if x.Value.NDim() != 4 || w.Value.NDim() != 4 {
		panic(fmt.Sprintf("%s: input %v and weight %v must both be 4-D", op, x.Shape(), w.Shape()))
	}
	if b != nil && (b.Value.NDim() != 1 || b.Value.Dim(0) != w.Value.Dim(outDim)) {
		panic(fmt.Sprintf("%s: bias %v does not match the %d output channels of weight %v", op, b.Shape(), w.Value.Dim(outDim), w.Shape()))
	}
	for _, t := range convInputs(x, w, b)[1:] {
		if t.DType() != x.DType() || t.Value.Backend() != x.Value.Backend() {
			panic(fmt.Sprintf("%s: operands %s %v on %s and %s %v on %s differ in dtype or device",
				op, x.DType(), x.Shape(), x.Value.Backend().Name(), t.DType(), t.Shape(), t.Value.Backend().Name()))
		}
	}
}

// newConvGeom validates the options and builds the geometry of an n×c×h×w image and a kh×kw
// kernel, panicking with the op's name when the image is too small.
func newConvGeom(op string, n, c, h, w, kh, kw int, stride, padding, dilation [2]int) tensor.ConvGeom {
	stride, dilation = orOne(stride), orOne(dilation)
	if min(stride[0], stride[1], dilation[0], dilation[1]) < 1 || min(padding[0], padding[1]) < 0 {
		panic(fmt.Sprintf("%s: stride %v and dilation %v must be positive and padding %v non-negative", op, stride, dilation, padding))
	}
	for i, size := range [2]int{h, w} {
		k := [2]int{kh, kw}[i]
		if size+2*padding[i] < dilation[i]*(k-1)+1 {
			panic(fmt.Sprintf("%s: input %dx%d padded by %v is smaller than the %dx%d kernel dilated by %v", op, h, w, padding, kh, kw, dilation))
		}
	}
	return tensor.NewConvGeom(n, c, h, w, kh, kw, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1])
}

// transposedGeom returns the geometry of the convolution whose input gradient this transposed
// convolution is: its image is the [N, Cout, OH, OW] output, and its "output" size is the
// transposed convolution's input H×W.
func transposedGeom(op string, x, w *tensor.Tensor, o ConvTranspose2dOptions) tensor.ConvGeom {
	stride, dilation, pad, outPad := orOne(o.Stride), orOne(o.Dilation), o.Padding, o.OutputPadding
	if min(stride[0], stride[1], dilation[0], dilation[1]) < 1 || min(pad[0], pad[1], outPad[0], outPad[1]) < 0 {
		panic(fmt.Sprintf("%s: stride %v and dilation %v must be positive, padding %v and output padding %v non-negative", op, stride, dilation, pad, outPad))
	}
	n, h, wd := x.Dim(0), x.Dim(2), x.Dim(3)
	k := [2]int{w.Dim(2), w.Dim(3)}
	in := [2]int{h, wd}
	var out [2]int
	for i := range 2 {
		// PyTorch's rule: output padding only selects among the sizes a stride (or dilation) makes
		// ambiguous.
		if outPad[i] >= stride[i] && outPad[i] >= dilation[i] {
			panic(fmt.Sprintf("%s: output padding %v must be smaller than the stride %v or the dilation %v", op, outPad, stride, dilation))
		}
		out[i] = (in[i]-1)*stride[i] - 2*pad[i] + dilation[i]*(k[i]-1) + outPad[i] + 1
	}
	if out[0] < 1 || out[1] < 1 {
		panic(fmt.Sprintf("%s: input %v with weight %v, padding %v gives an empty %dx%d output", op, x.Shape(), w.Shape(), pad, out[0], out[1]))
	}
	g := tensor.NewConvGeom(n, w.Dim(1), out[0], out[1], k[0], k[1], stride[0], stride[1], pad[0], pad[1], dilation[0], dilation[1])
	// With an output padding of at least the stride (allowed when the dilation is larger), a
	// convolution of the output would have more positions than the input has pixels. The transposed
	// convolution is the adjoint of that convolution restricted to the first H×W positions.
	g.OH, g.OW = h, wd
	return g
}
