package autograd

import (
	"runtime"
	"testing"
	"weak"

	"github.com/zebra-go/zebra/tensor"
)

// collected runs the garbage collector and reports whether the object behind p is gone.
func collected[T any](p weak.Pointer[T]) bool {
	runtime.GC()
	runtime.GC()
	return p.Value() == nil
}

// TestBackwardReleasesActivations holds on to the output of a forward pass, as a training loop
// holding its loss does, and checks that after Backward the intermediate activations are no longer
// reachable from it: the graph must not keep a whole forward pass alive until the loss goes.
func TestBackwardReleasesActivations(t *testing.T) {
	x := NewVar(tensor.FromFloat64([]float64{0.5, -1, 2, 0.25}, 4), true)
	// The intermediates live only inside this function; the weak pointers watch their values.
	forward := func() (*Var, []weak.Pointer[tensor.Tensor]) {
		m := Mul(x, x)
		h := Tanh(m)
		e := Exp(h)
		return Sum(e, nil, false), []weak.Pointer[tensor.Tensor]{weak.Make(m.Value), weak.Make(h.Value), weak.Make(e.Value)}
	}
	y, watched := forward()
	y.Backward()
	for i, p := range watched {
		if !collected(p) {
			t.Errorf("intermediate %d is still reachable from the output after Backward", i)
		}
	}
	if x.Grad == nil {
		t.Fatal("x got no gradient")
	}
	runtime.KeepAlive(y)
	// The graph is gone, and a second Backward still says so rather than returning nothing.
	if msg := mustPanic(t, func() { y.Backward() }); msg == "" {
		t.Error("a second Backward did not panic")
	}
}

// probe is the identity with a backward that calls check first: a window into the middle of a
// backward pass.
func probe(x *Var, check func()) *Var {
	return Record("probe", x.Value.Clone(), []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		check()
		return []*tensor.Tensor{g}
	})
}

// TestBackwardReleasesActivationsAsItGoes checks that activations near the output are freed while
// the backward pass is still working on the layers near the input, as PyTorch frees each node's
// saved tensors once the node has run: peak memory during Backward then falls instead of staying
// at the whole forward pass.
func TestBackwardReleasesActivationsAsItGoes(t *testing.T) {
	x := NewVar(tensor.FromFloat64([]float64{0.5, -1, 2, 0.25}, 4), true)
	var late weak.Pointer[tensor.Tensor]
	probed := false
	forward := func() *Var {
		early := probe(Tanh(x), func() {
			probed = true
			if !collected(late) {
				t.Error("the activations near the output are still reachable when the backward reaches the input")
			}
		})
		a := Exp(Tanh(early))
		b := Sigmoid(a) // keeps its output for its backward
		late = weak.Make(b.Value)
		return Sum(Mul(b, a), nil, false)
	}
	y := forward()
	y.Backward()
	if !probed {
		t.Fatal("the probe's backward never ran")
	}
	runtime.KeepAlive(y)
}

// TestGraphKeepsOnlySavedValues: between the forward and the backward, the graph holds only the
// values that some backward reads (PyTorch's saved tensors), not every intermediate. An
// InstanceNorm's output that a ReLU reads (ReLU keeps its own output), the ReLU's output when only
// a pad reads it (the pad keeps its input's shape), a LeakyRelu's input and the inputs of an Add
// go as soon as the caller drops them (the gradients are GradCheck's business: autograd/gradtest).
func TestGraphKeepsOnlySavedValues(t *testing.T) {
	rng := tensor.NewRNG(3)
	x := NewVar(tensor.Normal(rng, tensor.Float64, 0, 1, 1, 2, 4, 5), true)
	pad := tensor.Pad2d{Top: 1, Bottom: 1, Left: 1, Right: 1}
	forward := func() (*Var, []weak.Pointer[tensor.Tensor]) {
		s := Scale(x, 2)                       // kept by InstanceNorm2d, as a convolution's output is
		n := InstanceNorm2d(s, nil, nil, 1e-5) // read by Relu's forward only
		r := Relu(n)                           // kept by Relu
		p := ReflectionPad2d(r, pad)           // read by Scale's forward only
		q := Scale(p, 0.5)                     // read by Add's forward only
		ps := ReflectionPad2d(s, pad)          // read by LeakyRelu's forward only
		a := Add(q, LeakyRelu(ps, 0.2))        // Add keeps neither input
		return Sum(Mul(a, a), nil, false), []weak.Pointer[tensor.Tensor]{weak.Make(n.Value), weak.Make(p.Value), weak.Make(q.Value), weak.Make(ps.Value)}
	}
	y, watched := forward()
	for i, p := range watched {
		if !collected(p) {
			t.Errorf("value %d, which no backward reads, is still reachable before Backward", i)
		}
	}
	y.Backward()
	if x.Grad == nil {
		t.Fatal("x got no gradient")
	}
	runtime.KeepAlive(y)
}
