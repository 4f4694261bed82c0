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
//
// The mask is keep·[u > P] for u uniform in [0, 1), which holds with probability 1 − P. Only the
// draw of u runs on the CPU (the generator lives there); u moves to x's backend once, in x's dtype,
// and the comparison and scaling run there as tensor ops, so a GPU input costs one upload of the
// input's size and no host copies of the mask.
func (d *Dropout) Forward(x *autograd.Var) *autograd.Var {
	if d.eval || d.P == 0 {
		return x
	}
	b, dt := x.Value.Backend(), x.DType()
	u := tensor.Uniform(d.rng, dt, 0, 1, x.Shape()...).To(b)
	keep := 0.0
	if d.P < 1 {
		keep = 1 / (1 - d.P)
	}
	mask := tensor.Scale(tensor.Greater(u, tensor.Scalar(dt, d.P).To(b)), keep)
	return autograd.Mul(x, autograd.Constant(mask))
}

func (d *Dropout) String() string { return fmt.Sprintf("Dropout(p=%g)", d.P) }
