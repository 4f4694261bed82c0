// Command zebra-gradcheck checks the backward of every registered op and layer against central finite
// differences in float64 (autograd.GradCheck, modelled on torch.autograd.gradcheck) and prints one
// row per check:
//
//	NAME            SHAPES          MAX ABS ERR  MAX REL ERR  RESULT
//	add/broadcast   [2,3] + [3]     1.1e-10      1.1e-10      PASS
//
// A check passes when every Jacobian entry is within GradCheck's tolerances (those of PyTorch) and
// its largest relative error is below -max-rel; failures are explained under the table. The exit
// status is 1 when any check fails (or none matches -run) and 2 for a bad flag.
//
// Usage:
//
//	go run ./cmd/zebra-gradcheck [-run REGEX] [-seed N] [-fast] [-max-rel X] [-v]
//
//	-run REGEX  only the checks whose name matches (as go test -run)
//	-seed N     seed of the random inputs (default 1); a check's inputs depend only on the seed and
//	            its name, so a -run subset reproduces the full run's inputs
//	-fast       compare one random projection vᵀJu per input instead of the whole Jacobian
//	-max-rel X  the largest relative error a passing check may have (default 1e-6)
//	-v          add columns: each check's input shapes, entries compared and time
//
// # Adding a check
//
// The checks are the table of package autograd/gradtest, the same one that autograd's and nn's
// tests run: its ops.go registers the autograd ops and its layers.go the nn layers and losses. A
// check is a gradtest.Case: a name, a description of its shapes for the table, and a builder that
// draws float64 inputs from the RNG it is given and returns the function to differentiate with the
// leaves it is differentiated by (gradtest.Func for a function of tensors, gradtest.Module for a
// layer and its parameters):
//
//	func init() {
//		gradtest.Register(gradtest.Case{
//			Name:   "matmul/shared_weight",
//			Shapes: "[2,3,4] @ [4,5]",
//			Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
//				f := func(xs []*autograd.Var) *autograd.Var { return autograd.Matmul(xs[0], xs[1]) }
//				return gradtest.Func(f, gradtest.Normal(rng, 2, 3, 4), gradtest.Normal(rng, 4, 5))
//			},
//		})
//	}
//
// Values the function should not differentiate (a layer's fixed hyper-parameters, a target) belong
// in its closure as constants. Draw inputs away from the points where the function has no
// derivative (ReLU at 0, ties in a max): a finite difference across a kink measures the average of
// two slopes; gradtest's draws (Normal, Positive, AwayFromZero, Grid, Distinct) do that. Set Opts
// for a check that needs its own GradCheck options (a step, say); the -fast and -seed flags
// override its Fast and Seed, and Fast: true always checks a projection (for a layer too large for
// the full Jacobian). Names must be unique: Register panics on a duplicate.
package main
