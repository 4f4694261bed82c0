package autograd

import "github.com/zebra-go/zebra/tensor"

// PowScalar returns x^p for a constant exponent p: d(x^p)/dx = p·x^(p-1). For p = 0 the gradient
// is exactly 0 everywhere, even at x = 0 where the formula would give 0·Inf = NaN (PyTorch masks it
// the same way). For non-integer p, negative x gives NaN, and p < 1 gives an infinite gradient at 0.
func PowScalar(x *Var, p float64) *Var {
	out := tensor.PowScalar(x.Value, p)
	return Record("pow_scalar", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		if p == 0 {
			return []*tensor.Tensor{tensor.ZerosLike(x.Value)}
		}
		return []*tensor.Tensor{tensor.Mul(g, tensor.Scale(tensor.PowScalar(x.Value, p-1), p))}
	})
}
