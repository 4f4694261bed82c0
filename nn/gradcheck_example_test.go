package nn_test

import (
	"errors"
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// ScaleShift is a layer of your own: y = x·weight + bias per feature (the last axis), built from
// autograd ops, so autograd derives its backward.
type ScaleShift struct {
	Weight, Bias *autograd.Var
}

func NewScaleShift(rng *tensor.RNG, features int) *ScaleShift {
	return &ScaleShift{
		Weight: autograd.NewVar(tensor.Normal(rng, tensor.Float32, 0, 1, features), true),
		Bias:   autograd.NewVar(tensor.Normal(rng, tensor.Float32, 0, 1, features), true),
	}
}

func (s *ScaleShift) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Add(autograd.Mul(x, s.Weight), s.Bias)
}

func (s *ScaleShift) NamedParameters() []nn.NamedParam {
	return []nn.NamedParam{{Name: "weight", Param: s.Weight}, {Name: "bias", Param: s.Bias}}
}

// badScale is y = x·weight with a hand-written backward that forgets the factor x in the weight's
// gradient: the mistake GradCheckModule is there to catch.
type badScale struct{ weight *autograd.Var }

func (s *badScale) Forward(x *autograd.Var) *autograd.Var {
	w := s.weight
	out := tensor.Mul(x.Value, w.Value)
	return autograd.Record("bad_scale", out, []*autograd.Var{x, w}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Mul(g, w.Value), tensor.SumTo(g, w.Shape())} // should be SumTo(g·x)
	})
}

func (s *badScale) NamedParameters() []nn.NamedParam {
	return []nn.NamedParam{{Name: "weight", Param: s.weight}}
}

// A layer of your own is checked with respect to its input and each parameter, in float64.
func ExampleGradCheckModule() {
	rng := tensor.NewRNG(1)
	layer := NewScaleShift(rng, 3)
	nn.Cast(layer, tensor.Float64)
	x := tensor.Normal(rng, tensor.Float64, 0, 1, 2, 3)
	res, err := nn.GradCheckModule(layer, x, autograd.GradCheckOptions{})
	fmt.Println(err, res.Entries, res.MaxRelErr < 1e-6)

	bad := &badScale{weight: autograd.NewVar(tensor.Normal(rng, tensor.Float64, 0, 1, 3), true)}
	_, err = nn.GradCheckModule(bad, x, autograd.GradCheckOptions{})
	var wrong *autograd.GradCheckError
	fmt.Println(errors.As(err, &wrong), wrong.Input, err.Error()[:len("weight: gradcheck")])
	// Output:
	// <nil> 72 true
	// true 1 weight: gradcheck
}
