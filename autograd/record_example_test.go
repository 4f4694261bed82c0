package autograd_test

import (
	"errors"
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// Swish is x·σ(x) (SiLU) as one fused op with its own backward, written outside package autograd
// the way the package's own ops are. d(x·σ(x))/dx = σ + x·σ(1−σ) = σ·(1 + x·(1−σ)); the backward
// reuses σ from the forward instead of recomputing it.
func Swish(x *autograd.Var) *autograd.Var {
	s := tensor.Sigmoid(x.Value)
	out := tensor.Mul(x.Value, s)
	return autograd.Record("swish", out, []*autograd.Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		oneMinusS := tensor.AddScalar(tensor.Neg(s), 1)
		slope := tensor.Mul(s, tensor.AddScalar(tensor.Mul(x.Value, oneMinusS), 1))
		return []*tensor.Tensor{tensor.Mul(g, slope)}
	})
}

// wrongSwish has the forward of Swish and a backward that forgets the x·σ(1−σ) term: the mistake
// that GradCheck is there to catch.
func wrongSwish(x *autograd.Var) *autograd.Var {
	s := tensor.Sigmoid(x.Value)
	return autograd.Record("wrong_swish", tensor.Mul(x.Value, s), []*autograd.Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(g, s)}
	})
}

// An op of your own: compute the forward with package tensor, and hand Record the output, the
// inputs and a backward that maps the output's gradient to the inputs'. GradCheck then compares
// that backward with finite differences in float64.
func ExampleRecord() {
	x := tensor.Normal(tensor.NewRNG(1), tensor.Float64, 0, 1, 3, 4)
	f := func(xs []*autograd.Var) *autograd.Var { return Swish(xs[0]) }
	res, err := autograd.GradCheck(f, []*tensor.Tensor{x}, autograd.GradCheckOptions{})
	fmt.Println(err, res.Entries, res.MaxRelErr < 1e-6)

	// The same op composed from Mul and Sigmoid, whose backward autograd derives, agrees.
	v := autograd.NewVar(x, true)
	w := autograd.NewVar(x, true)
	autograd.Sum(Swish(v), nil, false).Backward()
	autograd.Sum(autograd.Mul(w, autograd.Sigmoid(w)), nil, false).Backward()
	same := tensor.Sub(v.Grad, w.Grad)
	fmt.Println(tensor.Max(tensor.Abs(same), nil, false).Item() < 1e-12)
	// Output:
	// <nil> 144 true
	// true
}

func ExampleRecord_wrongBackward() {
	x := tensor.Normal(tensor.NewRNG(1), tensor.Float64, 0, 1, 3, 4)
	f := func(xs []*autograd.Var) *autograd.Var { return wrongSwish(xs[0]) }
	_, err := autograd.GradCheck(f, []*tensor.Tensor{x}, autograd.GradCheckOptions{})
	var bad *autograd.GradCheckError
	fmt.Println(errors.As(err, &bad), bad.Input)
	// Output: true 0
}
