package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// Var is a tensor taking part in a computation: its value, its gradient once Backward has run, and,
// unless it is a leaf, the node of the op that produced it.
type Var struct {
	Value *tensor.Tensor
	// Grad is the accumulated gradient of a leaf that requires it, nil until a Backward reaches it.
	Grad *tensor.Tensor

	requiresGrad bool
	node         *node
}

// node records one op application: its name (for error messages), its inputs and its backward.
type node struct {
	op     string
	inputs []*Var
	// backward maps the output gradient to one gradient per input (nil for inputs that need none).
	backward func(grad *tensor.Tensor) []*tensor.Tensor
}

// NewVar wraps a tensor as a leaf; requiresGrad marks it as a value to differentiate with respect to
// (a parameter or a checked input).
func NewVar(value *tensor.Tensor, requiresGrad bool) *Var {
	return &Var{Value: value, requiresGrad: requiresGrad}
}

// Constant wraps a tensor as a leaf that needs no gradient.
func Constant(value *tensor.Tensor) *Var { return NewVar(value, false) }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad marks a leaf as needing a gradient (or not). It panics for non-leaves, whose flag
// follows from their inputs.
func (v *Var) SetRequiresGrad(b bool) {
	if v.node != nil {
		panic("autograd: SetRequiresGrad on a non-leaf Var (made by " + v.node.op + "); Detach it first")
	}
	v.requiresGrad = b
}

// IsLeaf reports whether v was made directly rather than by a recorded op.
func (v *Var) IsLeaf() bool { return v.node == nil }

// Shape is the shape of the value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// DType is the value's dtype.
func (v *Var) DType() tensor.DType { return v.Value.DType() }

// Detach returns a leaf that shares v's value and is cut from the graph.
func (v *Var) Detach() *Var { return Constant(v.Value) }

// ZeroGrad drops the accumulated gradient (PyTorch's set_to_none behaviour).
func (v *Var) ZeroGrad() { v.Grad = nil }

func (v *Var) String() string {
	op := "leaf"
	if v.node != nil {
		op = v.node.op
	}
	return fmt.Sprintf("Var(%s, requires_grad=%v, op=%s)", v.Value, v.requiresGrad, op)
}

// Record builds the output Var of an op from its value and its backward; it is how every op in this
// package records itself, and how a user adds an op of their own (the counterpart of
// torch.autograd.Function). op names the op in error messages. out is the forward's result, already
// computed. backward maps the gradient of out (out's shape and dtype) to one gradient per input, in
// the order of inputs, each of its input's shape and dtype; it returns nil for an input that needs
// no gradient (skip the work: check inputs[i].RequiresGrad()). Backward sums the gradients of a
// value used more than once, so backward never accumulates; it must not modify grad, which it may
// return as it is (or a view of it) for an input.
//
// When some input requires a gradient, the output remembers the inputs and backward; otherwise it
// is a constant and backward is never kept (so its closure, and the activations it captured, can be
// collected). That is the whole of grad mode: evaluation records nothing because its inputs are
// constants and its parameters have their gradients switched off (nn.RequiresGrad), which is a
// property of those Vars, not of a goroutine or the process, so another goroutine training its own
// parameters keeps its graph.
func Record(op string, out *tensor.Tensor, inputs []*Var, backward func(grad *tensor.Tensor) []*tensor.Tensor) *Var {
	v := &Var{Value: out}
	for _, in := range inputs {
		if in.requiresGrad {
			v.requiresGrad = true
			v.node = &node{op: op, inputs: inputs, backward: backward}
			break
		}
	}
	return v
}
