package optim

import (
	"math"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// TestAdamFirstStepIsSignOfGradient checks Adam's defining property from the paper: after bias
// correction the first update is LR * g/(|g| + Eps), about LR times the sign of the gradient,
// whatever the gradient's magnitude. It also checks that SetLR takes effect.
func TestAdamFirstStepIsSignOfGradient(t *testing.T) {
	p := autograd.NewVar(tensor.FromFloat64([]float64{1, 1, 1, 1, 1}, 5), true)
	opt := NewAdam([]*autograd.Var{p}, AdamOptions{Beta1: 0.5})
	opt.SetLR(0.01)
	if opt.LR() != 0.01 {
		t.Fatalf("LR after SetLR(0.01) = %v", opt.LR())
	}
	g := []float64{-1000, -1e-3, 0, 2e-3, 5}
	p.Grad = tensor.FromFloat64(g, 5)
	opt.Step()
	got := p.Value.Float64s()
	for i, gi := range g {
		want := 1 - 0.01*gi/(math.Abs(gi)+1e-8)
		if math.Abs(got[i]-want) > 1e-15 {
			t.Errorf("element %d (gradient %v): %.17g after one step, want %.17g", i, gi, got[i], want)
		}
	}
}

// TestSGDMomentumByHand checks two momentum steps against the formula worked by hand, with a
// constant gradient g: b1 = g, b2 = m*g + (1-d)*g, p2 = p0 - lr*(b1 + b2).
func TestSGDMomentumByHand(t *testing.T) {
	const lr, m, d = 0.5, 0.25, 0.5
	p := autograd.NewVar(tensor.FromFloat64([]float64{1, -2}, 2), true)
	opt := NewSGD([]*autograd.Var{p}, SGDOptions{LR: lr, Momentum: m, Dampening: d})
	g := []float64{0.5, -4}
	for range 2 {
		p.Grad = tensor.FromFloat64(g, 2)
		opt.Step()
	}
	for i, p0 := range []float64{1, -2} {
		b1 := g[i]
		b2 := m*b1 + (1-d)*g[i]
		if want, got := p0-lr*(b1+b2), p.Value.Float64s()[i]; got != want {
			t.Errorf("element %d: %v after two steps, want %v", i, got, want)
		}
	}
}

// TestStepSkipsParametersWithoutGradient checks PyTorch's rule: no gradient, no update and no
// state (so the step count does not advance either).
func TestStepSkipsParametersWithoutGradient(t *testing.T) {
	for name, newOpt := range map[string]func([]*autograd.Var) Optimizer{
		"Adam": func(ps []*autograd.Var) Optimizer { return NewAdam(ps, AdamOptions{}) },
		"SGD":  func(ps []*autograd.Var) Optimizer { return NewSGD(ps, SGDOptions{LR: 0.1, Momentum: 0.9}) },
	} {
		t.Run(name, func(t *testing.T) {
			a := autograd.NewVar(tensor.Full(tensor.Float32, 3, 4), true)
			b := autograd.NewVar(tensor.Full(tensor.Float32, 3, 4), true)
			opt := newOpt([]*autograd.Var{a, b})
			a.Grad = tensor.Full(tensor.Float32, 1, 4)
			opt.Step()
			if got := b.Value.Float32s(); got[0] != 3 {
				t.Fatalf("parameter without a gradient changed to %v", got)
			}
			if a.Value.Float32s()[0] == 3 {
				t.Fatal("parameter with a gradient did not change")
			}
			tensors, _ := opt.State()
			for key := range tensors {
				if key[:8] == "state.1." {
					t.Fatalf("parameter without a gradient has state %q", key)
				}
			}
			opt.ZeroGrad()
			if a.Grad != nil || b.Grad != nil {
				t.Fatal("ZeroGrad left a gradient")
			}
		})
	}
}

func TestOptimizerConstructorsPanic(t *testing.T) {
	p := autograd.NewVar(tensor.Zeros(tensor.Float32, 2), true)
	q := autograd.NewVar(tensor.Zeros(tensor.Float32, 2), true)
	nonLeaf := autograd.Add(p, q)
	for name, f := range map[string]func(){
		"empty":              func() { NewAdam(nil, AdamOptions{}) },
		"duplicate":          func() { NewAdam([]*autograd.Var{p, q, p}, AdamOptions{}) },
		"nil":                func() { NewSGD([]*autograd.Var{p, nil}, SGDOptions{LR: 1}) },
		"non-leaf":           func() { NewAdam([]*autograd.Var{nonLeaf}, AdamOptions{}) },
		"negative lr":        func() { NewAdam([]*autograd.Var{p}, AdamOptions{LR: -1}) },
		"beta1 1":            func() { NewAdam([]*autograd.Var{p}, AdamOptions{Beta1: 1}) },
		"NaN eps":            func() { NewAdam([]*autograd.Var{p}, AdamOptions{Eps: math.NaN()}) },
		"negative decay":     func() { NewAdam([]*autograd.Var{p}, AdamOptions{WeightDecay: -1}) },
		"SGD without lr":     func() { NewSGD([]*autograd.Var{p}, SGDOptions{Momentum: 0.9}) },
		"nesterov, momentum": func() { NewSGD([]*autograd.Var{p}, SGDOptions{LR: 1, Nesterov: true}) },
		"nesterov, damping":  func() { NewSGD([]*autograd.Var{p}, SGDOptions{LR: 1, Momentum: 0.9, Dampening: 0.1, Nesterov: true}) },
	} {
		t.Run(name, func(t *testing.T) { expectPanic(t, "optim.New", f) })
	}
}
