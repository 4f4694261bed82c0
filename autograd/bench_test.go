package autograd

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// The benchmarks time one forward and backward at float32 sizes of a CycleGAN generator's
// activations (64 channels of 128×128), against the forward alone, to show what recording and the
// backward cost on top of the tensor kernels.

func benchFloat32(shape ...int) *tensor.Tensor {
	return tensor.Normal(tensor.NewRNG(1), tensor.Float32, 0, 1, shape...)
}

func benchForwardBackward(b *testing.B, f func(x *Var) *Var, x *tensor.Tensor, backward bool) {
	b.SetBytes(int64(x.Numel() * x.DType().Size()))
	for b.Loop() {
		v := NewVar(x, true)
		y := f(v)
		if backward {
			y.BackwardWith(tensor.FullLike(y.Value, 1))
		}
	}
}

func BenchmarkOps(b *testing.B) {
	act := benchFloat32(1, 64, 128, 128)
	ops := []struct {
		name string
		f    func(x *Var) *Var
		x    *tensor.Tensor
	}{
		{"relu", Relu, act},
		{"leaky_relu", func(x *Var) *Var { return LeakyRelu(x, 0.2) }, act},
		{"tanh", Tanh, act},
		{"residual_add", func(x *Var) *Var { return Add(x, x) }, act},
		{"l1_loss", func(x *Var) *Var { return Mean(Abs(Sub(x, Constant(act))), nil, false) }, act},
		{"sum_hw", func(x *Var) *Var { return Sum(x, []int{2, 3}, true) }, act},
		{"max_hw", func(x *Var) *Var { return Max(x, []int{2, 3}, true) }, act},
		{"matmul_shared_weight", func(x *Var) *Var {
			return Matmul(x, Constant(benchFloat32(128, 128)))
		}, benchFloat32(4, 128, 128)},
	}
	for _, op := range ops {
		b.Run(op.name+"/forward", func(b *testing.B) { benchForwardBackward(b, op.f, op.x, false) })
		b.Run(op.name+"/forward_backward", func(b *testing.B) { benchForwardBackward(b, op.f, op.x, true) })
	}
}
