package gradtest

import (
	"errors"
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// Case is one gradient check: a function of some leaves, and the leaves, drawn fresh from a seed.
type Case struct {
	// Name identifies the check: "op" or "op/case" (PyTorch's module name for a layer, "Conv2d/3x3").
	Name string
	// Shapes describes the inputs for cmd/zebra-gradcheck's table, e.g. "[2,3] + [3]".
	Shapes string
	// Build draws the inputs from rng and returns the function to differentiate and the leaves it
	// is differentiated with respect to (float64 CPU tensors): Func for a function of tensors,
	// Module for a layer and its parameters.
	Build func(rng *tensor.RNG) (f func() *autograd.Var, leaves []*autograd.Var)
	// Opts are the check's GradCheck options (zero: PyTorch's defaults). Check sets Seed, and Fast
	// when the caller asks for it.
	Opts autograd.GradCheckOptions
	// Fast always checks a random projection instead of the full Jacobian (a layer too large for
	// the full check).
	Fast bool
}

// registered holds every Case that Register was given, in order: the op table (ops.go), the layer
// table (layers.go) and whatever users add from their own packages.
var registered []Case

// Register adds a check to the table that cmd/zebra-gradcheck runs and Run can run under go test. Call
// it from an init function. It panics on a missing name or builder and on a duplicate name: both
// are mistakes in the source, found the first time the program runs.
func Register(c Case) {
	if c.Name == "" || c.Build == nil {
		panic(fmt.Sprintf("gradtest.Register: check %q needs a name and a Build function", c.Name))
	}
	for _, r := range registered {
		if r.Name == c.Name {
			panic(fmt.Sprintf("gradtest.Register: two checks named %q", c.Name))
		}
	}
	registered = append(registered, c)
}

// Cases returns every registered check, in registration order.
func Cases() []Case { return append([]Case(nil), registered...) }

// Func turns a function of tensors into a Build's result: leaves holding the inputs, and f bound
// to them.
func Func(f func(xs []*autograd.Var) *autograd.Var, inputs ...*tensor.Tensor) (func() *autograd.Var, []*autograd.Var) {
	xs := make([]*autograd.Var, len(inputs))
	for i, x := range inputs {
		xs[i] = autograd.NewVar(x, true)
	}
	return func() *autograd.Var { return f(xs) }, xs
}

// Module turns a layer into a Build's result: the leaves are its input x and then its parameters in
// NamedParameters order, as in nn.GradCheckModule. m must be float64 already.
func Module(m nn.Module, x *tensor.Tensor) (func() *autograd.Var, []*autograd.Var) {
	in := autograd.NewVar(x, true)
	return func() *autograd.Var { return m.Forward(in) }, append([]*autograd.Var{in}, nn.Parameters(m)...)
}

// Seed is the seed of c's inputs for a run seeded with seed: the name is mixed in, so that a check's
// inputs do not depend on which other checks ran before it.
func Seed(c Case, seed uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	return seed ^ h.Sum64()
}

// Inputs builds c's function and leaves for a run seeded with seed: the inputs Check differentiates
// (cmd/zebra-gradcheck -v prints their shapes).
func Inputs(c Case, seed uint64) (func() *autograd.Var, []*autograd.Var) {
	return c.Build(tensor.NewRNG(Seed(c, seed)))
}

// Check builds c's inputs for the given seed and runs autograd.GradCheckVars on them, in fast
// projection mode when c.Fast or fast is set. It also fails a check that compared nothing or whose
// largest relative error is not below maxRel (cmd/zebra-gradcheck's -max-rel; 1e-6 by default there).
func Check(c Case, seed uint64, fast bool, maxRel float64) (autograd.GradCheckResult, error) {
	f, leaves := Inputs(c, seed)
	opts := c.Opts
	opts.Fast = c.Fast || fast
	opts.Seed = seed
	res, err := autograd.GradCheckVars(f, leaves, opts)
	switch {
	case err != nil:
		return res, err
	case !(res.MaxRelErr < maxRel):
		return res, fmt.Errorf("max relative error %.3g is not below the bound %g", res.MaxRelErr, maxRel)
	case res.Entries == 0:
		return res, errors.New("nothing was compared (no inputs, or an empty output)")
	}
	return res, nil
}

// Run runs each case as a subtest of t, with seed 1 and a bound of 1e-6 on the relative error, as
// go run ./cmd/zebra-gradcheck does. A package with ops or layers of its own registers them in an init
// function and runs them with its tests:
//
//	func init() { gradtest.Register(gradtest.Case{Name: "swish", Build: ...}) }
//
//	func TestGradients(t *testing.T) { gradtest.Run(t, gradtest.Cases()) }
//
// (which also runs zebra's own table; pass a subset to run fewer).
func Run(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if _, err := Check(c, 1, false, 1e-6); err != nil {
				t.Fatal(err)
			}
		})
	}
}
