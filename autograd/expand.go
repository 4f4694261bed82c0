package autograd

import "github.com/zebra-go/zebra/tensor"

// Expand materializes x broadcast to shape (NumPy rules: align at the right, size-1 dimensions
// repeat, new leading dimensions appear). Each input element is copied to several outputs, so its
// gradient is the sum of theirs: tensor.SumTo, the adjoint of broadcasting.
func Expand(x *Var, shape ...int) *Var {
	out := tensor.Expand(x.Value, shape...)
	return Record("expand", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.SumTo(g, x.Shape())}
	})
}
