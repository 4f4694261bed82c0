package autograd

import (
	"math"
	"slices"
	"testing"

	"github.com/zebra-go/zebra/internal/golden"
	"github.com/zebra-go/zebra/tensor"
)

// The gradients at kinks, ties and domain edges are conventions, not calculus: GradCheck cannot
// test them (a finite difference straddles the kink). testdata/edge_grads.json holds PyTorch's
// answers, written by scripts/golden/autograd_edge_grads.py; every case here must match them exactly, non-finite
// values included.

// goldenTensor makes a tensor of a golden file's tensor (golden.Tensor reads the strings "nan",
// "inf" and "-inf" that the generator writes for non-finite values).
func goldenTensor(g golden.Tensor) *tensor.Tensor {
	return tensor.FromFloat64(g.Float64s(), g.Shape...)
}

type edgeCase struct {
	Name string `json:"name"`
	Op   string `json:"op"`
	Args struct {
		Slope   float64 `json:"slope"`
		P       float64 `json:"p"`
		Axes    []int   `json:"axes"`
		Keepdim bool    `json:"keepdim"`
	} `json:"args"`
	Inputs []golden.Tensor   `json:"inputs"`
	Out    golden.Tensor     `json:"out"`
	Grads  [][]golden.Number `json:"grads"`
}

// apply runs the case's op on xs.
func (c *edgeCase) apply(t *testing.T, xs []*Var) *Var {
	a := c.Args
	switch c.Op {
	case "relu":
		return Relu(xs[0])
	case "leaky_relu":
		return LeakyRelu(xs[0], a.Slope)
	case "abs":
		return Abs(xs[0])
	case "sqrt":
		return Sqrt(xs[0])
	case "log":
		return Log(xs[0])
	case "pow_scalar":
		return PowScalar(xs[0], a.P)
	case "div":
		return Div(xs[0], xs[1])
	case "maximum":
		return Maximum(xs[0], xs[1])
	case "minimum":
		return Minimum(xs[0], xs[1])
	case "max":
		return Max(xs[0], a.Axes, a.Keepdim)
	case "min":
		return Min(xs[0], a.Axes, a.Keepdim)
	}
	t.Fatalf("edge_grads.json: unknown op %q", c.Op)
	return nil
}

// same is exact equality that treats NaN as equal to NaN and tells -0 from 0 only by value.
func same(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= 1e-15*math.Max(1, math.Abs(want))
}

func TestEdgeGradientsMatchPyTorch(t *testing.T) {
	var file struct {
		Cases []edgeCase `json:"cases"`
	}
	if err := golden.Read("testdata/edge_grads.json", &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("edge_grads.json has no cases")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			xs := make([]*Var, len(c.Inputs))
			for i, in := range c.Inputs {
				xs[i] = NewVar(goldenTensor(in), true)
			}
			out := c.apply(t, xs)
			want := goldenTensor(c.Out)
			if !slices.Equal(out.Shape(), want.Shape()) {
				t.Fatalf("output shape %v, PyTorch %v", out.Shape(), want.Shape())
			}
			for i, v := range out.Value.Float64s() {
				if w := want.Float64s()[i]; !same(v, w) {
					t.Errorf("output element %d: %g, PyTorch %g", i, v, w)
				}
			}
			// The gradient of sum(out · w) with w = 1, 2, 3, ... as in the generator.
			w := tensor.Reshape(tensor.Arange(tensor.Float64, 1, float64(out.Value.Numel()+1), 1), out.Shape()...)
			out.BackwardWith(w)
			for i, x := range xs {
				for k, v := range x.Grad.Float64s() {
					if want := float64(c.Grads[i][k]); !same(v, want) {
						t.Errorf("input %d, element %d: gradient %g, PyTorch %g", i, k, v, want)
					}
				}
			}
		})
	}
}
