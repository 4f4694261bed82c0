package autograd

import (
	"math"
	"slices"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// PyTorch's choices where max pooling has no derivative: a tie sends the gradient to the first
// maximum in row-major order, and a NaN is the maximum (and takes the gradient).
func TestMaxPool2dTiesAndNaN(t *testing.T) {
	nan := math.NaN()
	x := NewVar(tensor.FromFloat64([]float64{
		1, 5, 5,
		5, 2, nan,
		0, 3, 4,
	}, 1, 1, 3, 3), true)
	y := MaxPool2d(x, Pool2dOptions{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}})
	got := y.Value.Float64s()
	if got[0] != 5 || !math.IsNaN(got[1]) || got[2] != 5 || !math.IsNaN(got[3]) {
		t.Fatalf("pooled %v, want [5 NaN 5 NaN]", got)
	}
	y.BackwardWith(tensor.FromFloat64([]float64{1, 10, 100, 1000}, 1, 1, 2, 2))
	// Window (0,0) ties between (0,1) and (1,0): the first, (0,1), takes 1; window (1,0)'s 5 at
	// (1,0) takes 100; both windows holding the NaN give it theirs, 10 + 1000.
	want := []float64{0, 1, 0, 100, 0, 1010, 0, 0, 0}
	if g := x.Grad.Float64s(); !slices.Equal(g, want) {
		t.Errorf("gradient %v, want %v", g, want)
	}
}

// Separable2d's backward is its transpose: <R·x·Cᵀ, g> = <x, Rᵀ·g·C> for any x and g.
func TestSeparable2dAdjoint(t *testing.T) {
	rng := tensor.NewRNG(3)
	x := NewVar(tensor.Normal(rng, tensor.Float64, 0, 1, 2, 3, 4, 5), true)
	rows := tensor.Normal(rng, tensor.Float64, 0, 1, 6, 4)
	cols := tensor.Normal(rng, tensor.Float64, 0, 1, 2, 5)
	y := Separable2d(x, rows, cols)
	g := tensor.Normal(rng, tensor.Float64, 0, 1, y.Shape()...)
	y.BackwardWith(g)
	lhs := tensor.Sum(tensor.Mul(y.Value, g), nil, false).Item()
	rhs := tensor.Sum(tensor.Mul(x.Value, x.Grad), nil, false).Item()
	if math.Abs(lhs-rhs) > 1e-10*math.Abs(lhs) {
		t.Errorf("<y, g> = %g, <x, dx> = %g", lhs, rhs)
	}
	if !slices.Equal(y.Shape(), []int{2, 3, 6, 2}) {
		t.Errorf("shape %v, want [2 3 6 2]", y.Shape())
	}
}
