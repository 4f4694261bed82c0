package optim

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// Optimizer updates a fixed list of parameters from their gradients.
//
// A training step is: ZeroGrad, forward, Backward, Step. The state that Step accumulates (moment
// estimates, momentum buffers, step counts) and the hyper-parameters can be saved with State and
// restored with LoadState, so a resumed run continues bit for bit where it stopped.
type Optimizer interface {
	// Step updates every parameter that has a gradient; parameters whose Grad is nil are left alone
	// and their state is not advanced, as in PyTorch.
	Step()
	// ZeroGrad drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
	ZeroGrad()
	// LR is the learning rate the next Step uses.
	LR() float64
	// SetLR changes the learning rate; schedules call it once per epoch.
	SetLR(lr float64)
	// State returns the optimizer's whole state: per-parameter tensors under keys
	// "state.<i>.<name>" (i is the parameter's index in the list given to the constructor) and the
	// hyper-parameters as strings. The tensors are the optimizer's own buffers, which Step updates
	// in place: write or copy them before the next Step.
	State() (tensors map[string]*tensor.Tensor, meta map[string]string)
	// LoadState replaces the optimizer's state with one returned by State, on this or another
	// process. It checks everything before changing anything: a wrong optimizer kind, parameter
	// count, key or shape is an error that names the key, and leaves the optimizer as it was.
	// Tensors are copied to each parameter's backend and dtype.
	LoadState(tensors map[string]*tensor.Tensor, meta map[string]string) error
}

// paramList is the parameter list every optimizer holds, checked once at construction.
type paramList []*autograd.Var

func newParamList(op string, params []*autograd.Var) paramList {
	if len(params) == 0 {
		panic(op + ": empty parameter list")
	}
	seen := make(map[*autograd.Var]int, len(params))
	for i, p := range params {
		if p == nil || p.Value == nil {
			panic(fmt.Sprintf("%s: parameter %d is nil", op, i))
		}
		if !p.IsLeaf() {
			panic(fmt.Sprintf("%s: parameter %d %v is not a leaf; optimizers update leaves in place", op, i, p.Shape()))
		}
		if j, dup := seen[p]; dup {
			panic(fmt.Sprintf("%s: parameter %d is parameter %d again; it would be updated twice per step", op, i, j))
		}
		seen[p] = i
	}
	return append(paramList(nil), params...)
}

// ZeroGrad drops every gradient.
func (ps paramList) ZeroGrad() {
	for _, p := range ps {
		p.ZeroGrad()
	}
}

// ownedCopy returns src's values as a fresh tensor with like's backend and dtype, so that a
// loaded state never shares storage with the caller's tensors (which a checkpoint loader may
// reuse) and lives where the parameter does.
func ownedCopy(src, like *tensor.Tensor) *tensor.Tensor {
	t := tensor.Cast(src, like.DType())
	t = t.To(like.Backend())
	if t == src {
		t = src.Clone()
	}
	return t
}
