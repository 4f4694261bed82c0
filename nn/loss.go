package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// Reduction says how a loss combines its elementwise values, PyTorch's reduction argument. The
// zero value is PyTorch's default, the mean.
type Reduction uint8

const (
	ReductionMean Reduction = iota // the mean over every element: a scalar
	ReductionSum                   // the sum over every element: a scalar
	ReductionNone                  // no reduction: one loss per element, in the input's shape
)

func (r Reduction) String() string {
	switch r {
	case ReductionMean:
		return "mean"
	case ReductionSum:
		return "sum"
	case ReductionNone:
		return "none"
	}
	return fmt.Sprintf("Reduction(%d)", uint8(r))
}

// The losses are composed from autograd ops and so need no backward code; gradients flow to the
// target too when it requires them. The target must have the input's shape or broadcast to it (a
// scalar 1 for "real" in CycleGAN's LSGAN loss, say); the elementwise loss has the input's shape.
// Both must share a dtype and device.

// MSELoss is the mean squared error (PyTorch's nn.MSELoss), the loss of least-squares GANs that
// CycleGAN trains with:
//
//	ℓ_i = (input_i − target_i)²
//
// reduced by r.
func MSELoss(input, target *autograd.Var, r Reduction) *autograd.Var {
	checkTarget("nn.MSELoss", input, target)
	return reduce(autograd.Square(autograd.Sub(input, target)), r)
}

// L1Loss is the mean absolute error (PyTorch's nn.L1Loss), CycleGAN's cycle-consistency and
// identity loss:
//
//	ℓ_i = |input_i − target_i|
//
// reduced by r. Where input equals target the gradient is 0, as in PyTorch.
func L1Loss(input, target *autograd.Var, r Reduction) *autograd.Var {
	checkTarget("nn.L1Loss", input, target)
	return reduce(autograd.Abs(autograd.Sub(input, target)), r)
}

// BCEWithLogitsLoss is the binary cross-entropy of sigmoid(input) against target probabilities
// (PyTorch's nn.BCEWithLogitsLoss without weights), the loss of the original (non-LSGAN) GAN:
//
//	ℓ_i = −[y_i·log σ(x_i) + (1 − y_i)·log(1 − σ(x_i))]
//
// reduced by r. It is computed in the numerically stable form
//
//	ℓ_i = max(x_i, 0) − x_i·y_i + log(1 + e^−|x_i|)
//
// which never takes the exponential of a positive number, so large logits of either sign neither
// overflow nor lose the loss to rounding. Its gradient is σ(x_i) − y_i. At x_i = 0 exactly, max
// splits its gradient evenly and |x| has gradient 0, which gives σ(0) − y_i = ½ − y_i, the true
// derivative, rather than a one-sided subgradient.
func BCEWithLogitsLoss(input, target *autograd.Var, r Reduction) *autograd.Var {
	checkTarget("nn.BCEWithLogitsLoss", input, target)
	zero := autograd.Constant(tensor.New(input.Value.Backend(), input.DType()))
	positive := autograd.Maximum(input, zero)
	softplusTail := autograd.Log(autograd.AddScalar(autograd.Exp(autograd.Neg(autograd.Abs(input))), 1))
	return reduce(autograd.Add(autograd.Sub(positive, autograd.Mul(input, target)), softplusTail), r)
}

// checkTarget panics unless target broadcasts to input's shape without changing it.
func checkTarget(op string, input, target *autograd.Var) {
	if input.DType() != target.DType() || input.Value.Backend() != target.Value.Backend() {
		panic(fmt.Sprintf("%s: input %s %v on %s and target %s %v on %s differ in dtype or device", op,
			input.DType(), input.Shape(), input.Value.Backend().Name(), target.DType(), target.Shape(), target.Value.Backend().Name()))
	}
	in, tg := input.Shape(), target.Shape()
	ok := len(tg) <= len(in)
	for i := 1; ok && i <= len(tg); i++ {
		ok = tg[len(tg)-i] == 1 || tg[len(tg)-i] == in[len(in)-i]
	}
	if !ok {
		panic(fmt.Sprintf("%s: target %v does not broadcast to input %v", op, tg, in))
	}
}

func reduce(l *autograd.Var, r Reduction) *autograd.Var {
	switch r {
	case ReductionMean:
		return autograd.Mean(l, nil, false)
	case ReductionSum:
		return autograd.Sum(l, nil, false)
	case ReductionNone:
		return l
	}
	panic(fmt.Sprintf("nn: unknown reduction %v", r))
}
