package autograd

import (
	"fmt"
	"sync"
	"testing"
)

// TestNoGradInOneGoroutineLeavesOthersRecording: an evaluation loop under NoGrad in one goroutine
// must not switch recording off for a training step running at the same time in another, which
// would silently lose its gradients.
func TestNoGradInOneGoroutineLeavesOthersRecording(t *testing.T) {
	inside, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		NoGrad(func() {
			close(inside)
			<-release // stay inside NoGrad while the other goroutine trains
		})
	}()
	<-inside
	if !GradEnabled() {
		t.Error("GradEnabled is false in a goroutine that never called NoGrad")
	}
	x := NewVar(vec(1, 2), true)
	y := Sum(Mul(x, x), nil, false)
	close(release)
	wg.Wait()
	if !y.RequiresGrad() {
		t.Fatal("an op in a training goroutine recorded nothing while another goroutine was inside NoGrad")
	}
	y.Backward()
	wantValues(t, "x.Grad", x.Grad, 2, 4)
}

// TestNoGradHoldsForItsOwnGoroutine: inside NoGrad the calling goroutine records nothing, also
// while other goroutines enter and leave NoGrad scopes of their own, and also when nested.
func TestNoGradHoldsForItsOwnGoroutine(t *testing.T) {
	x := NewVar(vec(1, 2), true)
	NoGrad(func() {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				NoGrad(func() { Mul(x, x) })
			}()
		}
		wg.Wait()
		NoGrad(func() {}) // a nested scope ends; the outer one still holds
		if GradEnabled() {
			t.Error("GradEnabled inside NoGrad after other goroutines' scopes and a nested one ended")
		}
		if y := Mul(x, x); y.RequiresGrad() {
			t.Error("an op recorded inside NoGrad")
		}
	})
	if !GradEnabled() {
		t.Error("GradEnabled still false after NoGrad")
	}
}

// TestNoGradEndsWhenItsBodyPanics: a panic that leaves NoGrad (and is recovered further up) must
// not leave recording switched off.
func TestNoGradEndsWhenItsBodyPanics(t *testing.T) {
	mustPanic(t, func() { NoGrad(func() { panic("evaluation failed") }) })
	if !GradEnabled() {
		t.Error("GradEnabled is false after a NoGrad body panicked")
	}
}

// TestGoroutinesStartedInsideNoGradRecord documents the one sharp edge of per-goroutine scopes, the
// same as PyTorch's per-thread grad mode: a goroutine started inside NoGrad starts with recording on.
// It records a graph that nobody uses (memory, not correctness), and should call NoGrad itself.
func TestGoroutinesStartedInsideNoGradRecord(t *testing.T) {
	x := NewVar(vec(1, 2), true)
	var y *Var
	NoGrad(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			y = Mul(x, x)
		}()
		<-done
	})
	if !y.RequiresGrad() {
		t.Error("a goroutine started inside NoGrad did not record")
	}
}

// BenchmarkGradEnabled measures the cost of asking for the grad mode: one atomic load while no
// goroutine is inside NoGrad, a goroutine lookup (which walks the caller's stack) while one is, at
// a shallow stack and 40 frames deep.
func BenchmarkGradEnabled(b *testing.B) {
	b.Run("no NoGrad anywhere", func(b *testing.B) {
		for b.Loop() {
			GradEnabled()
		}
	})
	for _, depth := range []int{0, 40} {
		b.Run(fmt.Sprintf("inside NoGrad at depth %d", depth), func(b *testing.B) {
			NoGrad(func() {
				atDepth(depth, func() {
					for b.Loop() {
						GradEnabled()
					}
				})
			})
		})
	}
}

// atDepth calls f under n more stack frames.
//
//go:noinline
func atDepth(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	atDepth(n-1, f)
}
