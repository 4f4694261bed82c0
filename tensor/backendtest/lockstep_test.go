package backendtest

import (
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// TestLockstepConforms runs the suite on a Lockstep over the CPU: it is a backend like any other,
// and a CPU in lockstep with itself never drifts.
func TestLockstepConforms(t *testing.T) {
	l := NewLockstep(tensor.CPU)
	Run(t, l)
	if len(l.Divergences) > 0 {
		t.Errorf("the cpu drifted from itself:\n%s", strings.Join(l.Divergences, "\n"))
	}
}

// TestLockstepNamesTheDriftingCall: over a backend whose Gemm ignores beta, a product that
// accumulates is the first divergence, named with its arguments.
func TestLockstepNamesTheDriftingCall(t *testing.T) {
	l := NewLockstep(broken{tensor.CPU, "Gemm"})
	rng := tensor.NewRNG(3)
	x := tensor.Uniform(rng, tensor.Float32, -1, 1, 4, 5).To(l)
	y := tensor.Uniform(rng, tensor.Float32, -1, 1, 5, 3).To(l)
	tensor.Relu(x) // a call that agrees
	c := tensor.Uniform(rng, tensor.Float32, -1, 1, 4, 3).To(l)
	l.Gemm(tensor.GemmArgs{M: 4, N: 3, K: 5, Alpha: 1, Beta: 1, Batch: 1,
		A: x.Storage(), LDA: 5, B: y.Storage(), LDB: 3, C: c.Storage(), LDC: 3})
	if len(l.Divergences) != 1 || !strings.Contains(l.Divergences[0], "Gemm(") || !strings.Contains(l.Divergences[0], "Beta:1") {
		t.Fatalf("divergences %q, want one naming the Gemm with Beta:1", l.Divergences)
	}
}
