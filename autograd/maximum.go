package autograd

import "github.com/zebra-go/zebra/tensor"

// Maximum returns max(a, b) elementwise with broadcasting. The gradient goes to the larger input;
// where a == b, max has no derivative and each input gets half the gradient, as in PyTorch (so the
// two halves still add up to the whole). Where either is NaN, both inputs receive the full gradient,
// PyTorch's behaviour too (its masks test a < b and a == b, both false for NaN).
func Maximum(a, b *Var) *Var {
	out := tensor.Maximum(a.Value, b.Value)
	return Record("maximum", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		var ga, gb *tensor.Tensor
		if a.requiresGrad {
			ga = tensor.SumTo(tensor.Mul(g, maxWeight(a.Value, b.Value)), a.Shape())
		}
		if b.requiresGrad {
			gb = tensor.SumTo(tensor.Mul(g, maxWeight(b.Value, a.Value)), b.Shape())
		}
		return []*tensor.Tensor{ga, gb}
	})
}

// maxWeight is the share of max(x, y)'s gradient that goes to x, in the broadcast shape of x and y:
// 1 - [y > x] - ½[x == y], that is 1 where x wins, ½ on a tie, 0 where y wins (and 1 for NaN).
// The share of min(x, y)'s gradient that goes to x is maxWeight(y, x).
func maxWeight(x, y *tensor.Tensor) *tensor.Tensor {
	lost := tensor.Add(tensor.Greater(y, x), tensor.Scale(tensor.Equal(x, y), 0.5))
	return tensor.AddScalar(tensor.Neg(lost), 1)
}
