package nn

import (
	"errors"
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// GradCheckModule checks m's backward with respect to its input x and every parameter against
// central finite differences (autograd.GradCheckVars, modelled on torch.autograd.gradcheck). m must
// be float64 and on the CPU (Cast(m, tensor.Float64)), as x must; the check runs at the
// parameters' current values. It perturbs x and each parameter in place and leaves them, and the
// parameters' Grad and RequiresGrad, as it found them.
//
// A failure names what it failed for: "input" or the parameter's state_dict key. Input 0 of a
// *autograd.GradCheckError (errors.As) is x, input i is the parameter NamedParameters lists i-1th.
func GradCheckModule(m Module, x *tensor.Tensor, opts autograd.GradCheckOptions) (autograd.GradCheckResult, error) {
	in := autograd.NewVar(x, true)
	vars := []*autograd.Var{in}
	names := []string{"input"}
	for _, np := range m.NamedParameters() {
		vars = append(vars, np.Param)
		names = append(names, np.Name)
	}
	res, err := autograd.GradCheckVars(func() *autograd.Var { return m.Forward(in) }, vars, opts)
	var bad *autograd.GradCheckError
	if errors.As(err, &bad) && bad.Input >= 0 {
		err = fmt.Errorf("%s: %w", names[bad.Input], err)
	}
	return res, err
}
