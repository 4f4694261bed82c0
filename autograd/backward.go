package autograd

import (
	"fmt"
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// Backward computes the gradient of v with respect to every leaf that requires one and accumulates
// it into that leaf's Grad. v must be a scalar (one element), which is seeded with 1; use
// BackwardWith for other outputs.
//
// The graph is freed as it is consumed, as in PyTorch: once a node's backward has run, the node
// drops its closure (and the activations it captured) and its links to its inputs, so an
// intermediate Var, and its Value, becomes garbage as soon as the pass has gone below it, even
// while v itself is still referenced. Memory falls during the backward pass instead of holding the
// whole forward until it ends. The intermediate gradients themselves are handed back to the
// backend (tensor.Release) as soon as they are summed or passed down, so that on the CPU the
// next ones reuse their buffers instead of fresh, zeroed memory. Call Backward once per forward:
// a second call over the same graph panics.
func (v *Var) Backward() {
	if v.Value.Numel() != 1 {
		panic(fmt.Sprintf("autograd.Backward: output of shape %v is not a scalar; use BackwardWith and pass its gradient", v.Value.Shape()))
	}
	v.BackwardWith(tensor.FullLike(v.Value, 1))
}

// BackwardWith runs the backward pass from v seeded with the gradient grad (v's shape and dtype).
func (v *Var) BackwardWith(grad *tensor.Tensor) {
	if !v.requiresGrad {
		panic("autograd.Backward: output does not require a gradient (no input or parameter requires one)")
	}
	if !slices.Equal(grad.Shape(), v.Value.Shape()) || grad.DType() != v.Value.DType() {
		panic(fmt.Sprintf("autograd.Backward: gradient %s %v for output %s %v", grad.DType(), grad.Shape(), v.Value.DType(), v.Value.Shape()))
	}
	order := topoSort(edgeTo(v))
	grads := newPendingGradients(edgeTo(v), grad)
	// Every edge comes after all of its consumers, so its gradient is complete when its turn comes.
	for i := len(order) - 1; i >= 0; i-- {
		e := order[i]
		// From here on only the nodes not yet run (through their inputs) and the pending gradients
		// reach e, so e's node becomes garbage once its consumers and it have run.
		order[i] = edge{}
		g := grads.take(e)
		switch {
		case g == nil: // its consumers' backwards returned no gradient for e
		case e.node == nil:
			accumulate(&e.leaf.Grad, g) // a leaf: a copy, or added into its gradient
		default:
			e.node.propagate(g, grads)
		}
		grads.releaseDead()
	}
}

// propagate runs the node's backward on its output gradient g, adds each input's gradient to
// grads, and frees the node: the closure holds the activations its backward needed, the inputs
// hold the nodes below. The op name stays for the "already freed" message.
func (n *node) propagate(g *tensor.Tensor, grads *pendingGradients) {
	if n.backward == nil {
		panic("autograd.Backward: the graph through " + n.op + " was already freed by an earlier Backward")
	}
	inGrads := n.backward(g)
	for j, in := range n.inputs {
		if in.requiresGrad() && inGrads[j] != nil {
			checkGrad(n.op, in, inGrads[j])
			grads.add(in, inGrads[j])
		}
	}
	n.backward = nil
	n.inputs = nil
}

// accumulate adds g into *dst, allocating on first use. The first gradient is copied so that a
// later in-place accumulation never writes into a tensor that some op still shares.
func accumulate(dst **tensor.Tensor, g *tensor.Tensor) {
	if *dst == nil {
		*dst = g.Clone()
		return
	}
	tensor.AddInPlace(*dst, g)
}

// checkGrad catches a backward that returns a gradient of the wrong shape or dtype at the op that
// produced it, rather than far away. It panics with a *badGradient, so that GradCheck can tell this
// failure of the op under test from any other panic and report it as an error.
func checkGrad(op string, in edge, g *tensor.Tensor) {
	if !slices.Equal(g.Shape(), in.shape()) || g.DType() != in.dtype() {
		panic(&badGradient{input: in.leaf, msg: fmt.Sprintf("autograd: backward of %s returned a %s %v gradient for a %s %v input",
			op, g.DType(), g.Shape(), in.dtype(), in.shape())})
	}
}

// badGradient is checkGrad's panic value: an op's backward returned a gradient that does not match
// its input. Its message is what the panic prints.
type badGradient struct {
	input *Var // the input the gradient was for, when it is a leaf (nil for an op's output)
	msg   string
}

func (e *badGradient) Error() string { return e.msg }

// topoSort returns every edge that v depends on and that requires a gradient, each after all of
// its inputs. It is an iterative depth-first search, so deep graphs (a long training step) cannot
// overflow the goroutine stack.
func topoSort(v edge) []edge {
	var order []edge
	visited := map[edge]bool{}
	type frame struct {
		e    edge
		next int // index of the next input to visit
	}
	stack := []frame{{e: v}}
	visited[v] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.e.node != nil && top.next < len(top.e.node.inputs) {
			in := top.e.node.inputs[top.next]
			top.next++
			if in.requiresGrad() && !visited[in] {
				visited[in] = true
				stack = append(stack, frame{e: in})
			}
			continue
		}
		order = append(order, top.e)
		stack = stack[:len(stack)-1]
	}
	return order
}
