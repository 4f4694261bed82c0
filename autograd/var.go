package autograd

import (
	"fmt"
	"slices"

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

// node records one op application: its name (for error messages), its inputs and its backward,
// and the shape and dtype of its output, which its gradient must have.
//
// The graph links nodes, not Vars: an input is the node that made it, or the leaf itself. A Var
// holds its Value, so a graph of Vars would keep every intermediate value of a forward pass alive
// until Backward reached it, whether or not any backward reads it; linked by nodes, the graph keeps
// only what the backward closures capture (PyTorch's saved tensors). An InstanceNorm's output, for
// instance, which the ReLU after it reads in its forward and no backward reads, is then collected as
// soon as the caller drops it. With each op keeping only what its backward reads, a CycleGAN
// generator's graph holds 65 M values at 256x256 instead of the 123 M its layers output
// (models/cyclegan's MemoryEstimate counts them).
type node struct {
	op     string
	inputs []edge
	// backward maps the output gradient to one gradient per input (nil for inputs that need none).
	backward func(grad *tensor.Tensor) []*tensor.Tensor
	shape    []int
	dtype    tensor.DType
}

// edge is where a gradient goes: the node of an op's output, or a leaf. It is a map key during
// Backward.
type edge struct {
	node *node
	leaf *Var
}

// edgeTo is the edge of the gradient of v.
func edgeTo(v *Var) edge {
	if v.node != nil {
		return edge{node: v.node}
	}
	return edge{leaf: v}
}

// shape and dtype are those of the value whose gradient travels along e. A backward that needs an
// input's shape or flag and not its value captures the input's edge rather than the Var, which
// would keep the value (Add, Sub).
func (e edge) shape() []int {
	if e.node != nil {
		return e.node.shape
	}
	return e.leaf.Value.Shape()
}

func (e edge) dtype() tensor.DType {
	if e.node != nil {
		return e.node.dtype
	}
	return e.leaf.Value.DType()
}

// requiresGrad reports whether a gradient flows along e. A leaf's flag is read when Backward runs,
// as it was when the graph linked Vars (GradCheck switches its inputs on before each call).
func (e edge) requiresGrad() bool { return e.node != nil || e.leaf.requiresGrad }

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
// What backward captures is what the graph keeps until the backward pass reaches it: capture the
// tensors backward reads, and an input's shape rather than the input when that is all it reads
// (Add, ReflectionPad2d); the graph itself does not hold the inputs' values.
//
// When some input requires a gradient, the output remembers the inputs and backward; otherwise it
// is a constant and backward is never kept (so its closure, and the activations it captured, can be
// collected). That is the whole of grad mode: evaluation records nothing because its inputs are
// constants and its parameters have their gradients switched off (nn.RequiresGrad), which is a
// property of those Vars, not of a goroutine or the process, so another goroutine training its own
// parameters keeps its graph.
func Record(op string, out *tensor.Tensor, inputs []*Var, backward func(grad *tensor.Tensor) []*tensor.Tensor) *Var {
	v := &Var{Value: out}
	if !slices.ContainsFunc(inputs, (*Var).RequiresGrad) {
		return v
	}
	edges := make([]edge, len(inputs))
	for i, in := range inputs {
		edges[i] = edgeTo(in)
	}
	v.requiresGrad = true
	v.node = &node{op: op, inputs: edges, backward: backward, shape: out.Shape(), dtype: out.DType()}
	return v
}
