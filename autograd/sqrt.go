package autograd

import "github.com/zebra-go/zebra/tensor"

// Sqrt returns √x: d√x/dx = 1/(2√x) = 1/(2·out), computed from the output. At x = 0 the gradient
// is +Inf and below 0 it is NaN, as in PyTorch; add an epsilon first where x can reach 0 (a norm).
func Sqrt(x *Var) *Var {
	out := tensor.Sqrt(x.Value)
	return Record("sqrt", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Div(tensor.Scale(g, 0.5), out)}
	})
}
