package autograd

import "github.com/zebra-go/zebra/tensor"

// Tanh returns tanh(x): d tanh(x)/dx = 1 - tanh²(x) = 1 - out², computed from the output.
func Tanh(x *Var) *Var {
	out := tensor.Tanh(x.Value)
	return Record("tanh", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		oneMinusOut2 := tensor.AddScalar(tensor.Neg(tensor.Square(out)), 1)
		return []*tensor.Tensor{tensor.Mul(g, oneMinusOut2)}
	})
}
