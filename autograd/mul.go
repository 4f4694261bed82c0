package autograd

import "github.com/zebra-go/zebra/tensor"

// Mul returns a * b elementwise with broadcasting: d(ab)/da = b, d(ab)/db = a.
func Mul(a, b *Var) *Var {
	out := tensor.Mul(a.Value, b.Value)
	return Record("mul", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.requiresGrad {
			ga = tensor.SumTo(tensor.Mul(g, b.Value), a.Shape())
		}
		if b.requiresGrad {
			gb = tensor.SumTo(tensor.Mul(g, a.Value), b.Shape())
		}
		return []*tensor.Tensor{ga, gb}
	})
}
