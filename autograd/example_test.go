package autograd_test

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// A tiny linear model and its squared-error loss: the gradients of the weight and bias land in
// their Grad after one Backward.
func Example() {
	x := autograd.Constant(tensor.FromFloat64([]float64{1, 2, 3, 4}, 2, 2)) // two samples
	w := autograd.NewVar(tensor.FromFloat64([]float64{0.5, -1}, 2, 1), true)
	b := autograd.NewVar(tensor.FromFloat64([]float64{0.25}, 1), true)
	target := autograd.Constant(tensor.FromFloat64([]float64{0, 1}, 2, 1))

	pred := autograd.Add(autograd.Matmul(x, w), b) // [2,1] + [1] broadcasts
	loss := autograd.Mean(autograd.Square(autograd.Sub(pred, target)), nil, false)
	loss.Backward()

	fmt.Printf("loss %.4f\n", loss.Value.Item())
	fmt.Println("dL/dw", w.Grad.Float64s())
	fmt.Println("dL/db", b.Grad.Float64s())
	// By hand: pred = [-1.25, -2.25], residual r = [-1.25, -3.25], loss = (r₁² + r₂²)/2,
	// dL/dpred = r, dL/dw = xᵀr = [1·r₁ + 3·r₂, 2·r₁ + 4·r₂], dL/db = r₁ + r₂.

	// Output:
	// loss 6.0625
	// dL/dw [-11 -15.5]
	// dL/db [-4.5]
}

// GradCheck compares an op's backward with finite differences; a passing check's error is at the
// level of floating-point rounding.
func ExampleGradCheck() {
	rng := tensor.NewRNG(1)
	x := tensor.Normal(rng, tensor.Float64, 0, 1, 3, 4)
	f := func(xs []*autograd.Var) *autograd.Var { return autograd.Tanh(autograd.Sum(xs[0], []int{1}, false)) }
	res, err := autograd.GradCheck(f, []*tensor.Tensor{x}, autograd.GradCheckOptions{})
	fmt.Println(err, res.Entries, res.MaxRelErr < 1e-6)
	// Output: <nil> 36 true
}
