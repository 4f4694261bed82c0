package autograd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// mustPanic runs f and returns its panic message, failing the test if f does not panic.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("no panic")
		}
		msg = fmt.Sprint(r)
	}()
	f()
	return ""
}

// wantValues compares a tensor with expected float64 values exactly.
func wantValues(t *testing.T, what string, got *tensor.Tensor, want ...float64) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil", what)
	}
	g := got.Float64s()
	if len(g) != len(want) {
		t.Fatalf("%s: %d values %v, want %v", what, len(g), g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("%s: %v, want %v", what, g, want)
		}
	}
}

func vec(v ...float64) *tensor.Tensor { return tensor.FromFloat64(v, len(v)) }

func TestBackwardOfNonScalarPanics(t *testing.T) {
	x := NewVar(vec(1, 2), true)
	msg := mustPanic(t, func() { Mul(x, x).Backward() })
	if !strings.Contains(msg, "not a scalar") || !strings.Contains(msg, "[2]") || !strings.Contains(msg, "BackwardWith") {
		t.Errorf("message should say the [2] output is not a scalar and point to BackwardWith: %q", msg)
	}
}

func TestBackwardWithChecksTheSeedGradient(t *testing.T) {
	x := NewVar(vec(1, 2), true)
	y := Mul(x, x)
	msg := mustPanic(t, func() { y.BackwardWith(vec(1, 1, 1)) })
	if !strings.Contains(msg, "[3]") || !strings.Contains(msg, "[2]") {
		t.Errorf("message should name both shapes: %q", msg)
	}
	y.BackwardWith(vec(1, 10))
	wantValues(t, "x.Grad", x.Grad, 2, 40) // d(x²)/dx = 2x, weighted by the seed
}

// TestFrozenLeavesRecordNothing: evaluation switches its parameters' gradients off, and then an op
// remembers nothing; switched back on, the same parameter records again.
func TestFrozenLeavesRecordNothing(t *testing.T) {
	x := NewVar(vec(1, 2), true)
	x.SetRequiresGrad(false)
	y := Sum(Mul(x, x), nil, false)
	if y.RequiresGrad() || !y.IsLeaf() {
		t.Errorf("a result of frozen leaves requires grad=%v, leaf=%v", y.RequiresGrad(), y.IsLeaf())
	}
	wantValues(t, "value", y.Value, 5)
	msg := mustPanic(t, func() { y.Backward() })
	if !strings.Contains(msg, "does not require a gradient") {
		t.Errorf("Backward of a result of frozen leaves: %q", msg)
	}
	x.SetRequiresGrad(true)
	Sum(Mul(x, x), nil, false).Backward()
	wantValues(t, "x.Grad", x.Grad, 2, 4)
}

func TestDetachCutsTheGraph(t *testing.T) {
	x := NewVar(vec(3), true)
	d := x.Detach()
	if d.RequiresGrad() || !d.IsLeaf() || d.Value != x.Value {
		t.Fatalf("Detach: requires grad %v, leaf %v, shares value %v", d.RequiresGrad(), d.IsLeaf(), d.Value == x.Value)
	}
	// y = x · detach(x): the gradient sees only the first factor, so dy/dx = detach(x) = 3, not 2x.
	Sum(Mul(x, d), nil, false).Backward()
	wantValues(t, "x.Grad", x.Grad, 3)
	if d.Grad != nil {
		t.Error("the detached Var got a gradient")
	}
}

func TestGradientsAccumulateUntilZeroGrad(t *testing.T) {
	x := NewVar(vec(1, -2), true)
	loss := func() *Var { return Sum(Scale(x, 3), nil, false) }
	loss().Backward()
	loss().Backward()
	wantValues(t, "after two backward passes", x.Grad, 6, 6)
	x.ZeroGrad()
	if x.Grad != nil {
		t.Fatal("ZeroGrad left a gradient")
	}
	loss().Backward()
	wantValues(t, "after ZeroGrad and one pass", x.Grad, 3, 3)
}

func TestAccumulationDoesNotAliasGradients(t *testing.T) {
	// AddScalar passes its gradient through unchanged; the leaf must still own a private copy, so
	// that accumulating into it later cannot change a tensor the first backward handed around.
	x := NewVar(vec(1), true)
	seed := vec(5)
	AddScalar(x, 1).BackwardWith(seed)
	AddScalar(x, 1).BackwardWith(seed)
	wantValues(t, "x.Grad", x.Grad, 10)
	wantValues(t, "seed", seed, 5)
}

func TestSecondBackwardOverFreedGraphPanics(t *testing.T) {
	x := NewVar(vec(2), true)
	y := Sum(Exp(x), nil, false)
	y.Backward()
	msg := mustPanic(t, func() { y.Backward() })
	if !strings.Contains(msg, "already freed") {
		t.Errorf("message should say the graph was freed: %q", msg)
	}
}

func TestLeavesWithoutRequiresGradGetNoGrad(t *testing.T) {
	x := NewVar(vec(1, 2), true)
	c := Constant(vec(3, 4))
	off := NewVar(vec(5, 6), false)
	Sum(Add(Mul(x, c), Div(x, off)), nil, false).Backward()
	if c.Grad != nil || off.Grad != nil {
		t.Errorf("constants got gradients: %v, %v", c.Grad, off.Grad)
	}
	wantValues(t, "x.Grad", x.Grad, 3+1.0/5, 4+1.0/6)
	// An op whose inputs are all constants records nothing.
	if y := Mul(c, off); y.RequiresGrad() || !y.IsLeaf() {
		t.Errorf("op on constants: requires grad %v, leaf %v", y.RequiresGrad(), y.IsLeaf())
	}
}

func TestReusedValuesAccumulate(t *testing.T) {
	// x·x: one input reaches the same op twice.
	x := NewVar(vec(3, -1), true)
	Sum(Mul(x, x), nil, false).Backward()
	wantValues(t, "d(x·x)/dx", x.Grad, 6, -2)

	// A diamond: y = 2x feeds two branches, y² and 3y, that meet again. dL/dx = (2y + 3)·2.
	x = NewVar(vec(1, 2), true)
	y := Scale(x, 2)
	Sum(Add(Square(y), Scale(y, 3)), nil, false).Backward()
	wantValues(t, "diamond", x.Grad, (2*2+3)*2, (2*4+3)*2)
}

func TestSetRequiresGradOnNonLeafPanics(t *testing.T) {
	x := NewVar(vec(1), true)
	msg := mustPanic(t, func() { Neg(x).SetRequiresGrad(false) })
	if !strings.Contains(msg, "neg") {
		t.Errorf("message should name the op that made the Var: %q", msg)
	}
}

func TestShapeMismatchPanicsNameOpAndShapes(t *testing.T) {
	a := NewVar(tensor.Zeros(tensor.Float64, 2, 3), true)
	b := NewVar(tensor.Zeros(tensor.Float64, 4), true)
	for name, f := range map[string]func(){
		"Add":    func() { Add(a, b) },
		"Sub":    func() { Sub(a, b) },
		"Mul":    func() { Mul(a, b) },
		"Matmul": func() { Matmul(a, NewVar(tensor.Zeros(tensor.Float64, 4, 2), true)) },
		"Concat": func() { Concat([]*Var{a, NewVar(tensor.Zeros(tensor.Float64, 3, 2), true)}, 0) },
	} {
		msg := mustPanic(t, f)
		if !strings.Contains(msg, name) || !strings.Contains(msg, "[2 3]") {
			t.Errorf("%s: message should name the op and the shapes: %q", name, msg)
		}
	}
	msg := mustPanic(t, func() { Transpose(a, 0, 2) })
	if !strings.Contains(msg, "Transpose") || !strings.Contains(msg, "[2 3]") {
		t.Errorf("Transpose: %q", msg)
	}
}

func TestCastGradientKeepsInputDType(t *testing.T) {
	x := NewVar(vec(1.5, -2), true)
	y := Cast(x, tensor.Float32)
	if y.DType() != tensor.Float32 {
		t.Fatalf("Cast gave %s", y.DType())
	}
	Sum(Mul(y, y), nil, false).Backward()
	if x.Grad.DType() != tensor.Float64 {
		t.Fatalf("gradient dtype %s, want float64", x.Grad.DType())
	}
	wantValues(t, "x.Grad", x.Grad, 3, -4)
}

func TestMatmulSharedWeightGradientSumsOverBatch(t *testing.T) {
	// Each batch matrix is [[1]] times the shared 1×1 weight w; the loss sums all, so dL/dw is the
	// sum of the batch's entries.
	a := NewVar(tensor.FromFloat64([]float64{1, 2, 3}, 3, 1, 1), false)
	w := NewVar(tensor.FromFloat64([]float64{5}, 1, 1), true)
	Sum(Matmul(a, w), nil, false).Backward()
	wantValues(t, "w.Grad", w.Grad, 6)
	if a.Grad != nil {
		t.Error("a does not require a gradient but got one")
	}
}

// TestBackwardReleasesOnlyDeadGradients runs graphs large enough for released gradients to go to
// the CPU pool (and read as empty afterwards): a gradient that Add hands to both of its inputs, a
// Reshape view of a gradient, a diamond whose branches are summed, and a caller's seed that must
// stay readable. Releasing a gradient that was still pending would panic or change the result.
func TestBackwardReleasesOnlyDeadGradients(t *testing.T) {
	const n = 1 << 17 // over the pool's minimum size
	rng := tensor.NewRNG(3)
	x := NewVar(tensor.Normal(rng, tensor.Float64, 0, 1, n), true)
	y := Scale(x, 2)                                           // y = 2x
	z := Add(Reshape(y, 2, n/2), Reshape(Scale(y, 3), 2, n/2)) // z = 2x + 6x, through views
	w := Add(z, z)                                             // Add passes its gradient to both inputs
	seed := tensor.Normal(rng, tensor.Float64, 0, 1, 2, n/2)
	seedCopy := seed.Clone()
	w.BackwardWith(seed)
	// dw/dx = 2·(2 + 6) = 16 elementwise.
	want := tensor.Reshape(tensor.Scale(seedCopy, 16), n).Float64s()
	got := x.Grad.Float64s()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("x.Grad[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	s, sc := seed.Float64s(), seedCopy.Float64s() // the seed must not have been released
	for i := range s {
		if s[i] != sc[i] {
			t.Fatalf("the seed changed at %d: %v, was %v", i, s[i], sc[i])
		}
	}
}
