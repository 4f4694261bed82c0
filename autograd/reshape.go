package autograd

import "github.com/zebra-go/zebra/tensor"

// Reshape returns x with a new shape of the same number of elements (one dimension may be -1 and is
// inferred). It moves no data, and neither does its backward: the gradient is reshaped back.
func Reshape(x *Var, shape ...int) *Var {
	out := tensor.Reshape(x.Value, shape...)
	return Record("reshape", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Reshape(g, x.Shape()...)}
	})
}
