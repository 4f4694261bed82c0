package autograd

import (
	"slices"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// TestOpsDoNotAliasTheCallersSlices reuses every slice argument right after the forward, as a
// caller building pads, axes or a list of parts in a loop would, and checks that the backward still
// computes the gradient of the forward that actually ran. Each case runs the op twice on the same
// input, once with a slice that is clobbered after the call and once with a fresh slice that is
// left alone, and the two gradients must agree.
func TestOpsDoNotAliasTheCallersSlices(t *testing.T) {
	for _, c := range aliasCases {
		t.Run(c.name, func(t *testing.T) {
			want, got := aliasGrad(t, c.run, false), aliasGrad(t, c.run, true)
			if !slices.Equal(got, want) {
				t.Errorf("after the caller reused its slice, x's gradient is %v, want %v", got, want)
			}
		})
	}
}

// aliasCases are the ops of TestOpsDoNotAliasTheCallersSlices that take a slice.
var aliasCases = []struct {
	name string
	// run applies the op to x and returns its output; clobber, when set, overwrites the slice
	// it passed once the forward is done.
	run func(x *Var, clobber bool) *Var
}{
	{"pad", func(x *Var, clobber bool) *Var {
		pads := []int{1, 2, 0, 1}
		y := Pad(x, pads, 0)
		if clobber {
			pads[0], pads[3] = 0, 0
		}
		return y
	}},
	{"concat", func(x *Var, clobber bool) *Var {
		c := NewVar(tensor.Ones(tensor.Float64, 2, 3), true)
		parts := []*Var{x, c}
		y := Concat(parts, 1)
		if clobber {
			parts[0] = c
		}
		return y
	}},
	{"sum", reduceCase(func(x *Var, axes []int) *Var { return Sum(x, axes, false) })},
	{"mean", reduceCase(func(x *Var, axes []int) *Var { return Mean(x, axes, false) })},
	{"variance", reduceCase(func(x *Var, axes []int) *Var { return Variance(x, axes, false, 1) })},
	{"max", reduceCase(func(x *Var, axes []int) *Var { return Max(x, axes, false) })},
	{"min", reduceCase(func(x *Var, axes []int) *Var { return Min(x, axes, false) })},
	{"permute", func(x *Var, clobber bool) *Var {
		perm := []int{1, 0}
		y := Permute(x, perm...)
		if clobber {
			perm[0], perm[1] = 0, 1
		}
		return y
	}},
	{"reshape", func(x *Var, clobber bool) *Var {
		shape := []int{3, 2}
		y := Reshape(x, shape...)
		if clobber {
			shape[0], shape[1] = 6, 1
		}
		return y
	}},
	{"expand", func(x *Var, clobber bool) *Var {
		shape := []int{2, 2, 3}
		y := Expand(x, shape...)
		if clobber {
			shape[0] = 1
		}
		return y
	}},
	{"sum_to", func(x *Var, clobber bool) *Var {
		shape := []int{1, 3}
		y := SumTo(x, shape)
		if clobber {
			shape[0] = 2
		}
		return y
	}},
}

// aliasGrad runs an aliasing case on a fixed x and returns x's gradient.
func aliasGrad(t *testing.T, run func(x *Var, clobber bool) *Var, clobber bool) (g []float64) {
	t.Helper()
	// A stale slice can make the backward panic (a gradient of the wrong shape): that is a failure
	// of this case, not of the whole test.
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("backward panicked after the caller reused its slice: %v", r)
		}
	}()
	x := NewVar(tensor.FromFloat64([]float64{1, 5, 3, 4, 2, 6}, 2, 3), true)
	y := run(x, clobber)
	// A seed that differs element by element, so a misrouted gradient shows.
	seed := tensor.Arange(tensor.Float64, 1, float64(y.Value.Numel()+1), 1)
	y.BackwardWith(tensor.Reshape(seed, y.Shape()...))
	if x.Grad == nil {
		t.Fatal("x got no gradient")
	}
	return x.Grad.Float64s()
}

// reduceCase builds an aliasing case for a reduction: reduce over axis 1, then point the caller's
// axes at axis 0.
func reduceCase(op func(x *Var, axes []int) *Var) func(x *Var, clobber bool) *Var {
	return func(x *Var, clobber bool) *Var {
		axes := []int{1}
		y := op(x, axes)
		if clobber {
			axes[0] = 0
		}
		return y
	}
}
