package optim

import (
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// benchParams returns float32 parameters of n elements in total, split like a conv layer's
// weight and bias, each with a gradient of ones.
func benchParams(n int) []*autograd.Var {
	var params []*autograd.Var
	for _, size := range []int{n - n/64, n / 64} {
		p := autograd.NewVar(tensor.Full(tensor.Float32, 0.5, size), true)
		p.Grad = tensor.Ones(tensor.Float32, size)
		params = append(params, p)
	}
	return params
}

// BenchmarkAdamStep measures one Adam step over 2^20 float32 parameters. The kernel reads param,
// grad, m and v and writes param, m and v: 28 bytes per element, reported as bytes/op.
func BenchmarkAdamStep(b *testing.B) {
	const n = 1 << 20
	opt := NewAdam(benchParams(n), AdamOptions{LR: 2e-4, Beta1: 0.5})
	b.SetBytes(28 * n)
	for b.Loop() {
		opt.Step()
	}
}

// BenchmarkSGDStep is the same for SGD with momentum and weight decay, built from tensor ops.
func BenchmarkSGDStep(b *testing.B) {
	const n = 1 << 20
	opt := NewSGD(benchParams(n), SGDOptions{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4})
	b.SetBytes(4 * 4 * n) // param, grad, buffer read; param, buffer written (lower bound, ignores temporaries)
	for b.Loop() {
		opt.Step()
	}
}
