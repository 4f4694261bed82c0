package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// Conv2dOptions is the geometry of a 2-D convolution, each as (height, width). The zero value is
// PyTorch's default: stride 1, no padding, dilation 1.
type Conv2dOptions struct {
	Stride   [2]int // step between output positions; 0 means 1
	Padding  [2]int // zeros added on both sides of the input
	Dilation [2]int // spacing between kernel taps; 0 means 1
}

// orOne replaces zeros (unset options) by 1.
func orOne(p [2]int) [2]int {
	for i, v := range p {
		if v == 0 {
			p[i] = 1
		}
	}
	return p
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
// It runs as im2col followed by one batched GEMM per call: the columns cols_n [Cin·KH·KW, OH·OW]
// of each image are multiplied by the weight seen as a matrix [Cout, Cin·KH·KW], which the GEMM
// reuses for the whole batch (stride 0). The bias is written into the output first and the GEMM
// adds to it (beta 1), so the bias costs no extra pass.
//
// Backward, with dY_n the output gradient of image n seen as [Cout, OH·OW]:
//
//	dW = Σ_n dY_n · cols_nᵀ   dcols_n = Wᵀ · dY_n, dx = col2im(dcols)   db = Σ_{n,i,j} dY
//
// The input gradient is thus a transposed convolution of dY. The columns are recomputed from x in
// the backward pass rather than kept from the forward: they are KH·KW times the input's size, and
// keeping them for every convolution of a CycleGAN step would cost gigabytes (about 1.6 GB per
// generator pass at 256×256, six passes per step), while im2col is one memory pass next to a GEMM
// that does Cout multiply-adds per column element. Once dW is done, the same buffer receives dcols, so the
// backward allocates one column buffer, not two. A 1×1 convolution with stride 1 and no padding
// needs no columns at all: x itself is the column matrix.
func Conv2d(x, w, b *Var, o Conv2dOptions) *Var {
	const op = "autograd.Conv2d"
	checkConvOperands(op, x, w, b, 0)
	if x.Value.Dim(1) != w.Value.Dim(1) {
		panic(fmt.Sprintf("%s: input %v has %d channels, weight %v expects %d", op, x.Shape(), x.Value.Dim(1), w.Shape(), w.Value.Dim(1)))
	}
	g := newConvGeom(op, x.Value.Dim(0), x.Value.Dim(1), x.Value.Dim(2), x.Value.Dim(3), w.Value.Dim(2), w.Value.Dim(3), o.Stride, o.Padding, o.Dilation)
	cout, rows, plane := w.Value.Dim(0), g.C*g.KH*g.KW, g.OH*g.OW

	var out *tensor.Tensor
	beta := 0.0
	if b != nil {
		out = broadcastBias(b.Value, g.N, plane)
		beta = 1
	} else {
		out = tensor.New(x.Value.Backend(), x.DType(), g.N, cout, plane)
	}
	cols := columns(x.Value, g)
	x.Value.Backend().Gemm(tensor.GemmArgs{
		M: cout, N: plane, K: rows, Alpha: 1, Beta: beta, Batch: g.N,
		A: w.Value.Storage(), LDA: rows, StrideA: 0,
		B: cols.Storage(), LDB: plane, StrideB: rows * plane,
		C: out.Storage(), LDC: plane, StrideC: cout * plane,
	})
	out = tensor.Reshape(out, g.N, cout, g.OH, g.OW)

	inputs := []*Var{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	return record("conv2d", out, inputs, func(gy *tensor.Tensor) []*tensor.Tensor {
		grads := make([]*tensor.Tensor, len(inputs))
		var cols *tensor.Tensor
		if w.requiresGrad {
			cols = columns(x.Value, g)
			grads[1] = tensor.Reshape(sumOfProducts(gy, cols, g.N, cout, rows, plane), w.Shape()...)
		}
		if x.requiresGrad {
			// dcols_n = Wᵀ · dY_n, the weight again shared by the whole batch. The columns of x
			// are no longer needed, so their buffer takes dcols (unless it is x itself).
			dcols := cols
			if dcols == nil || isPointwise(g) {
				dcols = tensor.New(gy.Backend(), gy.DType(), g.N, rows, plane)
			}
			gy.Backend().Gemm(tensor.GemmArgs{
				TransA: true, M: rows, N: plane, K: cout, Alpha: 1, Beta: 0, Batch: g.N,
				A: w.Value.Storage(), LDA: rows, StrideA: 0,
				B: gy.Storage(), LDB: plane, StrideB: cout * plane,
				C: dcols.Storage(), LDC: plane, StrideC: rows * plane,
			})
			grads[0] = uncolumns(dcols, g)
		}
		if b != nil && b.requiresGrad {
			grads[2] = tensor.Sum(gy, []int{0, 2, 3}, false)
		}
		return grads
	})
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
	ts := []*tensor.Tensor{x.Value, w.Value}
	if b != nil {
		ts = append(ts, b.Value)
	}
	for _, t := range ts[1:] {
		if t.DType() != x.DType() || t.Backend() != x.Value.Backend() {
			panic(fmt.Sprintf("%s: operands %s %v on %s and %s %v on %s differ in dtype or device",
				op, x.DType(), x.Shape(), x.Value.Backend().Name(), t.DType(), t.Shape(), t.Backend().Name()))
		}
	}
}

// newConvGeom validates the options and builds the im2col geometry of an n×c×h×w image and a
// kh×kw kernel, panicking with the op's name when the image is too small.
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

// isPointwise reports whether im2col is the identity for g: a 1×1 kernel at stride 1 without
// padding reads every pixel exactly once, in order. (A transposed convolution's geometry can have
// fewer output positions than pixels, with an output padding; then it is not.)
func isPointwise(g tensor.ConvGeom) bool {
	return g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0 &&
		g.OH == g.H && g.OW == g.W
}

// columns returns im2col(x) as [N, C·KH·KW, OH·OW], or x itself reshaped when that is the same.
func columns(x *tensor.Tensor, g tensor.ConvGeom) *tensor.Tensor {
	if isPointwise(g) {
		return tensor.Reshape(x, g.N, g.C, g.H*g.W)
	}
	return tensor.Im2col(x, g)
}

// uncolumns is col2im, columns' adjoint, returning [N, C, H, W].
func uncolumns(cols *tensor.Tensor, g tensor.ConvGeom) *tensor.Tensor {
	if isPointwise(g) {
		return tensor.Reshape(cols, g.N, g.C, g.H, g.W)
	}
	return tensor.Col2im(cols, g)
}

// broadcastBias returns a new [N, C, plane] tensor holding b[c] everywhere in channel c, ready to
// be accumulated into.
func broadcastBias(b *tensor.Tensor, n, plane int) *tensor.Tensor {
	c := b.Numel()
	return tensor.Expand(tensor.Reshape(b, 1, c, 1), n, c, plane)
}

// sumOfProducts returns Σ_n a_n · b_nᵀ as an m×k matrix, where a is [batch, m, inner] and b is
// [batch, k, inner]: the weight gradient of a convolution summed over the batch. Each image's
// product is accumulated into the same matrix by a GEMM with beta 1, one image at a time, so no
// per-image partial results are ever stored.
func sumOfProducts(a, b *tensor.Tensor, batch, m, k, inner int) *tensor.Tensor {
	out := tensor.New(a.Backend(), a.DType(), m, k)
	for n := range batch {
		beta := 1.0
		if n == 0 {
			beta = 0
		}
		a.Backend().Gemm(tensor.GemmArgs{
			TransB: true, M: m, N: k, K: inner, Alpha: 1, Beta: beta, Batch: 1,
			A: a.Storage(), OffA: n * m * inner, LDA: inner,
			B: b.Storage(), OffB: n * k * inner, LDB: inner,
			C: out.Storage(), LDC: k,
		})
	}
	return out
}
