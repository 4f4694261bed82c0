package gradtest

import (
	"fmt"
	"strings"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// The op table: every differentiable autograd op on small shapes (the full Jacobian costs one
// backward per output element and two forwards per input element), with inputs drawn away from
// the points where the op has no derivative; the behaviour at those points is tested against
// PyTorch in autograd/edge_test.go. Broadcasting cases cover both directions, scalars, new leading
// and size-1 middle dimensions; reductions cover several axes with and without keepdim.

// unary, binary and fn shorten the table's entries.
type (
	unary  = func(x *autograd.Var) *autograd.Var
	binary = func(a, b *autograd.Var) *autograd.Var
	draw   = func(rng *tensor.RNG, shape ...int) *tensor.Tensor
)

// registerFunc registers a check of f on inputs drawn by inputs.
func registerFunc(name, shapes string, inputs func(rng *tensor.RNG) []*tensor.Tensor, f func(xs []*autograd.Var) *autograd.Var) {
	Register(Case{Name: name, Shapes: shapes, Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
		return Func(f, inputs(rng)...)
	}})
}

func init() {
	registerUnary()
	registerBinary()
	registerReductions()
	registerShapeOps()
	registerMatmulsAndGraphs()
}

// registerUnary registers the elementwise ops of one input.
func registerUnary() {
	unaries := []struct {
		name string
		op   unary
		draw draw
		x    []int
	}{
		{"neg", autograd.Neg, Normal, []int{3, 4}},
		{"abs", autograd.Abs, AwayFromZero, []int{3, 4}},
		{"exp", autograd.Exp, Normal, []int{3, 4}},
		{"log", autograd.Log, Positive, []int{3, 4}},
		{"sqrt", autograd.Sqrt, Positive, []int{3, 4}},
		{"square", autograd.Square, Normal, []int{3, 4}},
		{"tanh", autograd.Tanh, Normal, []int{3, 4}},
		{"tanh/scalar", autograd.Tanh, Normal, []int{}},
		{"sigmoid", autograd.Sigmoid, Normal, []int{3, 4}},
		{"sigmoid/large", autograd.Sigmoid, func(rng *tensor.RNG, s ...int) *tensor.Tensor { return Uniform(rng, -30, 30, s...) }, []int{7}},
		{"relu", autograd.Relu, AwayFromZero, []int{3, 4}},
		{"leaky_relu", func(x *autograd.Var) *autograd.Var { return autograd.LeakyRelu(x, 0.2) }, AwayFromZero, []int{3, 4}},
		{"pow_scalar/2.5", func(x *autograd.Var) *autograd.Var { return autograd.PowScalar(x, 2.5) }, Positive, []int{3, 4}},
		{"pow_scalar/-1.5", func(x *autograd.Var) *autograd.Var { return autograd.PowScalar(x, -1.5) }, Positive, []int{3, 4}},
		{"pow_scalar/3", func(x *autograd.Var) *autograd.Var { return autograd.PowScalar(x, 3) }, Normal, []int{3, 4}},
		{"pow_scalar/0", func(x *autograd.Var) *autograd.Var { return autograd.PowScalar(x, 0) }, Normal, []int{3, 4}},
		{"scale", func(x *autograd.Var) *autograd.Var { return autograd.Scale(x, -1.75) }, Normal, []int{3, 4}},
		{"add_scalar", func(x *autograd.Var) *autograd.Var { return autograd.AddScalar(x, 3.5) }, Normal, []int{3, 4}},
	}
	for _, u := range unaries {
		registerFunc(u.name, shapeList(u.x), func(rng *tensor.RNG) []*tensor.Tensor { return []*tensor.Tensor{u.draw(rng, u.x...)} },
			func(xs []*autograd.Var) *autograd.Var { return u.op(xs[0]) })
	}
}

// registerBinary registers the elementwise ops of two inputs, each on every broadcasting pattern.
func registerBinary() {
	twoNormal := func(rng *tensor.RNG, a, b []int) []*tensor.Tensor {
		return []*tensor.Tensor{Normal(rng, a...), Normal(rng, b...)}
	}
	binaries := []struct {
		name, sign string
		op         binary
		draw       func(rng *tensor.RNG, a, b []int) []*tensor.Tensor
	}{
		{"add", "+", autograd.Add, twoNormal},
		{"sub", "-", autograd.Sub, twoNormal},
		{"mul", "*", autograd.Mul, twoNormal},
		// The denominator stays away from 0.
		{"div", "/", autograd.Div, func(rng *tensor.RNG, a, b []int) []*tensor.Tensor {
			return []*tensor.Tensor{Normal(rng, a...), AwayFromZero(rng, b...)}
		}},
		// Interleaved grids: no near-ties between the two sides.
		{"maximum", "max", autograd.Maximum, twoGrids},
		{"minimum", "min", autograd.Minimum, twoGrids},
	}
	broadcasts := []struct {
		name string
		a, b []int
	}{
		{"", []int{3, 4}, []int{3, 4}},
		{"/row", []int{2, 3}, []int{3}},
		{"/column_first", []int{2, 1}, []int{2, 3}},
		{"/both_ways", []int{2, 1, 3}, []int{4, 1}},
		{"/scalar_right", []int{2, 3}, []int{}},
		{"/scalar_left", []int{}, []int{3, 2}},
		{"/leading", []int{3}, []int{2, 2, 3}},
		{"/middle_one", []int{2, 1, 3}, []int{2, 2, 3}},
	}
	for _, op := range binaries {
		for _, s := range broadcasts {
			registerFunc(op.name+s.name, shapeList(s.a)+" "+op.sign+" "+shapeList(s.b),
				func(rng *tensor.RNG) []*tensor.Tensor { return op.draw(rng, s.a, s.b) },
				func(xs []*autograd.Var) *autograd.Var { return op.op(xs[0], xs[1]) })
		}
	}
}

// registerReductions registers the reductions of [2,3,4] over several sets of axes, with and
// without keepdim.
func registerReductions() {
	reductions := []struct {
		name string
		op   func(x *autograd.Var, axes []int, keepdim bool) *autograd.Var
		draw draw
	}{
		{"sum", autograd.Sum, Normal},
		{"mean", autograd.Mean, Normal},
		{"max", autograd.Max, Distinct},
		{"min", autograd.Min, Distinct},
		{"variance/unbiased", func(x *autograd.Var, axes []int, keepdim bool) *autograd.Var {
			return autograd.Variance(x, axes, keepdim, 1)
		}, Normal},
		{"variance/biased", func(x *autograd.Var, axes []int, keepdim bool) *autograd.Var {
			return autograd.Variance(x, axes, keepdim, 0)
		}, Normal},
	}
	axesCases := []struct {
		name string
		axes []int
	}{{"all", nil}, {"last", []int{-1}}, {"first", []int{0}}, {"outer_two", []int{0, 2}}, {"inner_two", []int{1, 2}}}
	for _, r := range reductions {
		for _, a := range axesCases {
			for _, keepdim := range []bool{false, true} {
				name := r.name + "/" + a.name
				if keepdim {
					name += "_keepdim"
				}
				registerFunc(name, fmt.Sprintf("[2,3,4] axes %v", a.axes),
					func(rng *tensor.RNG) []*tensor.Tensor { return []*tensor.Tensor{r.draw(rng, 2, 3, 4)} },
					func(xs []*autograd.Var) *autograd.Var { return r.op(xs[0], a.axes, keepdim) })
			}
		}
	}
}

// registerShapeOps registers the shape ops and Cast.
func registerShapeOps() {
	// Each output is multiplied by fixed random weights so that a gradient sent to the
	// wrong element cannot go unnoticed by symmetry.
	shapeOps := []struct {
		name string
		op   unary
		in   []int
	}{
		{"reshape", func(x *autograd.Var) *autograd.Var { return autograd.Reshape(x, 3, -1) }, []int{2, 3, 2}},
		{"permute", func(x *autograd.Var) *autograd.Var { return autograd.Permute(x, 2, 0, 1) }, []int{2, 3, 4}},
		{"permute/negative", func(x *autograd.Var) *autograd.Var { return autograd.Permute(x, 1, -1, 0) }, []int{2, 3, 4}},
		{"transpose", func(x *autograd.Var) *autograd.Var { return autograd.Transpose(x, 0, -1) }, []int{2, 3, 4}},
		{"narrow", func(x *autograd.Var) *autograd.Var { return autograd.Narrow(x, 1, 2, 2) }, []int{2, 5, 3}},
		{"narrow/last_negative_dim", func(x *autograd.Var) *autograd.Var { return autograd.Narrow(x, -1, 0, 2) }, []int{2, 3}},
		{"pad", func(x *autograd.Var) *autograd.Var { return autograd.Pad(x, []int{1, 2, 0, 1}, 0.5) }, []int{2, 2, 3}},
		{"pad/first_only", func(x *autograd.Var) *autograd.Var { return autograd.Pad(x, []int{0, 0, 0, 0, 2, 1}, 0) }, []int{2, 2, 2}},
		{"expand", func(x *autograd.Var) *autograd.Var { return autograd.Expand(x, 2, 3, 4) }, []int{3, 1}},
		{"sum_to", func(x *autograd.Var) *autograd.Var { return autograd.SumTo(x, []int{3, 1}) }, []int{2, 3, 4}},
	}
	for _, s := range shapeOps {
		out := s.op(autograd.Constant(tensor.Zeros(tensor.Float64, s.in...))).Shape()
		Register(Case{Name: s.name, Shapes: shapeList(s.in) + " → " + shapeList(out), Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
			x, w := Normal(rng, s.in...), autograd.Constant(Normal(rng, out...))
			return Func(func(xs []*autograd.Var) *autograd.Var { return autograd.Mul(s.op(xs[0]), w) }, x)
		}})
	}
	concats := []struct {
		name string
		dim  int
		in   [][]int
		out  []int
	}{
		{"concat", 1, [][]int{{2, 1, 3}, {2, 2, 3}, {2, 3, 3}}, []int{2, 6, 3}},
		{"concat/dim0", 0, [][]int{{1, 3}, {2, 3}}, []int{3, 3}},
		{"concat/negative_dim", -1, [][]int{{2, 2}, {2, 1}}, []int{2, 3}},
	}
	for _, c := range concats {
		Register(Case{Name: c.name, Shapes: fmt.Sprintf("%v dim %d", c.in, c.dim), Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
			w := autograd.Constant(Normal(rng, c.out...))
			var xs []*tensor.Tensor
			for _, s := range c.in {
				xs = append(xs, Normal(rng, s...))
			}
			return Func(func(xs []*autograd.Var) *autograd.Var { return autograd.Mul(autograd.Concat(xs, c.dim), w) }, xs...)
		}})
	}
	registerCast()
}

// registerCast checks float64 → float32 → float64.
func registerCast() {
	// float64 → float32 → float64. Float32 rounding would swamp a step of 1e-6, so the inputs are
	// multiples of 2⁻¹⁰ in [-2, 2] and the step is 1/4: the function is linear (a float32 doubling,
	// exact), every perturbed input is exact in float32, and the difference quotient is exact.
	Register(Case{
		Name:   "cast",
		Shapes: "[3,4] f64 → f32 → f64",
		Opts:   autograd.GradCheckOptions{Eps: 0.25},
		Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
			x := tensor.Zeros(tensor.Float64, 3, 4)
			data := tensor.CPUFloat64s(x)
			for i := range data {
				data[i] = float64(rng.IntN(4097)-2048) / 1024
			}
			return Func(func(xs []*autograd.Var) *autograd.Var {
				return autograd.Cast(autograd.Scale(autograd.Cast(xs[0], tensor.Float32), 2), tensor.Float64)
			}, x)
		},
	})
}

// registerMatmulsAndGraphs registers matrix products and graphs that reuse values, where
// gradients must accumulate.
func registerMatmulsAndGraphs() {
	matmuls := []struct {
		name string
		a, b []int
	}{
		{"matmul", []int{3, 4}, []int{4, 5}},
		{"matmul/batched", []int{2, 3, 4}, []int{2, 4, 5}},
		{"matmul/two_batch_dims", []int{2, 2, 2, 3}, []int{2, 2, 3, 2}},
		{"matmul/shared_weight", []int{2, 2, 3, 4}, []int{4, 5}},
		{"matmul/vector_like", []int{1, 4}, []int{4, 1}},
	}
	for _, m := range matmuls {
		registerFunc(m.name, shapeList(m.a)+" @ "+shapeList(m.b),
			func(rng *tensor.RNG) []*tensor.Tensor { return twoNormal(rng, m.a, m.b) },
			func(xs []*autograd.Var) *autograd.Var { return autograd.Matmul(xs[0], xs[1]) })
	}

	// Graphs that reuse values, where gradients must accumulate.
	normals := func(shapes ...[]int) func(rng *tensor.RNG) []*tensor.Tensor {
		return func(rng *tensor.RNG) []*tensor.Tensor {
			var xs []*tensor.Tensor
			for _, s := range shapes {
				xs = append(xs, Normal(rng, s...))
			}
			return xs
		}
	}
	registerFunc("graph/x_times_x", "[3,4] * itself", normals([]int{3, 4}),
		func(xs []*autograd.Var) *autograd.Var { return autograd.Mul(xs[0], xs[0]) })
	registerFunc("graph/diamond", "y=tanh([3,4]); y*[4] + exp(y)", normals([]int{3, 4}, []int{4}), func(xs []*autograd.Var) *autograd.Var {
		y := autograd.Tanh(xs[0])
		return autograd.Add(autograd.Mul(y, xs[1]), autograd.Exp(y))
	})
	registerFunc("graph/three_consumers", "x [3,4] and w [4,2], each used at several depths", normals([]int{3, 4}, []int{4, 2}), func(xs []*autograd.Var) *autograd.Var {
		x, w := xs[0], xs[1]
		h := autograd.Sigmoid(autograd.Matmul(x, w))
		return autograd.Sum(autograd.Add(autograd.Matmul(h, autograd.Transpose(w, 0, 1)), autograd.Scale(x, 0.5)), []int{1}, false)
	})
	registerFunc("graph/normalize", "(x-mean)/sqrt(var+eps) over [2,3,5] last axis", normals([]int{2, 3, 5}), func(xs []*autograd.Var) *autograd.Var {
		x := xs[0]
		mean := autograd.Mean(x, []int{-1}, true)
		std := autograd.Sqrt(autograd.AddScalar(autograd.Variance(x, []int{-1}, true, 0), 1e-5))
		return autograd.Div(autograd.Sub(x, mean), std)
	})
	registerFunc("graph/mse_and_l1", "mean((a-b)²) + mean(|a-b|), [2,3]", func(rng *tensor.RNG) []*tensor.Tensor { return twoGrids(rng, []int{2, 3}, []int{2, 3}) },
		func(xs []*autograd.Var) *autograd.Var {
			d := autograd.Sub(xs[0], xs[1])
			return autograd.Add(autograd.Mean(autograd.Square(d), nil, false), autograd.Mean(autograd.Abs(d), nil, false))
		})
}

// twoNormal draws two standard normal inputs.
func twoNormal(rng *tensor.RNG, a, b []int) []*tensor.Tensor {
	return []*tensor.Tensor{Normal(rng, a...), Normal(rng, b...)}
}

// twoGrids draws the two sides of a max or min (or of |a−b|) from interleaved grids: no near-ties.
func twoGrids(rng *tensor.RNG, a, b []int) []*tensor.Tensor {
	return []*tensor.Tensor{Grid(rng, 0, a...), Grid(rng, 0.5, b...)}
}

// shapeList prints a shape as the table does: [1,2,5,5].
func shapeList(shape []int) string {
	return strings.ReplaceAll(fmt.Sprint(shape), " ", ",")
}
