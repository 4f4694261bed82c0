package autograd

import (
	"errors"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

func TestGradCheckPassesCorrectOps(t *testing.T) {
	rng := tensor.NewRNG(1)
	a := tensor.Normal(rng, tensor.Float64, 0, 1, 3, 4)
	b := tensor.Normal(rng, tensor.Float64, 0, 1, 4) // broadcast along rows
	f := func(xs []*Var) *Var { return Mul(Add(xs[0], xs[1]), xs[0]) }
	for _, fast := range []bool{false, true} {
		res, err := GradCheck(f, []*tensor.Tensor{a, b}, GradCheckOptions{Fast: fast})
		if err != nil {
			t.Fatalf("fast=%v: %v", fast, err)
		}
		if res.Entries == 0 || res.MaxRelErr > 1e-6 {
			t.Errorf("fast=%v: %+v", fast, res)
		}
	}
}

// wrongMul has a deliberately wrong backward (the gradient with respect to a is doubled).
func wrongMul(a, b *Var) *Var {
	out := tensor.Mul(a.Value, b.Value)
	return Record("wrong_mul", out, []*Var{a, b}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Scale(tensor.Mul(g, b.Value), 2), tensor.Mul(g, a.Value)}
	})
}

func TestGradCheckCatchesWrongBackward(t *testing.T) {
	rng := tensor.NewRNG(2)
	a := tensor.Normal(rng, tensor.Float64, 0, 1, 2, 3)
	b := tensor.Normal(rng, tensor.Float64, 0, 1, 2, 3)
	before := a.Float64s()
	for _, fast := range []bool{false, true} {
		_, err := GradCheck(func(xs []*Var) *Var { return wrongMul(xs[0], xs[1]) }, []*tensor.Tensor{a, b}, GradCheckOptions{Fast: fast})
		var gerr *GradCheckError
		if !errors.As(err, &gerr) {
			t.Fatalf("fast=%v: want a *GradCheckError, got %v", fast, err)
		}
		if gerr.Input != 0 {
			t.Errorf("fast=%v: failure blamed on input %d, want 0: %v", fast, gerr.Input, err)
		}
		if !fast && (gerr.Index == nil || !strings.Contains(err.Error(), "analytic")) {
			t.Errorf("error does not name the element and values: %v", err)
		}
	}
	for i, v := range a.Float64s() {
		if v != before[i] {
			t.Fatalf("GradCheck did not restore its input: element %d is %g, was %g", i, v, before[i])
		}
	}
}

// TestGradCheckReportsAWrongGradientShapeOrDType uses backwards that return a gradient of the wrong
// shape or dtype. Backward panics on them (a programmer error, caught at the op that made it), but
// GradCheck promises an error, so that cmd/zebra-gradcheck prints FAIL and goes on to the next check.
func TestGradCheckReportsAWrongGradientShapeOrDType(t *testing.T) {
	bad := map[string]func(g *tensor.Tensor) *tensor.Tensor{
		"bad_shape": func(g *tensor.Tensor) *tensor.Tensor { return tensor.Reshape(g, 3, 2) },
		"bad_dtype": func(g *tensor.Tensor) *tensor.Tensor { return tensor.Cast(g, tensor.Float32) },
	}
	for op, grad := range bad {
		apply := func(x *Var) *Var {
			return Record(op, x.Value.Clone(), []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
				return []*tensor.Tensor{grad(g)}
			})
		}
		a, b := tensor.Ones(tensor.Float64, 2, 3), tensor.Ones(tensor.Float64, 2, 3)
		for name, f := range map[string]func(xs []*Var) *Var{
			// on an input of the check, which the error names
			"input": func(xs []*Var) *Var { return Add(xs[0], apply(xs[1])) },
			// on an intermediate value
			"intermediate": func(xs []*Var) *Var { return apply(Exp(xs[1])) },
		} {
			for _, fast := range []bool{false, true} {
				_, err := GradCheck(f, []*tensor.Tensor{a, b}, GradCheckOptions{Fast: fast})
				var gerr *GradCheckError
				if !errors.As(err, &gerr) {
					t.Fatalf("%s on an %s, fast=%v: want a *GradCheckError, got %v", op, name, fast, err)
				}
				if !strings.Contains(err.Error(), op) || !strings.Contains(err.Error(), "[2 3]") {
					t.Errorf("%s on an %s: the error should name the op and the shapes: %v", op, name, err)
				}
				if want := map[string]int{"input": 1, "intermediate": -1}[name]; gerr.Input != want {
					t.Errorf("%s on an %s: error blames input %d, want %d: %v", op, name, gerr.Input, want, err)
				}
			}
		}
		// Outside GradCheck the engine still panics at once, naming the op.
		x := NewVar(tensor.Ones(tensor.Float64, 2, 3), true)
		if msg := mustPanic(t, func() { Sum(apply(x), nil, false).Backward() }); !strings.Contains(msg, op) {
			t.Errorf("Backward's panic should name %s: %q", op, msg)
		}
	}
}

// TestGradCheckLetsOtherPanicsThrough: only the engine's wrong-gradient panic becomes an error;
// a bug in f itself must still crash loudly with its own message.
func TestGradCheckLetsOtherPanicsThrough(t *testing.T) {
	f := func(xs []*Var) *Var {
		return Record("broken", xs[0].Value.Clone(), xs, func(g *tensor.Tensor) []*tensor.Tensor {
			panic("broken backward")
		})
	}
	msg := mustPanic(t, func() { _, _ = GradCheck(f, []*tensor.Tensor{tensor.Ones(tensor.Float64, 2)}, GradCheckOptions{}) })
	if msg != "broken backward" {
		t.Errorf("GradCheck changed an unrelated panic into %q", msg)
	}
}

func TestGradCheckRejectsFloat32(t *testing.T) {
	_, err := GradCheck(func(xs []*Var) *Var { return xs[0] }, []*tensor.Tensor{tensor.Ones(tensor.Float32, 2)}, GradCheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "float64") {
		t.Fatalf("want an error asking for float64, got %v", err)
	}
}

// TestGradCheckCatchesNondeterministicBackward uses a backward that drifts a little on every call,
// as an atomic-add reduction on a GPU can: two passes with the same seed gradient must agree.
func TestGradCheckCatchesNondeterministicBackward(t *testing.T) {
	calls := 0
	f := func(xs []*Var) *Var {
		return Record("drifting", xs[0].Value.Clone(), xs, func(g *tensor.Tensor) []*tensor.Tensor {
			calls++
			return []*tensor.Tensor{tensor.Scale(g, 1+float64(calls)*1e-9)}
		})
	}
	x := tensor.Ones(tensor.Float64, 3)
	_, err := GradCheck(f, []*tensor.Tensor{x}, GradCheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "nondeterministic") {
		t.Fatalf("want a nondeterminism error, got %v", err)
	}
	// A drift within NondetTol is accepted, and the check goes on to pass.
	if _, err := GradCheck(f, []*tensor.Tensor{x}, GradCheckOptions{NondetTol: 1e-6}); err != nil {
		t.Fatalf("with NondetTol 1e-6: %v", err)
	}
}
