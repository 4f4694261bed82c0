package main

import (
	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/autograd/gradtest"
	"github.com/zebra-go/zebra/tensor"
)

// Short names for the input draws of package gradtest, which the tables here and in layers.go use
// a lot.
var (
	normal       = gradtest.Normal
	uniform      = gradtest.Uniform
	positive     = gradtest.Positive
	awayFromZero = gradtest.AwayFromZero
	distinct     = gradtest.Distinct
)

// The autograd ops, each on small shapes (the full Jacobian costs one backward per output element
// and two forwards per input element). Broadcasting cases cover both directions, scalars and new
// leading dimensions; reductions cover several axes with and without keepdim.

func init() {
	// Elementwise, one input. The draw avoids each op's kinks and keeps it in its domain.
	unary := []struct {
		name string
		op   func(x *autograd.Var) *autograd.Var
		draw func(rng *tensor.RNG, shape ...int) *tensor.Tensor
	}{
		{"neg", autograd.Neg, normal},
		{"abs", autograd.Abs, awayFromZero},
		{"exp", autograd.Exp, normal},
		{"log", autograd.Log, positive},
		{"sqrt", autograd.Sqrt, positive},
		{"square", autograd.Square, normal},
		{"tanh", autograd.Tanh, normal},
		{"sigmoid", autograd.Sigmoid, normal},
		{"relu", autograd.Relu, awayFromZero},
		{"leaky_relu", func(x *autograd.Var) *autograd.Var { return autograd.LeakyRelu(x, 0.2) }, awayFromZero},
		{"pow_scalar/2.5", func(x *autograd.Var) *autograd.Var { return autograd.PowScalar(x, 2.5) }, positive},
		{"pow_scalar/-1.5", func(x *autograd.Var) *autograd.Var { return autograd.PowScalar(x, -1.5) }, positive},
		{"pow_scalar/3", func(x *autograd.Var) *autograd.Var { return autograd.PowScalar(x, 3) }, normal},
		{"scale", func(x *autograd.Var) *autograd.Var { return autograd.Scale(x, -1.75) }, normal},
		{"add_scalar", func(x *autograd.Var) *autograd.Var { return autograd.AddScalar(x, 3.5) }, normal},
	}
	for _, u := range unary {
		register(check{
			name:   u.name,
			shapes: "[3,4]",
			build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
				return func(xs []*autograd.Var) *autograd.Var { return u.op(xs[0]) }, inputs(u.draw(rng, 3, 4))
			},
		})
	}

	// Elementwise, two inputs, with broadcasting.
	binary := []struct {
		name, shapes string
		op           func(a, b *autograd.Var) *autograd.Var
		a, b         []int
		draw         func(rng *tensor.RNG, a, b []int) (*tensor.Tensor, *tensor.Tensor)
	}{
		{"add", "[3,4] + [3,4]", autograd.Add, []int{3, 4}, []int{3, 4}, twoNormal},
		{"add/broadcast_both_ways", "[2,1,4] + [3,1]", autograd.Add, []int{2, 1, 4}, []int{3, 1}, twoNormal},
		{"add/scalar", "[3,4] + []", autograd.Add, []int{3, 4}, []int{}, twoNormal},
		{"sub/broadcast_row", "[3,4] - [4]", autograd.Sub, []int{3, 4}, []int{4}, twoNormal},
		{"sub/broadcast_left", "[4] - [2,3,4]", autograd.Sub, []int{4}, []int{2, 3, 4}, twoNormal},
		{"mul/broadcast_leading", "[2,3,4] * [3,1]", autograd.Mul, []int{2, 3, 4}, []int{3, 1}, twoNormal},
		{"mul/scalar_left", "[] * [3,4]", autograd.Mul, []int{}, []int{3, 4}, twoNormal},
		{"div", "[3,4] / [3,4]", autograd.Div, []int{3, 4}, []int{3, 4}, numeratorDenominator},
		{"div/broadcast_column", "[3,4] / [3,1]", autograd.Div, []int{3, 4}, []int{3, 1}, numeratorDenominator},
		{"maximum", "max([3,4], [3,4])", autograd.Maximum, []int{3, 4}, []int{3, 4}, twoGrids},
		{"maximum/broadcast", "max([2,1,4], [3,4])", autograd.Maximum, []int{2, 1, 4}, []int{3, 4}, twoGrids},
		{"minimum", "min([3,4], [3,4])", autograd.Minimum, []int{3, 4}, []int{3, 4}, twoGrids},
		{"minimum/broadcast", "min([4], [3,4])", autograd.Minimum, []int{4}, []int{3, 4}, twoGrids},
	}
	for _, b := range binary {
		register(check{
			name:   b.name,
			shapes: b.shapes,
			build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
				x, y := b.draw(rng, b.a, b.b)
				return func(xs []*autograd.Var) *autograd.Var { return b.op(xs[0], xs[1]) }, inputs(x, y)
			},
		})
	}

	// Reductions over [2,3,4].
	reductions := []struct {
		name, shapes string
		op           func(x *autograd.Var) *autograd.Var
		draw         func(rng *tensor.RNG, shape ...int) *tensor.Tensor
	}{
		{"sum/all", "[2,3,4] → []", func(x *autograd.Var) *autograd.Var { return autograd.Sum(x, nil, false) }, normal},
		{"sum/axes_0_2", "[2,3,4] → [3]", func(x *autograd.Var) *autograd.Var { return autograd.Sum(x, []int{0, 2}, false) }, normal},
		{"sum/axes_0_2_keepdim", "[2,3,4] → [1,3,1]", func(x *autograd.Var) *autograd.Var { return autograd.Sum(x, []int{0, 2}, true) }, normal},
		{"mean/last_keepdim", "[2,3,4] → [2,3,1]", func(x *autograd.Var) *autograd.Var { return autograd.Mean(x, []int{-1}, true) }, normal},
		{"mean/axes_1_2", "[2,3,4] → [2]", func(x *autograd.Var) *autograd.Var { return autograd.Mean(x, []int{1, 2}, false) }, normal},
		{"max/all", "[2,3,4] → []", func(x *autograd.Var) *autograd.Var { return autograd.Max(x, nil, false) }, distinct},
		{"max/axes_0_2_keepdim", "[2,3,4] → [1,3,1]", func(x *autograd.Var) *autograd.Var { return autograd.Max(x, []int{0, 2}, true) }, distinct},
		{"min/axis_1", "[2,3,4] → [2,4]", func(x *autograd.Var) *autograd.Var { return autograd.Min(x, []int{1}, false) }, distinct},
		{"variance/unbiased_last", "[2,3,4] → [2,3]", func(x *autograd.Var) *autograd.Var { return autograd.Variance(x, []int{-1}, false, 1) }, normal},
		{"variance/biased_axes_1_2_keepdim", "[2,3,4] → [2,1,1]", func(x *autograd.Var) *autograd.Var { return autograd.Variance(x, []int{1, 2}, true, 0) }, normal},
	}
	for _, r := range reductions {
		register(check{
			name:   r.name,
			shapes: r.shapes,
			build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
				return func(xs []*autograd.Var) *autograd.Var { return r.op(xs[0]) }, inputs(r.draw(rng, 2, 3, 4))
			},
		})
	}

	// Shape ops. Each output is multiplied by fixed random weights so that a gradient sent to the
	// wrong element cannot go unnoticed by symmetry.
	shapeOps := []struct {
		name, shapes string
		op           func(x *autograd.Var) *autograd.Var
		in           []int
	}{
		{"reshape", "[2,3,2] → [3,4]", func(x *autograd.Var) *autograd.Var { return autograd.Reshape(x, 3, -1) }, []int{2, 3, 2}},
		{"permute", "[2,3,4] → [4,2,3]", func(x *autograd.Var) *autograd.Var { return autograd.Permute(x, 2, 0, 1) }, []int{2, 3, 4}},
		{"transpose", "[2,3,4] → [4,3,2]", func(x *autograd.Var) *autograd.Var { return autograd.Transpose(x, 0, -1) }, []int{2, 3, 4}},
		{"narrow", "[2,5,3] → [2,2,3]", func(x *autograd.Var) *autograd.Var { return autograd.Narrow(x, 1, 2, 2) }, []int{2, 5, 3}},
		{"pad", "[2,2,3] → [2,3,6]", func(x *autograd.Var) *autograd.Var { return autograd.Pad(x, []int{1, 2, 0, 1}, 0.5) }, []int{2, 2, 3}},
		{"expand", "[3,1] → [2,3,4]", func(x *autograd.Var) *autograd.Var { return autograd.Expand(x, 2, 3, 4) }, []int{3, 1}},
		{"sum_to", "[2,3,4] → [3,1]", func(x *autograd.Var) *autograd.Var { return autograd.SumTo(x, []int{3, 1}) }, []int{2, 3, 4}},
	}
	for _, s := range shapeOps {
		register(check{
			name:   s.name,
			shapes: s.shapes,
			build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
				x := normal(rng, s.in...)
				w := normal(rng, s.op(autograd.Constant(x)).Shape()...) // a constant input records nothing
				return func(xs []*autograd.Var) *autograd.Var {
					return autograd.Mul(s.op(xs[0]), autograd.Constant(w))
				}, inputs(x)
			},
		})
	}
	register(check{
		name:   "concat",
		shapes: "[2,1,3] ++ [2,2,3] ++ [2,3,3] (dim 1)",
		build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
			w := autograd.Constant(normal(rng, 2, 6, 3))
			return func(xs []*autograd.Var) *autograd.Var {
				return autograd.Mul(autograd.Concat(xs, 1), w)
			}, inputs(normal(rng, 2, 1, 3), normal(rng, 2, 2, 3), normal(rng, 2, 3, 3))
		},
	})
	// float64 → float32 → float64. Float32 rounding would swamp a step of 1e-6, so the inputs are
	// multiples of 2⁻¹⁰ in [-2, 2] and the step is 1/4: the function is linear (a float32 doubling,
	// exact), every perturbed input is exact in float32, and the difference quotient is exact.
	register(check{
		name:   "cast",
		shapes: "[3,4] f64 → f32 → f64",
		opts:   autograd.GradCheckOptions{Eps: 0.25},
		build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
			x := tensor.Zeros(tensor.Float64, 3, 4)
			data := tensor.CPUFloat64s(x)
			for i := range data {
				data[i] = float64(rng.IntN(4097)-2048) / 1024
			}
			return func(xs []*autograd.Var) *autograd.Var {
				y := autograd.Scale(autograd.Cast(xs[0], tensor.Float32), 2)
				return autograd.Cast(y, tensor.Float64)
			}, inputs(x)
		},
	})

	// Matrix products.
	matmuls := []struct {
		name, shapes string
		a, b         []int
	}{
		{"matmul", "[3,4] @ [4,5]", []int{3, 4}, []int{4, 5}},
		{"matmul/batched", "[2,3,4] @ [2,4,5]", []int{2, 3, 4}, []int{2, 4, 5}},
		{"matmul/shared_weight", "[2,2,3,4] @ [4,5]", []int{2, 2, 3, 4}, []int{4, 5}},
	}
	for _, m := range matmuls {
		register(check{
			name:   m.name,
			shapes: m.shapes,
			build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
				return func(xs []*autograd.Var) *autograd.Var { return autograd.Matmul(xs[0], xs[1]) },
					inputs(normal(rng, m.a...), normal(rng, m.b...))
			},
		})
	}

	// Graphs that reuse values, where gradients must accumulate.
	register(check{
		name:   "graph/x_times_x",
		shapes: "[3,4] * itself",
		build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
			return func(xs []*autograd.Var) *autograd.Var { return autograd.Mul(xs[0], xs[0]) }, inputs(normal(rng, 3, 4))
		},
	})
	register(check{
		name:   "graph/diamond",
		shapes: "y=tanh([3,4]); y*[4] + exp(y)",
		build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
			return func(xs []*autograd.Var) *autograd.Var {
				y := autograd.Tanh(xs[0])
				return autograd.Add(autograd.Mul(y, xs[1]), autograd.Exp(y))
			}, inputs(normal(rng, 3, 4), normal(rng, 4))
		},
	})
	register(check{
		name:   "graph/normalize",
		shapes: "(x-mean)/sqrt(var+eps) over [2,3,5] last axis",
		build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
			return func(xs []*autograd.Var) *autograd.Var {
				x := xs[0]
				mean := autograd.Mean(x, []int{-1}, true)
				std := autograd.Sqrt(autograd.AddScalar(autograd.Variance(x, []int{-1}, true, 0), 1e-5))
				return autograd.Div(autograd.Sub(x, mean), std)
			}, inputs(normal(rng, 2, 3, 5))
		},
	})
}

func twoNormal(rng *tensor.RNG, a, b []int) (*tensor.Tensor, *tensor.Tensor) {
	return normal(rng, a...), normal(rng, b...)
}

// numeratorDenominator keeps the denominator away from 0.
func numeratorDenominator(rng *tensor.RNG, a, b []int) (*tensor.Tensor, *tensor.Tensor) {
	return normal(rng, a...), awayFromZero(rng, b...)
}

// twoGrids draws the two sides of a max or min from interleaved grids: no near-ties.
func twoGrids(rng *tensor.RNG, a, b []int) (*tensor.Tensor, *tensor.Tensor) {
	return gradtest.Grid(rng, 0, a...), gradtest.Grid(rng, 0.5, b...)
}
