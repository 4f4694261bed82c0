package autograd

import "github.com/zebra-go/zebra/tensor"

// Log returns the natural logarithm: d(ln x)/dx = 1/x. The domain is x > 0; at 0 the value is -Inf
// and the gradient ±Inf, below 0 the value is NaN and the gradient still 1/x, as in PyTorch.
func Log(x *Var) *Var {
	out := tensor.Log(x.Value)
	return Record("log", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Div(g, x.Value)}
	})
}
