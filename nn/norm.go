package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// DefaultInstanceNormEps is PyTorch's default eps for normalization layers.
const DefaultInstanceNormEps = 1e-5

// InstanceNorm2dOptions are the optional settings of InstanceNorm2d; the zero value is PyTorch's
// default (eps 1e-5, affine off), which is also CycleGAN's choice.
type InstanceNorm2dOptions struct {
	Eps    float64 // added to the variance inside the square root; 0 means 1e-5
	Affine bool    // learn a per-channel scale (weight, init 1) and shift (bias, init 0)
}

// InstanceNorm2d normalizes every channel of every image on its own (PyTorch's
// nn.InstanceNorm2d without running statistics, Ulyanov et al. 2016):
//
//	y = (x − E[x]) / sqrt(Var[x] + eps) · weight[c] + bias[c]
//
// where the mean and the biased variance (divided by H·W) are taken over each [H, W] plane, and
// weight and bias exist only with Affine. No running statistics are kept, so training and
// evaluation compute the same thing (PyTorch's default track_running_stats=False).
//
// Shape: input [N, C, H, W] or [C, H, W], output the same.
type InstanceNorm2d struct {
	NumFeatures int
	Eps         float64
	Weight      *autograd.Var // [C], nil without Affine
	Bias        *autograd.Var // [C], nil without Affine
}

// NewInstanceNorm2d returns an InstanceNorm2d for numFeatures channels, in float32 on the CPU.
func NewInstanceNorm2d(numFeatures int, o InstanceNorm2dOptions) *InstanceNorm2d {
	if numFeatures < 1 || o.Eps < 0 {
		panic(fmt.Sprintf("nn.NewInstanceNorm2d: %d features and eps %g: want at least one feature and eps ≥ 0", numFeatures, o.Eps))
	}
	n := &InstanceNorm2d{NumFeatures: numFeatures, Eps: o.Eps}
	if n.Eps == 0 {
		n.Eps = DefaultInstanceNormEps
	}
	if o.Affine {
		n.Weight = newParam(tensor.Ones(tensor.Float32, numFeatures))
		n.Bias = newParam(tensor.Zeros(tensor.Float32, numFeatures))
	}
	return n
}

// Forward normalizes x.
func (n *InstanceNorm2d) Forward(x *autograd.Var) *autograd.Var {
	if nd := x.Value.NDim(); (nd == 3 || nd == 4) && n.Weight != nil && x.Value.Dim(-3) != n.NumFeatures {
		panic(fmt.Sprintf("nn.InstanceNorm2d: input %v has %d channels, the layer has %d", x.Shape(), x.Value.Dim(-3), n.NumFeatures))
	}
	return autograd.InstanceNorm2d(x, n.Weight, n.Bias, n.Eps)
}

// NamedParameters returns "weight" and "bias" with Affine, nothing without.
func (n *InstanceNorm2d) NamedParameters() []NamedParam {
	return paramList(NamedParam{"weight", n.Weight}, NamedParam{"bias", n.Bias})
}

func (n *InstanceNorm2d) String() string {
	return fmt.Sprintf("InstanceNorm2d(%d, eps=%g, affine=%s, track_running_stats=False)", n.NumFeatures, n.Eps, pyBool(n.Weight != nil))
}
