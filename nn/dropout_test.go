package nn

import (
	"math"
	"runtime"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

func TestDropoutTraining(t *testing.T) {
	const n, p = 20000, 0.3
	x := autograd.NewVar(tensor.Full(tensor.Float32, 2, n), true)
	y := NewDropout(p, tensor.NewRNG(1)).Forward(x)
	zeros := 0
	for i, v := range y.Value.Float32s() {
		switch v {
		case 0:
			zeros++
		case float32(2 / (1 - p)): // survivors are scaled so the expectation is unchanged
		default:
			t.Fatalf("element %d is %g, want 0 or %g", i, v, 2/(1-p))
		}
	}
	// The dropped fraction is within 5 standard errors of p.
	if frac := float64(zeros) / n; math.Abs(frac-p) > 5*math.Sqrt(p*(1-p)/n) {
		t.Errorf("dropped %.4f of the elements, want about %g", frac, p)
	}
	// The gradient passes through the same mask.
	autograd.Sum(y, nil, false).Backward()
	out, grad := y.Value.Float32s(), x.Grad.Float32s()
	for i := range out {
		if grad[i]*2 != out[i] {
			t.Fatalf("element %d: output %g but gradient %g", i, out[i], grad[i])
		}
	}
}

func TestDropoutEvalAndEdgeProbabilities(t *testing.T) {
	x := autograd.Constant(tensor.Ones(tensor.Float32, 100))
	d := NewDropout(0.5, tensor.NewRNG(2))
	d.SetTraining(false)
	if d.Forward(x) != x {
		t.Error("evaluation mode must return the input itself")
	}
	if NewDropout(0, tensor.NewRNG(3)).Forward(x) != x {
		t.Error("p = 0 must return the input itself")
	}
	if m := maxAbs(NewDropout(1, tensor.NewRNG(4)).Forward(x).Value); m != 0 {
		t.Errorf("p = 1 must drop everything, max |y| = %g", m)
	}
}

func TestDropoutIsSeeded(t *testing.T) {
	x := autograd.Constant(tensor.Ones(tensor.Float32, 64))
	a := NewDropout(0.5, tensor.NewRNG(5)).Forward(x).Value.Float32s()
	b := NewDropout(0.5, tensor.NewRNG(5)).Forward(x).Value.Float32s()
	d := NewDropout(0.5, tensor.NewRNG(5))
	d.Forward(x)
	c := d.Forward(x).Value.Float32s() // the second mask of the same layer differs
	same := func(u, v []float32) bool {
		for i := range u {
			if u[i] != v[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Errorf("same seed same mask: %v; second call new mask: %v", same(a, b), !same(a, c))
	}
}

// TestDropoutBuildsItsMaskWithTensorOps bounds the host memory a Forward allocates beyond drawing
// its random numbers (tensor.Uniform, the one step that must run on the CPU): the mask is made by
// tensor ops on the input's backend, in the input's dtype, so the rest costs a few tensors of the
// input's size, not float64 host slices of it.
func TestDropoutBuildsItsMaskWithTensorOps(t *testing.T) {
	const n = 1 << 18
	x := autograd.Constant(tensor.Ones(tensor.Float32, n))
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	draw := allocated(func() { tensor.Uniform(tensor.NewRNG(6), tensor.Float32, 0, 1, n) })
	forward := allocated(func() { NewDropout(0.5, tensor.NewRNG(6)).Forward(x) })
	// The mask, its scaling and the product: three float32 tensors of n elements, plus a fourth
	// for slack (a temporary of an op). The old float64 host mask took far more.
	const limit = 4 * 4 * n
	if forward < draw || forward-draw > limit {
		t.Errorf("Forward allocated %d bytes beyond the %d of its random draw, want at most %d", forward-draw, draw, limit)
	}
}
