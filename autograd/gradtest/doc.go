// Package gradtest is zebra's one table of gradient checks and its runner, and the input draws
// that the checks use.
//
// The table holds every differentiable autograd op (ops.go) and nn layer and loss (layers.go), each
// a Case: a name, a description of its shapes, and a builder that draws float64 inputs from a seed
// and returns the function to differentiate with the leaves to differentiate it by. The autograd
// and nn tests run the table with Run, and cmd/zebra-gradcheck prints it as a table of errors; both
// run each case with Check (autograd.GradCheckVars, full Jacobian unless a case asks for a random
// projection, and a bound on the largest relative error).
//
// Your own ops and layers join the same table: Register a Case from an init function of your
// package (Func wraps a function of tensors, Module a layer and its parameters), and run it under
// go test with Run:
//
//	func init() {
//		gradtest.Register(gradtest.Case{
//			Name:   "swish",
//			Shapes: "[3,4]",
//			Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
//				return gradtest.Func(func(xs []*autograd.Var) *autograd.Var { return Swish(xs[0]) }, gradtest.Normal(rng, 3, 4))
//			},
//		})
//	}
//
//	func TestGradients(t *testing.T) { gradtest.Run(t, gradtest.Cases()) }
//
// A program of your own that imports your package and package gradtest sees the whole table with
// Cases, as cmd/zebra-gradcheck does.
//
// The draws (Normal, Positive, AwayFromZero, Grid, Distinct) place random values where the function
// under test is smooth. A central difference with step eps that straddles a kink (ReLU or |x| at 0,
// a tie in a max) measures the average of the two one-sided slopes, not the derivative that the
// backward returns, and a check fails for no fault of the op. Values a check should not
// differentiate (a layer's fixed hyper-parameters, weights that break a symmetry) belong in its
// function's closure as constants.
//
// The package imports nn for the layer table, so nn's own in-package tests cannot import it; they
// run it from the external package nn_test.
package gradtest
