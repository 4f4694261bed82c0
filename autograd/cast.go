package autograd

import "github.com/zebra-go/zebra/tensor"

// Cast converts x to dtype dt. Conversion is the identity on values (up to rounding), so the
// gradient passes through, cast back to x's dtype: a float32 layer inside a float64 check, or the
// reverse, gets a gradient of its own dtype.
func Cast(x *Var, dt tensor.DType) *Var {
	out := tensor.Cast(x.Value, dt)
	return Record("cast", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Cast(g, x.DType())}
	})
}
