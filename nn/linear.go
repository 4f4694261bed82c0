package nn

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// Linear is a fully connected layer (PyTorch's nn.Linear):
//
//	y = x·weightᵀ + bias
//
// Shape: input [*, in], output [*, out]: any leading dimensions (a batch [N, in], a sequence
// [N, L, in]) are kept, and the same weight applies to each row.
//
// Parameters: weight [out, in] and bias [out], initialized as PyTorch does: kaiming_uniform with
// a = √5 for the weight, which works out to U(±1/√in), and U(±1/√in) for the bias.
type Linear struct {
	Weight *autograd.Var
	Bias   *autograd.Var // nil without bias
}

// LinearOptions are the optional settings of a Linear layer; the zero value has a bias, as in
// PyTorch.
type LinearOptions struct {
	NoBias bool
}

// NewLinear returns a Linear layer from in to out features, in float32 on the CPU, with parameters
// drawn from rng, or left zero if rng is nil (for a layer whose parameters are loaded next).
func NewLinear(rng *tensor.RNG, in, out int, o LinearOptions) *Linear {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("nn.NewLinear: in %d and out %d features: want at least 1 each", in, out))
	}
	l := &Linear{Weight: newParam(tensor.Zeros(tensor.Float32, out, in))}
	if !o.NoBias {
		l.Bias = newParam(tensor.Zeros(tensor.Float32, out))
	}
	if rng != nil {
		// kaiming_uniform(a=√5): gain √(2/(1+5)) times √(3/in) is 1/√in, the bias's bound too.
		bound := 1 / math.Sqrt(float64(in))
		InitUniform(l.Weight.Value, rng, -bound, bound)
		if l.Bias != nil {
			InitUniform(l.Bias.Value, rng, -bound, bound)
		}
	}
	return l
}

// Forward computes x·weightᵀ + bias over the last dimension of x.
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	in := l.Weight.Shape()[1]
	if x.Value.NDim() == 0 || x.Shape()[x.Value.NDim()-1] != in {
		panic(fmt.Sprintf("nn.Linear: input %v, want [*, %d] for weight %v", x.Shape(), in, l.Weight.Shape()))
	}
	y := autograd.Matmul(x, autograd.Transpose(l.Weight, 0, 1)) // a weight shared by the batch
	if l.Bias != nil {
		y = autograd.Add(y, l.Bias)
	}
	return y
}

// NamedParameters returns "weight" and, with a bias, "bias".
func (l *Linear) NamedParameters() []NamedParam {
	return paramList(NamedParam{"weight", l.Weight}, NamedParam{"bias", l.Bias})
}

func (l *Linear) String() string {
	s := l.Weight.Shape()
	return fmt.Sprintf("Linear(in_features=%d, out_features=%d, bias=%v)", s[1], s[0], l.Bias != nil)
}

// Flatten merges the dimensions StartDim to EndDim of its input into one (PyTorch's nn.Flatten,
// whose defaults, StartDim 1 and EndDim -1, keep the batch dimension and flatten the rest). Negative
// dimensions count from the end.
//
// Shape: input [N, C, H, W], output [N, C·H·W] with the defaults.
type Flatten struct {
	noParams
	StartDim, EndDim int
}

// NewFlatten returns a Flatten with PyTorch's defaults: every dimension after the first.
func NewFlatten() *Flatten { return &Flatten{StartDim: 1, EndDim: -1} }

// Forward reshapes x; its backward reshapes the gradient back.
func (f *Flatten) Forward(x *autograd.Var) *autograd.Var {
	shape := x.Shape()
	start, end := f.StartDim, f.EndDim
	if start < 0 {
		start += len(shape)
	}
	if end < 0 {
		end += len(shape)
	}
	if start < 0 || end >= len(shape) || start > end {
		panic(fmt.Sprintf("nn.Flatten: dimensions %d to %d of an input of shape %v", f.StartDim, f.EndDim, shape))
	}
	out := append([]int(nil), shape[:start]...)
	merged := 1
	for _, d := range shape[start : end+1] {
		merged *= d
	}
	out = append(append(out, merged), shape[end+1:]...)
	return autograd.Reshape(x, out...)
}

func (f *Flatten) String() string {
	return fmt.Sprintf("Flatten(start_dim=%d, end_dim=%d)", f.StartDim, f.EndDim)
}
