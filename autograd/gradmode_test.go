package autograd

import (
	"sync"
	"testing"
)

// TestEvaluationInOneGoroutineLeavesOthersRecording: one goroutine evaluates with its parameters'
// gradients switched off while another trains its own parameters at the same time. The training
// goroutine must keep its graph and get exact gradients: grad mode is a property of the Vars, so
// there is nothing shared for the evaluation to switch off. Run it with -race: the two goroutines
// share no mutable state.
func TestEvaluationInOneGoroutineLeavesOthersRecording(t *testing.T) {
	evaluating, done := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := NewVar(vec(3, 4), true) // the evaluating model's parameter, frozen for evaluation
		w.SetRequiresGrad(false)
		close(evaluating)
		for {
			select {
			case <-done:
				return
			default:
			}
			if y := Mul(w, Constant(vec(1, 1))); y.RequiresGrad() {
				t.Error("an op on frozen parameters recorded a node")
				return
			}
		}
	}()
	<-evaluating
	for range 100 {
		x := NewVar(vec(1, 2), true)
		y := Sum(Mul(x, x), nil, false)
		if !y.RequiresGrad() {
			t.Fatal("an op in a training goroutine recorded nothing while another goroutine evaluated")
		}
		y.Backward()
		wantValues(t, "x.Grad", x.Grad, 2, 4)
	}
	close(done)
	wg.Wait()
}

// TestAConstantInputDoesNotStopRecording: an op records as soon as one input requires a gradient,
// whatever the others are (a frozen parameter, a constant target).
func TestAConstantInputDoesNotStopRecording(t *testing.T) {
	w := NewVar(vec(1, 2), true)
	frozen := NewVar(vec(5, 6), false)
	y := Sum(Mul(Mul(w, frozen), Constant(vec(1, 10))), nil, false)
	y.Backward()
	wantValues(t, "w.Grad", w.Grad, 5, 60)
	if frozen.Grad != nil {
		t.Errorf("a frozen leaf got a gradient: %v", frozen.Grad)
	}
}
