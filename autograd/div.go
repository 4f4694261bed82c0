package autograd

import "github.com/zebra-go/zebra/tensor"

// Div returns a / b elementwise with broadcasting: d(a/b)/da = 1/b and d(a/b)/db = -a/b² = -out/b,
// so the backward reuses the output instead of squaring b. Where b is 0 the gradients are ±Inf or
// NaN, as in PyTorch.
func Div(a, b *Var) *Var {
	out := tensor.Div(a.Value, b.Value)
	return Record("div", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		gOverB := tensor.Div(g, b.Value)
		if a.requiresGrad {
			ga = tensor.SumTo(gOverB, a.Shape())
		}
		if b.requiresGrad {
			gb = tensor.Neg(tensor.SumTo(tensor.Mul(gOverB, out), b.Shape()))
		}
		return []*tensor.Tensor{ga, gb}
	})
}
