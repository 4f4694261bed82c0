package gradtest

import (
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// wrongSquare computes x² as x·detach(x): the forward is x², the finite difference sees 2x, but
// the backward sees only the first factor and reports x.
var wrongSquare = Case{Name: "test/wrong_square", Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
	return Func(func(xs []*autograd.Var) *autograd.Var { return autograd.Mul(xs[0], xs[0].Detach()) }, Normal(rng, 2, 3))
}}

func TestCheckFailsAWrongBackward(t *testing.T) {
	if _, err := Check(wrongSquare, 1, false, 1e-6); err == nil || !strings.Contains(err.Error(), "gradcheck:") {
		t.Errorf("wrong backward: %v", err)
	}
	if _, err := Check(wrongSquare, 1, true, 1e-6); err == nil {
		t.Error("wrong backward passed in fast mode")
	}
}

func TestTableCoversOpsAndLayers(t *testing.T) {
	names := map[string]bool{}
	for _, c := range Cases() {
		names[c.Name] = true
	}
	for _, want := range []string{"square", "tanh", "matmul", "add/row", "sum/all", "Conv2d/3x3", "InstanceNorm2d/affine", "MSELoss/mean"} {
		if !names[want] {
			t.Errorf("no case %q in the table", want)
		}
	}
}

func TestRegisterRejectsDuplicatesAndIncompleteCases(t *testing.T) {
	saved := registered
	defer func() { registered = saved }()
	for _, c := range []Case{registered[0], {Name: "test/no_build"}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.Name) {
					t.Errorf("Register(%q): want a panic naming the case, got %v", c.Name, r)
				}
			}()
			Register(c)
		}()
	}
}

func TestSeedDependsOnNameAndSeedOnly(t *testing.T) {
	a, b := Case{Name: "a"}, Case{Name: "b"}
	if Seed(a, 1) != Seed(a, 1) || Seed(a, 1) == Seed(a, 2) || Seed(a, 1) == Seed(b, 1) {
		t.Error("Seed does not depend on exactly the name and the seed")
	}
}
