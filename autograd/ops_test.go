package autograd

import (
	"testing"

	"github.com/zebra-go/zebra/autograd/gradtest"
	"github.com/zebra-go/zebra/tensor"
)

// Every differentiable op is checked here against central differences, full Jacobian, in float64.
// Inputs are drawn away from the points where an op has no derivative (ReLU's kink, ties in a max)
// by package gradtest, since a finite difference straddling a kink measures the average of two
// slopes; the behaviour at those points is tested against PyTorch in edge_test.go.

// Short names for the input draws, which the case tables below use a lot.
var (
	normal       = gradtest.Normal
	uniform      = gradtest.Uniform
	awayFromZero = gradtest.AwayFromZero
	grid         = gradtest.Grid
	distinct     = gradtest.Distinct
)

type gradCase struct {
	name   string
	f      func(xs []*Var) *Var
	inputs []*tensor.Tensor
}

// checkGrads runs GradCheck on every case (full Jacobian) and demands what cmd/gradcheck promises:
// no entry out of tolerance and a largest relative error below 1e-6.
func checkGrads(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := GradCheck(c.f, c.inputs, GradCheckOptions{Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if res.Entries == 0 || res.MaxRelErr > 1e-6 {
				t.Errorf("max rel err %.3g over %d entries, want < 1e-6", res.MaxRelErr, res.Entries)
			}
		})
	}
}

func unaryCase(name string, op func(*Var) *Var, x *tensor.Tensor) gradCase {
	return gradCase{name, func(xs []*Var) *Var { return op(xs[0]) }, []*tensor.Tensor{x}}
}

func binaryCase(name string, op func(a, b *Var) *Var, a, b *tensor.Tensor) gradCase {
	return gradCase{name, func(xs []*Var) *Var { return op(xs[0], xs[1]) }, []*tensor.Tensor{a, b}}
}

func TestGradElementwiseUnary(t *testing.T) {
	rng := tensor.NewRNG(10)
	checkGrads(t, []gradCase{
		unaryCase("neg", Neg, normal(rng, 2, 3)),
		unaryCase("abs", Abs, awayFromZero(rng, 2, 3)),
		unaryCase("exp", Exp, normal(rng, 2, 3)),
		unaryCase("log", Log, uniform(rng, 0.2, 3, 2, 3)),
		unaryCase("sqrt", Sqrt, uniform(rng, 0.2, 3, 2, 3)),
		unaryCase("square", Square, normal(rng, 2, 3)),
		unaryCase("tanh", Tanh, normal(rng, 2, 3)),
		unaryCase("sigmoid", Sigmoid, normal(rng, 2, 3)),
		unaryCase("sigmoid_large", Sigmoid, uniform(rng, -30, 30, 7)),
		unaryCase("relu", Relu, awayFromZero(rng, 2, 3)),
		unaryCase("leaky_relu", func(x *Var) *Var { return LeakyRelu(x, 0.2) }, awayFromZero(rng, 2, 3)),
		unaryCase("pow_2.5", func(x *Var) *Var { return PowScalar(x, 2.5) }, uniform(rng, 0.2, 2, 2, 3)),
		unaryCase("pow_-1.5", func(x *Var) *Var { return PowScalar(x, -1.5) }, uniform(rng, 0.5, 2, 2, 3)),
		unaryCase("pow_3_negative_x", func(x *Var) *Var { return PowScalar(x, 3) }, normal(rng, 2, 3)),
		unaryCase("pow_0", func(x *Var) *Var { return PowScalar(x, 0) }, normal(rng, 2, 3)),
		unaryCase("scale", func(x *Var) *Var { return Scale(x, -1.75) }, normal(rng, 2, 3)),
		unaryCase("add_scalar", func(x *Var) *Var { return AddScalar(x, 3.5) }, normal(rng, 2, 3)),
		unaryCase("scalar_input", Tanh, normal(rng)),
	})
}

func TestGradElementwiseBinary(t *testing.T) {
	rng := tensor.NewRNG(11)
	ops := []struct {
		name string
		op   func(a, b *Var) *Var
		// make draws the two inputs of the given shapes so that the op is smooth there.
		make func(a, b []int) (*tensor.Tensor, *tensor.Tensor)
	}{
		{"add", Add, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) { return normal(rng, a...), normal(rng, b...) }},
		{"sub", Sub, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) { return normal(rng, a...), normal(rng, b...) }},
		{"mul", Mul, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) { return normal(rng, a...), normal(rng, b...) }},
		{"div", Div, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) {
			return normal(rng, a...), uniform(rng, 0.5, 2, b...)
		}},
		{"maximum", Maximum, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) { return grid(rng, 0, a...), grid(rng, 0.5, b...) }},
		{"minimum", Minimum, func(a, b []int) (*tensor.Tensor, *tensor.Tensor) { return grid(rng, 0, a...), grid(rng, 0.5, b...) }},
	}
	// Broadcasting both ways, a scalar on either side, new leading dimensions and size-1 dimensions
	// in the middle.
	shapes := []struct {
		name string
		a, b []int
	}{
		{"same", []int{2, 3}, []int{2, 3}},
		{"row", []int{2, 3}, []int{3}},
		{"column_first", []int{2, 1}, []int{2, 3}},
		{"both_ways", []int{2, 1, 3}, []int{4, 1}},
		{"scalar_right", []int{2, 3}, []int{}},
		{"scalar_left", []int{}, []int{3, 2}},
		{"leading", []int{3}, []int{2, 2, 3}},
		{"middle_one", []int{2, 1, 3}, []int{2, 2, 3}},
	}
	var cases []gradCase
	for _, op := range ops {
		for _, s := range shapes {
			a, b := op.make(s.a, s.b)
			cases = append(cases, binaryCase(op.name+"/"+s.name, op.op, a, b))
		}
	}
	checkGrads(t, cases)
}

func TestGradReductions(t *testing.T) {
	rng := tensor.NewRNG(12)
	type reduction struct {
		name string
		op   func(x *Var, axes []int, keepdim bool) *Var
		draw func(shape ...int) *tensor.Tensor
	}
	reductions := []reduction{
		{"sum", Sum, func(s ...int) *tensor.Tensor { return normal(rng, s...) }},
		{"mean", Mean, func(s ...int) *tensor.Tensor { return normal(rng, s...) }},
		{"max", Max, func(s ...int) *tensor.Tensor { return distinct(rng, s...) }},
		{"min", Min, func(s ...int) *tensor.Tensor { return distinct(rng, s...) }},
		{"variance_unbiased", func(x *Var, axes []int, keepdim bool) *Var { return Variance(x, axes, keepdim, 1) },
			func(s ...int) *tensor.Tensor { return normal(rng, s...) }},
		{"variance_biased", func(x *Var, axes []int, keepdim bool) *Var { return Variance(x, axes, keepdim, 0) },
			func(s ...int) *tensor.Tensor { return normal(rng, s...) }},
	}
	axesCases := []struct {
		name string
		axes []int
	}{
		{"all", nil},
		{"last", []int{-1}},
		{"first", []int{0}},
		{"outer_two", []int{0, 2}},
		{"inner_two", []int{1, 2}},
	}
	var cases []gradCase
	for _, r := range reductions {
		for _, a := range axesCases {
			for _, keepdim := range []bool{false, true} {
				name := r.name + "/" + a.name
				if keepdim {
					name += "/keepdim"
				}
				op, axes, keep := r.op, a.axes, keepdim
				cases = append(cases, gradCase{name, func(xs []*Var) *Var { return op(xs[0], axes, keep) }, []*tensor.Tensor{r.draw(2, 3, 4)}})
			}
		}
	}
	checkGrads(t, cases)
}

func TestGradShapeOps(t *testing.T) {
	rng := tensor.NewRNG(13)
	// Each shape op is followed by a multiply with fixed random weights, so that every output
	// element matters differently and a gradient routed to the wrong place cannot cancel out.
	weighted := func(y *Var) *Var {
		return Mul(y, Constant(tensor.Normal(tensor.NewRNG(99), tensor.Float64, 0, 1, y.Shape()...)))
	}
	one := func(op func(x *Var) *Var) func(xs []*Var) *Var {
		return func(xs []*Var) *Var { return weighted(op(xs[0])) }
	}
	checkGrads(t, []gradCase{
		{"reshape", one(func(x *Var) *Var { return Reshape(x, 3, -1) }), []*tensor.Tensor{normal(rng, 2, 3, 2)}},
		{"permute", one(func(x *Var) *Var { return Permute(x, 2, 0, 1) }), []*tensor.Tensor{normal(rng, 2, 3, 4)}},
		{"permute_negative", one(func(x *Var) *Var { return Permute(x, 1, -1, 0) }), []*tensor.Tensor{normal(rng, 2, 3, 4)}},
		{"transpose", one(func(x *Var) *Var { return Transpose(x, 0, -1) }), []*tensor.Tensor{normal(rng, 2, 3, 4)}},
		{"narrow_middle", one(func(x *Var) *Var { return Narrow(x, 1, 1, 2) }), []*tensor.Tensor{normal(rng, 2, 4, 3)}},
		{"narrow_last_negative_dim", one(func(x *Var) *Var { return Narrow(x, -1, 0, 2) }), []*tensor.Tensor{normal(rng, 2, 3)}},
		{"pad_last_two", one(func(x *Var) *Var { return Pad(x, []int{1, 2, 0, 1}, 0.5) }), []*tensor.Tensor{normal(rng, 2, 2, 3)}},
		{"pad_first_only", one(func(x *Var) *Var { return Pad(x, []int{0, 0, 0, 0, 2, 1}, 0) }), []*tensor.Tensor{normal(rng, 2, 2, 2)}},
		{"expand", one(func(x *Var) *Var { return Expand(x, 2, 3, 4) }), []*tensor.Tensor{normal(rng, 3, 1)}},
		{"sum_to", one(func(x *Var) *Var { return SumTo(x, []int{3, 1}) }), []*tensor.Tensor{normal(rng, 2, 3, 4)}},
		{"concat_dim1", func(xs []*Var) *Var { return weighted(Concat(xs, 1)) },
			[]*tensor.Tensor{normal(rng, 2, 1, 3), normal(rng, 2, 2, 3), normal(rng, 2, 3, 3)}},
		{"concat_dim0", func(xs []*Var) *Var { return weighted(Concat(xs, 0)) },
			[]*tensor.Tensor{normal(rng, 1, 3), normal(rng, 2, 3)}},
		{"concat_negative_dim", func(xs []*Var) *Var { return weighted(Concat(xs, -1)) },
			[]*tensor.Tensor{normal(rng, 2, 2), normal(rng, 2, 1)}},
		{"cast_roundtrip", one(func(x *Var) *Var { return Cast(x, tensor.Float64) }), []*tensor.Tensor{normal(rng, 2, 3)}},
	})
}

func TestGradMatmul(t *testing.T) {
	rng := tensor.NewRNG(14)
	checkGrads(t, []gradCase{
		binaryCase("matrix", Matmul, normal(rng, 3, 4), normal(rng, 4, 2)),
		binaryCase("batched", Matmul, normal(rng, 2, 3, 4), normal(rng, 2, 4, 2)),
		binaryCase("two_batch_dims", Matmul, normal(rng, 2, 2, 2, 3), normal(rng, 2, 2, 3, 2)),
		binaryCase("shared_weight", Matmul, normal(rng, 2, 3, 4), normal(rng, 4, 2)),
		binaryCase("shared_weight_two_batch_dims", Matmul, normal(rng, 2, 2, 1, 3), normal(rng, 3, 2)),
		binaryCase("vector_like", Matmul, normal(rng, 1, 4), normal(rng, 4, 1)),
	})
}

// TestGradCast checks a float64 → float32 → float64 round trip. Float32 rounding would swamp a
// difference step of 1e-6, so the inputs are multiples of 2⁻¹⁰ in [-2, 2] and the step is 2⁻¹⁰:
// every perturbed value is exact in float32 and the numeric derivative is exact.
func TestGradCast(t *testing.T) {
	rng := tensor.NewRNG(15)
	x := tensor.Zeros(tensor.Float64, 2, 3)
	for i := range tensor.CPUFloat64s(x) {
		tensor.CPUFloat64s(x)[i] = float64(rng.IntN(4097)-2048) / 1024
	}
	f := func(xs []*Var) *Var {
		y := Cast(xs[0], tensor.Float32)
		if y.DType() != tensor.Float32 {
			t.Fatalf("Cast to float32 gave %s", y.DType())
		}
		return Cast(Mul(y, y), tensor.Float64)
	}
	res, err := GradCheck(f, []*tensor.Tensor{x}, GradCheckOptions{Eps: 1.0 / 1024})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelErr > 1e-6 {
		t.Errorf("max rel err %.3g", res.MaxRelErr)
	}
}

// TestGradComposites checks graphs that reuse values: x·x (one input reaching an op twice), a
// diamond (one value feeding two branches that meet again), a value used by three consumers at
// different depths, and a Var made of every kind of op at once.
func TestGradComposites(t *testing.T) {
	rng := tensor.NewRNG(16)
	checkGrads(t, []gradCase{
		{"x_times_x", func(xs []*Var) *Var { return Mul(xs[0], xs[0]) }, []*tensor.Tensor{normal(rng, 2, 3)}},
		{"diamond", func(xs []*Var) *Var {
			y := Tanh(xs[0])
			return Add(Mul(y, xs[1]), Exp(y))
		}, []*tensor.Tensor{normal(rng, 2, 3), normal(rng, 3)}},
		{"three_consumers", func(xs []*Var) *Var {
			x := xs[0]
			h := Sigmoid(Matmul(x, xs[1]))
			return Sum(Add(Matmul(h, Transpose(xs[1], 0, 1)), Scale(x, 0.5)), []int{1}, false)
		}, []*tensor.Tensor{normal(rng, 3, 4), normal(rng, 4, 2)}},
		{"normalize", func(xs []*Var) *Var {
			// (x - mean) / sqrt(var + eps): InstanceNorm written out of primitives.
			x := xs[0]
			mu := Mean(x, []int{-1}, true)
			sd := Sqrt(AddScalar(Variance(x, []int{-1}, true, 0), 1e-5))
			return Div(Sub(x, mu), sd)
		}, []*tensor.Tensor{normal(rng, 2, 5)}},
		{"mse_and_l1", func(xs []*Var) *Var {
			d := Sub(xs[0], xs[1])
			return Add(Mean(Square(d), nil, false), Mean(Abs(d), nil, false))
		}, []*tensor.Tensor{grid(rng, 0, 2, 3), grid(rng, 0.5, 2, 3)}},
	})
}
