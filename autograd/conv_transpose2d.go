package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

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
// Forward is exactly Conv2d's input gradient: cols_n = Wᵀ · x_n with the weight seen as
// [Cin, Cout·KH·KW], then col2im into the output. Backward is therefore a plain convolution: with
// dcols = im2col(dY),
//
//	dx_n = W · dcols_n   dW = Σ_n x_n · dcols_nᵀ   db = Σ_{n,i,j} dY
//
// and dcols is computed once for both.
func ConvTranspose2d(x, w, b *Var, o ConvTranspose2dOptions) *Var {
	const op = "autograd.ConvTranspose2d"
	checkConvOperands(op, x, w, b, 1)
	if x.Value.Dim(1) != w.Value.Dim(0) {
		panic(fmt.Sprintf("%s: input %v has %d channels, weight %v expects %d", op, x.Shape(), x.Value.Dim(1), w.Shape(), w.Value.Dim(0)))
	}
	g := transposedGeom(op, x.Value, w.Value, o)
	cin, cout := x.Value.Dim(1), w.Value.Dim(1)
	rows, plane := cout*g.KH*g.KW, g.OH*g.OW // plane is the input's H·W: the conv's output

	// cols_n = Wᵀ · x_n, the weight shared by the whole batch.
	cols := tensor.Empty(x.Value.Backend(), x.DType(), g.N, rows, plane) // beta 0 overwrites it
	x.Value.Backend().Gemm(tensor.GemmArgs{
		TransA: true, M: rows, N: plane, K: cin, Alpha: 1, Batch: g.N,
		A: w.Value.Storage(), LDA: rows, StrideA: 0,
		B: x.Value.Storage(), LDB: plane, StrideB: cin * plane,
		C: cols.Storage(), LDC: plane, StrideC: rows * plane,
	})
	out := uncolumns(cols, g)
	releaseColumns(cols, g)
	if b != nil {
		tensor.AddInPlace(out, tensor.Reshape(b.Value, cout, 1, 1))
	}

	inputs := []*Var{x, w}
	if b != nil {
		inputs = append(inputs, b)
	}
	return record("conv_transpose2d", out, inputs, func(gy *tensor.Tensor) []*tensor.Tensor {
		grads := make([]*tensor.Tensor, len(inputs))
		if x.requiresGrad || w.requiresGrad {
			// Both products read the columns of dY: built once and shared, or, on a backend
			// that implements tensor.Im2colGemmer, never built.
			cols := columnSource{x: gy, g: g}
			if x.requiresGrad {
				dx := tensor.New(gy.Backend(), gy.DType(), g.N, cin, g.OH, g.OW)
				cols.gemm(tensor.GemmArgs{
					M: cin, N: plane, K: rows, Alpha: 1, Batch: g.N,
					A: w.Value.Storage(), LDA: rows, StrideA: 0,
					LDB: plane, StrideB: rows * plane,
					C: dx.Storage(), LDC: plane, StrideC: cin * plane,
				})
				grads[0] = dx
			}
			if w.requiresGrad {
				dw := tensor.New(gy.Backend(), gy.DType(), cin, rows)
				cols.gemmSumOverBatch(tensor.GemmArgs{
					TransB: true, M: cin, N: rows, K: plane, Alpha: 1, Batch: g.N,
					A: x.Value.Storage(), LDA: plane, StrideA: cin * plane,
					LDB: plane, StrideB: rows * plane,
					C: dw.Storage(), LDC: rows,
				})
				grads[1] = tensor.Reshape(dw, w.Shape()...)
			}
			cols.release()
		}
		if b != nil && b.requiresGrad {
			grads[2] = tensor.Sum(gy, []int{0, 2, 3}, false)
		}
		return grads
	})
}

// transposedGeom returns the im2col geometry of the convolution whose input gradient this
// transposed convolution is: its image is the [N, Cout, OH, OW] output, and its "output" size is
// the transposed convolution's input H×W.
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
