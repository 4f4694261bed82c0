package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
)

// The activations and Identity have no parameters; each has the same shape in and out.

// noParams provides the parameter methods of a layer that has none.
type noParams struct{}

// NamedParameters returns nothing.
func (noParams) NamedParameters() []NamedParam { return nil }

// ReLU is max(x, 0) elementwise (PyTorch's nn.ReLU); its gradient at 0 is 0.
//
// Shape: any, output the same.
type ReLU struct{ noParams }

// NewReLU returns a ReLU.
func NewReLU() *ReLU { return &ReLU{} }

// Forward applies the ReLU.
func (*ReLU) Forward(x *autograd.Var) *autograd.Var { return autograd.Relu(x) }

func (*ReLU) String() string { return "ReLU()" }

// DefaultNegativeSlope is PyTorch's default slope of LeakyReLU for x < 0.
const DefaultNegativeSlope = 0.01

// LeakyReLU is x for x > 0 and NegativeSlope·x otherwise (PyTorch's nn.LeakyReLU; its default
// slope is DefaultNegativeSlope, 0.01; CycleGAN's discriminator uses 0.2). The gradient at 0 is
// NegativeSlope, as in PyTorch.
//
// Shape: any, output the same.
type LeakyReLU struct {
	noParams
	NegativeSlope float64
}

// NewLeakyReLU returns a LeakyReLU with the given slope (pass DefaultNegativeSlope for PyTorch's
// default).
func NewLeakyReLU(negativeSlope float64) *LeakyReLU { return &LeakyReLU{NegativeSlope: negativeSlope} }

// Forward applies the leaky ReLU.
func (l *LeakyReLU) Forward(x *autograd.Var) *autograd.Var {
	return autograd.LeakyRelu(x, l.NegativeSlope)
}

func (l *LeakyReLU) String() string {
	return fmt.Sprintf("LeakyReLU(negative_slope=%g)", l.NegativeSlope)
}

// Tanh is tanh(x) = (e^x − e^−x)/(e^x + e^−x) elementwise, mapping onto (−1, 1): the last layer of
// CycleGAN's generator, whose images are scaled to [−1, 1].
//
// Shape: any, output the same.
type Tanh struct{ noParams }

// NewTanh returns a Tanh.
func NewTanh() *Tanh { return &Tanh{} }

// Forward applies tanh.
func (*Tanh) Forward(x *autograd.Var) *autograd.Var { return autograd.Tanh(x) }

func (*Tanh) String() string { return "Tanh()" }

// Sigmoid is 1/(1 + e^−x) elementwise, mapping onto (0, 1).
//
// Shape: any, output the same.
type Sigmoid struct{ noParams }

// NewSigmoid returns a Sigmoid.
func NewSigmoid() *Sigmoid { return &Sigmoid{} }

// Forward applies the logistic sigmoid.
func (*Sigmoid) Forward(x *autograd.Var) *autograd.Var { return autograd.Sigmoid(x) }

func (*Sigmoid) String() string { return "Sigmoid()" }

// Identity returns its input unchanged (PyTorch's nn.Identity), a placeholder where a
// configuration leaves a layer out.
//
// Shape: any, output the same.
type Identity struct{ noParams }

// NewIdentity returns an Identity.
func NewIdentity() *Identity { return &Identity{} }

// Forward returns x itself.
func (*Identity) Forward(x *autograd.Var) *autograd.Var { return x }

func (*Identity) String() string { return "Identity()" }
