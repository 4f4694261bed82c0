package autograd

import "github.com/zebra-go/zebra/tensor"

// Sigmoid returns σ(x) = 1/(1+e^-x): dσ/dx = σ(1-σ) = out·(1-out), computed from the output.
func Sigmoid(x *Var) *Var {
	out := tensor.Sigmoid(x.Value)
	return Record("sigmoid", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		oneMinusOut := tensor.AddScalar(tensor.Neg(out), 1)
		return []*tensor.Tensor{tensor.Mul(tensor.Mul(g, out), oneMinusOut)}
	})
}
