package nn

import (
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// TestGradCheckModuleLeavesTheModuleAsItWas: values, gradients and RequiresGrad flags are what
// they were before the check, a frozen parameter and an old gradient included.
func TestGradCheckModuleLeavesTheModuleAsItWas(t *testing.T) {
	rng := tensor.NewRNG(1)
	m := NewConv2d(rng, 2, 3, 3, Conv2dOptions{Padding: 1})
	Cast(m, tensor.Float64)
	m.Bias.SetRequiresGrad(false)
	oldGrad := tensor.Ones(tensor.Float64, m.Weight.Shape()...)
	m.Weight.Grad = oldGrad
	w, b := m.Weight.Value.Float64s(), m.Bias.Value.Float64s()
	x := tensor.Normal(rng, tensor.Float64, 0, 1, 1, 2, 4, 4)
	xs := x.Float64s()
	if _, err := GradCheckModule(m, x, autograd.GradCheckOptions{Fast: true}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w, m.Weight.Value.Float64s()) || !slices.Equal(b, m.Bias.Value.Float64s()) || !slices.Equal(xs, x.Float64s()) {
		t.Error("the check did not restore the values it perturbed")
	}
	if m.Weight.Grad != oldGrad || m.Bias.Grad != nil || !m.Weight.RequiresGrad() || m.Bias.RequiresGrad() {
		t.Errorf("weight grad kept %v, bias grad %v, requires grad %v and %v (want true, nil, true, false)",
			m.Weight.Grad == oldGrad, m.Bias.Grad, m.Weight.RequiresGrad(), m.Bias.RequiresGrad())
	}
}

func TestGradCheckModuleRefusesFloat32(t *testing.T) {
	m := NewConv2d(tensor.NewRNG(1), 1, 1, 1, Conv2dOptions{})
	_, err := GradCheckModule(m, tensor.Zeros(tensor.Float64, 1, 1, 2, 2), autograd.GradCheckOptions{})
	if err == nil || !strings.Contains(err.Error(), "float32") || !strings.Contains(err.Error(), "float64") {
		t.Errorf("a float32 module: %v", err)
	}
}
