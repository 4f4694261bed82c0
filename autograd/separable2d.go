package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// Separable2d applies a linear map that acts on rows and columns separately to every [H, W]
// plane of x ([..., H, W]):
//
//	y = R · x · Cᵀ,   R [OH, H], C [OW, W] constant matrices,
//
// so y[i, j] = Σ_{h, w} R[i, h] · C[j, w] · x[h, w]. Average pooling, adaptive average pooling
// and bilinear interpolation are all of this form (the weight of input (h, w) in output (i, j)
// is a product of a row weight and a column weight, and so is an average's divisor), which is
// why they share this one op and differ only in how they fill R and C (avg_pool2d.go,
// interpolate.go). Two matrix products per plane cost more multiplications than a direct
// window loop, but they run on the backend's GEMM, on every device, with a backward that is
// the transposed map:
//
//	dx = Rᵀ · dy · C.
//
// R and C must have x's dtype; they are moved to x's device if need be.
func Separable2d(x *Var, rows, cols *tensor.Tensor) *Var {
	const op = "autograd.Separable2d"
	shape := x.Shape()
	nd := len(shape)
	if nd < 2 || rows.NDim() != 2 || cols.NDim() != 2 || rows.Dim(1) != shape[nd-2] || cols.Dim(1) != shape[nd-1] {
		panic(fmt.Sprintf("%s: input %v, row map %v and column map %v: want [..., H, W], [OH, H] and [OW, W]", op, shape, rows.Shape(), cols.Shape()))
	}
	rows, cols = rows.To(x.Value.Backend()), cols.To(x.Value.Backend())
	h, w := shape[nd-2], shape[nd-1]
	planes := tensor.Reshape(x.Value, -1, h, w)
	// x·Cᵀ shares Cᵀ across the planes; R·(x·Cᵀ) shares R: tensor.Matmul takes either operand
	// as a plain matrix shared by the other's batch.
	y := tensor.Matmul(rows, tensor.MatmulT(planes, cols, false, true))
	out := tensor.Reshape(y, pooledShape(shape, rows.Dim(0), cols.Dim(0))...)
	return Record("separable2d", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		gPlanes := tensor.Reshape(g, -1, rows.Dim(0), cols.Dim(0))
		dx := tensor.Matmul(tensor.MatmulT(rows, gPlanes, true, false), cols)
		return []*tensor.Tensor{tensor.Reshape(dx, shape...)}
	})
}
