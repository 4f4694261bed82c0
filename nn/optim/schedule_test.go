package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

func newTestAdam(lr float64) *Adam {
	return NewAdam([]*autograd.Var{autograd.NewVar(tensor.Zeros(tensor.Float32, 2), true)}, AdamOptions{LR: lr, Beta1: 0.5})
}

// TestLinearDecayDesign checks the CycleGAN schedule against the sentences of DESIGN.md: 100
// epochs at 2e-4, then a linear decay whose last epoch runs at 2e-4/101, never 0.
func TestLinearDecayDesign(t *testing.T) {
	opt := newTestAdam(2e-4)
	s := NewLinearDecayLR(opt, 100, 100)
	for epoch := 0; epoch < 200; epoch++ {
		want := 2e-4 * (1 - float64(max(0, epoch+1-100))/101)
		if got := opt.LR(); got != want {
			t.Fatalf("epoch %d: rate %.17g, want %.17g", epoch, got, want)
		}
		if epoch < 100 && opt.LR() != 2e-4 {
			t.Fatalf("epoch %d: rate %v, want the base rate 2e-4", epoch, opt.LR())
		}
		s.Step()
	}
	s2 := NewLinearDecayLR(newTestAdam(2e-4), 100, 100)
	for range 199 {
		s2.Step()
	}
	if last := s2.LR(); math.Abs(last-2e-4/101) > 1e-18 || last <= 0 {
		t.Fatalf("last epoch's rate %v, want 2e-4/101 = %v", last, 2e-4/101)
	}
}

// scheduleMakers builds one of each schedule kind over an optimizer.
var scheduleMakers = map[string]func(Optimizer) Scheduler{
	"LambdaLR":          func(o Optimizer) Scheduler { return NewLambdaLR(o, func(e int) float64 { return 1 / float64(e+1) }) },
	"LinearDecayLR":     func(o Optimizer) Scheduler { return NewLinearDecayLR(o, 7, 11) },
	"StepLR":            func(o Optimizer) Scheduler { return NewStepLR(o, 3, 0.7) },
	"CosineAnnealingLR": func(o Optimizer) Scheduler { return NewCosineAnnealingLR(o, 9, 1e-6) },
}

// TestSchedulerStateRoundTrip steps a schedule, saves it, restores it into a schedule made over
// another optimizer with another rate, and checks that both continue identically.
func TestSchedulerStateRoundTrip(t *testing.T) {
	for name, make := range scheduleMakers {
		t.Run(name, func(t *testing.T) {
			opt := newTestAdam(1e-2)
			s := make(opt)
			for range 13 {
				s.Step()
			}
			_, meta := throughSafetensors(t, nil, s.State())

			opt2 := newTestAdam(5)
			s2 := make(opt2)
			if name == "LambdaLR" {
				// A LambdaLR's state has no lambda: it is restored into one made with the
				// same function, as PyTorch's is.
				s2 = NewLambdaLR(opt2, func(e int) float64 { return 1 / float64(e+1) })
			} else {
				// The parameters of the kind come from the state, so a schedule made with other
				// ones continues as the saved one.
				s2 = map[string]func(Optimizer) Scheduler{
					"LinearDecayLR":     func(o Optimizer) Scheduler { return NewLinearDecayLR(o, 1, 1) },
					"StepLR":            func(o Optimizer) Scheduler { return NewStepLR(o, 1, 0.1) },
					"CosineAnnealingLR": func(o Optimizer) Scheduler { return NewCosineAnnealingLR(o, 1, 0) },
				}[name](opt2)
			}
			if err := s2.LoadState(meta); err != nil {
				t.Fatalf("LoadState: %v", err)
			}
			if diff := cmp.Diff(s.State(), s2.State()); diff != "" {
				t.Fatalf("State after LoadState (-saved +restored):\n%s", diff)
			}
			for range 20 {
				if s2.LastEpoch() != s.LastEpoch() || s2.LR() != s.LR() || opt2.LR() != opt.LR() {
					t.Fatalf("after LoadState: epoch %d rate %v (optimizer %v), want epoch %d rate %v", s2.LastEpoch(), s2.LR(), opt2.LR(), s.LastEpoch(), s.LR())
				}
				s.Step()
				s2.Step()
			}
		})
	}
}

func TestSchedulerLoadStateErrors(t *testing.T) {
	good := NewStepLR(newTestAdam(1), 3, 0.5)
	good.Step()
	cases := []struct {
		name   string
		mutate func(map[string]string)
		want   string
	}{
		{"wrong kind", func(m map[string]string) { m["scheduler"] = "CosineAnnealingLR" }, `"scheduler" is "CosineAnnealingLR", want "StepLR"`},
		{"negative epoch", func(m map[string]string) { m["last_epoch"] = "-1" }, `"last_epoch" is -1`},
		{"bad epoch", func(m map[string]string) { m["last_epoch"] = "1.5" }, `"last_epoch" is "1.5", not an integer`},
		{"bad step size", func(m map[string]string) { m["step_size"] = "0" }, `"step_size" is 0, want ≥ 1`},
		{"missing gamma", func(m map[string]string) { delete(m, "gamma") }, `no "gamma" key`},
		{"infinite base", func(m map[string]string) { m["base_lr"] = "+Inf" }, `"base_lr" is "+Inf", not a finite number`},
		{"unknown key", func(m map[string]string) { m["t_max"] = "3" }, `unexpected metadata key "t_max"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			meta := good.State()
			c.mutate(meta)
			opt := newTestAdam(7)
			s := NewStepLR(opt, 10, 0.9)
			err := s.LoadState(meta)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "optim.StepLR.LoadState: ") {
				t.Fatalf("LoadState error %v, want one containing %q", err, c.want)
			}
			if s.LastEpoch() != 0 || opt.LR() != 7 || s.stepSize != 10 {
				t.Fatal("a refused LoadState changed the schedule or the optimizer")
			}
		})
	}
}

func TestSchedulerConstructionSetsEpochZero(t *testing.T) {
	opt := newTestAdam(0.1)
	s := NewLambdaLR(opt, func(e int) float64 { return 0.5 + float64(e) })
	if s.LastEpoch() != 0 || opt.LR() != 0.05 || s.LR() != 0.05 || s.BaseLR() != 0.1 {
		t.Fatalf("after construction: epoch %d, rate %v, LR %v, base %v; want 0, 0.05, 0.05, 0.1", s.LastEpoch(), opt.LR(), s.LR(), s.BaseLR())
	}
	s.Step()
	if s.LastEpoch() != 1 || opt.LR() != 0.15000000000000002 {
		t.Fatalf("after one Step: epoch %d, rate %v; want 1, 0.1*1.5", s.LastEpoch(), opt.LR())
	}
}

func TestSchedulerConstructorsPanic(t *testing.T) {
	opt := newTestAdam(1)
	for name, f := range map[string]func(){
		"nil lambda":       func() { NewLambdaLR(opt, nil) },
		"negative epochs":  func() { NewLinearDecayLR(opt, -1, 100) },
		"step size 0":      func() { NewStepLR(opt, 0, 0.1) },
		"NaN gamma":        func() { NewStepLR(opt, 1, math.NaN()) },
		"TMax 0":           func() { NewCosineAnnealingLR(opt, 0, 0) },
		"infinite eta_min": func() { NewCosineAnnealingLR(opt, 10, math.Inf(1)) },
	} {
		t.Run(name, func(t *testing.T) { expectPanic(t, "optim.", f) })
	}
}

// expectPanic fails unless f panics with a message starting with prefix.
func expectPanic(t *testing.T, prefix string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatal("no panic")
		}
		if msg, ok := r.(string); !ok || !strings.HasPrefix(msg, prefix) {
			t.Fatalf("panic %v, want a message starting with %q", r, prefix)
		}
	}()
	f()
}
