package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// DefaultDropoutP is PyTorch's default dropout probability.
const DefaultDropoutP = 0.5

// Dropout zeroes each element independently with probability P during training and scales the
// survivors by 1/(1 − P), so that the expected output equals the input (PyTorch's nn.Dropout,
// Srivastava et al. 2014). In evaluation mode it is the identity. The masks come from the layer's
// own generator, so a seeded run drops the same elements every time.
//
// Shape: any, output the same.
type Dropout struct {
	noParams
	P    float64
	rng  *tensor.RNG
	eval bool // false means training mode, the mode every module starts in
}

// NewDropout returns a Dropout with drop probability p in [0, 1] (DefaultDropoutP is PyTorch's
// default) that draws its masks from rng.
func NewDropout(p float64, rng *tensor.RNG) *Dropout {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("nn.NewDropout: probability %g is not in [0, 1]", p))
	}
	return &Dropout{P: p, rng: rng}
}

// SetTraining switches between training (dropping) and evaluation (identity).
func (d *Dropout) SetTraining(training bool) { d.eval = !training }

// Forward drops elements of x in training mode and returns x itself in evaluation mode.
func (d *Dropout) Forward(x *autograd.Var) *autograd.Var {
	if d.eval || d.P == 0 {
		return x
	}
	u := tensor.Uniform(d.rng, tensor.Float64, 0, 1, x.Shape()...).Float64s()
	keep := 0.0
	if d.P < 1 {
		keep = 1 / (1 - d.P)
	}
	mask := make([]float64, len(u))
	for i, v := range u {
		if v >= d.P { // probability 1 − P
			mask[i] = keep
		}
	}
	m := tensor.Cast(tensor.FromFloat64(mask, x.Shape()...), x.DType()).To(x.Value.Backend())
	return autograd.Mul(x, autograd.Constant(m))
}

func (d *Dropout) String() string { return fmt.Sprintf("Dropout(p=%g)", d.P) }
