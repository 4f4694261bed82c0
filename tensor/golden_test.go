package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/golden"
)

// The golden files are written by scripts/golden/tensor_ops.py with PyTorch 1.13; see its doc
// comment. Every case runs in float64, compared tightly, and in float32 (inputs rounded to
// float32), compared with a tolerance that covers that rounding of the inputs.
var (
	goldenTol64 = tolerance{atol: 1e-14, rtol: 1e-12}
	goldenTol32 = tolerance{atol: 1e-5, rtol: 1e-5}
)

// goldenTensor returns a golden file's tensor (golden.Tensor reads the strings "nan", "inf" and
// "-inf" that the generator writes for non-finite values) as a tensor of dtype dt.
func goldenTensor(g golden.Tensor, dt DType) *Tensor {
	return Cast(FromFloat64(g.Float64s(), g.Shape...), dt)
}

// goldenParams holds the parameters of every op; each op reads the ones it has.
type goldenParams struct {
	Slope, P, S       float64
	Axes              []int
	Keepdim           bool
	Correction        int
	Shape, Perm, Pads []int
	D0, D1, Dim       int
	Start, Stop, Step float64 // Start is also Narrow's start
	Length            int
	Value             float64
	TransA, TransB    bool
	K, Stride         []int
	Pad, Dil, HW      []int

	Left, Right, Top, Bottom int
	InputShape               []int `json:"input_shape"`

	Eps, LR, Beta1, Beta2 float64
	WeightDecay           float64 `json:"weight_decay"`
}

type goldenCase struct {
	Name    string
	Op      string
	Inputs  []golden.Tensor
	Params  goldenParams
	Outputs []golden.Tensor
}

func readGolden(t *testing.T, name string, v any) {
	t.Helper()
	if err := golden.Read("testdata/"+name, v); err != nil {
		t.Fatalf("reading golden file (regenerate with scripts/golden/tensor_ops.py): %v", err)
	}
}

var goldenUnary = map[string]func(*Tensor, goldenParams) *Tensor{
	"neg":        func(x *Tensor, _ goldenParams) *Tensor { return Neg(x) },
	"abs":        func(x *Tensor, _ goldenParams) *Tensor { return Abs(x) },
	"sign":       func(x *Tensor, _ goldenParams) *Tensor { return Sign(x) },
	"exp":        func(x *Tensor, _ goldenParams) *Tensor { return Exp(x) },
	"log":        func(x *Tensor, _ goldenParams) *Tensor { return Log(x) },
	"sqrt":       func(x *Tensor, _ goldenParams) *Tensor { return Sqrt(x) },
	"square":     func(x *Tensor, _ goldenParams) *Tensor { return Square(x) },
	"tanh":       func(x *Tensor, _ goldenParams) *Tensor { return Tanh(x) },
	"sigmoid":    func(x *Tensor, _ goldenParams) *Tensor { return Sigmoid(x) },
	"relu":       func(x *Tensor, _ goldenParams) *Tensor { return Relu(x) },
	"leaky_relu": func(x *Tensor, p goldenParams) *Tensor { return LeakyRelu(x, p.Slope) },
	"pow":        func(x *Tensor, p goldenParams) *Tensor { return PowScalar(x, p.P) },
	"scale":      func(x *Tensor, p goldenParams) *Tensor { return Scale(x, p.S) },
	"add_scalar": func(x *Tensor, p goldenParams) *Tensor { return AddScalar(x, p.S) },

	"sum":  func(x *Tensor, p goldenParams) *Tensor { return Sum(x, p.Axes, p.Keepdim) },
	"mean": func(x *Tensor, p goldenParams) *Tensor { return Mean(x, p.Axes, p.Keepdim) },
	"max":  func(x *Tensor, p goldenParams) *Tensor { return Max(x, p.Axes, p.Keepdim) },
	"min":  func(x *Tensor, p goldenParams) *Tensor { return Min(x, p.Axes, p.Keepdim) },
	"var":  func(x *Tensor, p goldenParams) *Tensor { return Var(x, p.Axes, p.Keepdim, p.Correction) },

	"sum_to":    func(x *Tensor, p goldenParams) *Tensor { return SumTo(x, p.Shape) },
	"reshape":   func(x *Tensor, p goldenParams) *Tensor { return Reshape(x, p.Shape...) },
	"permute":   func(x *Tensor, p goldenParams) *Tensor { return Permute(x, p.Perm...) },
	"transpose": func(x *Tensor, p goldenParams) *Tensor { return Transpose(x, p.D0, p.D1) },
	"narrow":    func(x *Tensor, p goldenParams) *Tensor { return Narrow(x, p.Dim, int(p.Start), p.Length) },
	"pad":       func(x *Tensor, p goldenParams) *Tensor { return Pad(x, p.Pads, p.Value) },
	"expand":    func(x *Tensor, p goldenParams) *Tensor { return Expand(x, p.Shape...) },

	"im2col": func(x *Tensor, p goldenParams) *Tensor {
		return Im2col(x, NewConvGeom(x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3), p.K[0], p.K[1],
			p.Stride[0], p.Stride[1], p.Pad[0], p.Pad[1], p.Dil[0], p.Dil[1]))
	},
	"col2im": func(cols *Tensor, p goldenParams) *Tensor {
		return Col2im(cols, NewConvGeom(cols.Dim(0), cols.Dim(1)/(p.K[0]*p.K[1]), p.HW[0], p.HW[1], p.K[0], p.K[1],
			p.Stride[0], p.Stride[1], p.Pad[0], p.Pad[1], p.Dil[0], p.Dil[1]))
	},
	"reflect_pad": func(x *Tensor, p goldenParams) *Tensor { return ReflectPad2d(x, p.pad2d()) },
	"reflect_pad_backward": func(dy *Tensor, p goldenParams) *Tensor {
		return ReflectPad2dBackward(dy, p.InputShape, p.pad2d())
	},
}

var goldenBinary = map[string]func(a, b *Tensor, p goldenParams) *Tensor{
	"add":                 func(a, b *Tensor, _ goldenParams) *Tensor { return Add(a, b) },
	"sub":                 func(a, b *Tensor, _ goldenParams) *Tensor { return Sub(a, b) },
	"mul":                 func(a, b *Tensor, _ goldenParams) *Tensor { return Mul(a, b) },
	"div":                 func(a, b *Tensor, _ goldenParams) *Tensor { return Div(a, b) },
	"maximum":             func(a, b *Tensor, _ goldenParams) *Tensor { return Maximum(a, b) },
	"minimum":             func(a, b *Tensor, _ goldenParams) *Tensor { return Minimum(a, b) },
	"greater":             func(a, b *Tensor, _ goldenParams) *Tensor { return Greater(a, b) },
	"equal":               func(a, b *Tensor, _ goldenParams) *Tensor { return Equal(a, b) },
	"leaky_relu_backward": func(g, x *Tensor, p goldenParams) *Tensor { return LeakyReluBackward(g, x, p.Slope) },
	"matmul":              func(a, b *Tensor, p goldenParams) *Tensor { return MatmulT(a, b, p.TransA, p.TransB) },
	"instance_norm_backward": func(x, dy *Tensor, p goldenParams) *Tensor {
		_, mean, rstd := InstanceNorm(x, p.Eps)
		return InstanceNormBackward(dy, x, mean, rstd)
	},
}

func (p goldenParams) pad2d() Pad2d {
	return Pad2d{Left: p.Left, Right: p.Right, Top: p.Top, Bottom: p.Bottom}
}

// runGolden computes a golden case's outputs in dtype dt.
func runGolden(c goldenCase, dt DType) []*Tensor {
	in := make([]*Tensor, len(c.Inputs))
	for i, g := range c.Inputs {
		in[i] = goldenTensor(g, dt)
	}
	p := c.Params
	if f, ok := goldenUnary[c.Op]; ok {
		return []*Tensor{f(in[0], p)}
	}
	if f, ok := goldenBinary[c.Op]; ok {
		return []*Tensor{f(in[0], in[1], p)}
	}
	switch c.Op {
	case "concat":
		return []*Tensor{Concat(in, p.Dim)}
	case "instance_norm":
		y, mean, rstd := InstanceNorm(in[0], p.Eps)
		return []*Tensor{y, mean, rstd}
	case "adam":
		param, m, v := in[0], ZerosLike(in[0]), ZerosLike(in[0])
		for step, g := range in[1:] {
			t := float64(step + 1)
			AdamStep(param, g, m, v, AdamHyper{LR: p.LR, Beta1: p.Beta1, Beta2: p.Beta2, Eps: p.Eps,
				WeightDecay: p.WeightDecay, BiasCorrection1: 1 - math.Pow(p.Beta1, t),
				BiasCorrection2: 1 - math.Pow(p.Beta2, t)})
		}
		return []*Tensor{param, m, v}
	case "cast32":
		return []*Tensor{Cast(in[0], Float32)}
	case "arange":
		// PyTorch's float64 and float32 aranges are both outputs; each dtype is compared exactly.
		return []*Tensor{Arange(Float64, p.Start, p.Stop, p.Step), Arange(Float32, p.Start, p.Stop, p.Step)}
	}
	panic("golden: unknown op " + c.Op)
}

func TestGoldenOps(t *testing.T) {
	var file struct{ Cases []goldenCase }
	readGolden(t, "golden_ops.json", &file)
	ops := map[string]bool{}
	for _, c := range file.Cases {
		ops[c.Op] = true
		for _, dt := range []DType{Float64, Float32} {
			if dt == Float32 && (c.Op == "cast32" || c.Op == "arange") {
				continue // dtype-specific outputs, compared exactly in the float64 run
			}
			tl := goldenTol64
			if dt == Float32 {
				tl = goldenTol32
			}
			name := fmt.Sprintf("%s (%s)", c.Name, dt)
			var got []*Tensor
			if msg := panicMessage(func() { got = runGolden(c, dt) }); msg != "" {
				t.Errorf("%s: panic: %s", name, msg)
				continue
			}
			if len(got) != len(c.Outputs) {
				t.Fatalf("%s: %d outputs, golden has %d", name, len(got), len(c.Outputs))
			}
			for i, want := range c.Outputs {
				if c.Op == "cast32" || c.Op == "arange" {
					tl = tolerance{}
				}
				if !sameShape(got[i].Shape(), want.Shape) {
					t.Errorf("%s: output %d has shape %v, PyTorch %v", name, i, got[i].Shape(), want.Shape)
					continue
				}
				checkClose(t, fmt.Sprintf("%s output %d", name, i), got[i].Float64s(), want.Float64s(), tl)
			}
		}
	}
	// Every op of the package that has a PyTorch counterpart is covered.
	for _, op := range []string{"neg", "abs", "sign", "exp", "log", "sqrt", "square", "tanh", "sigmoid", "relu",
		"leaky_relu", "pow", "scale", "add_scalar", "add", "sub", "mul", "div", "maximum", "minimum", "greater",
		"equal", "leaky_relu_backward", "sum", "mean", "max", "min", "var", "sum_to", "reshape", "permute",
		"transpose", "narrow", "concat", "pad", "expand", "matmul", "cast32", "arange", "im2col", "col2im",
		"reflect_pad", "reflect_pad_backward", "instance_norm", "instance_norm_backward", "adam"} {
		if !ops[op] {
			t.Errorf("golden file has no case for %s", op)
		}
	}
}

type goldenRepr struct {
	Name  string
	DType string
	Shape []int
	Data  []golden.Number
	Gen   *struct{ Start, Step float64 }
	Repr  string // PyTorch's repr
	Zebra string // the same, with the dtype named without "torch." and wrapped accordingly
}

func TestGoldenString(t *testing.T) {
	var file struct{ Reprs []goldenRepr }
	readGolden(t, "golden_repr.json", &file)
	for _, r := range file.Reprs {
		dt, err := ParseDType(r.DType)
		if err != nil {
			t.Fatal(err)
		}
		var data []float64
		if r.Gen != nil {
			data = make([]float64, Numel(r.Shape))
			for i := range data {
				data[i] = float64(float64(i)*r.Gen.Step) + r.Gen.Start // no fused multiply-add, as in PyTorch
			}
		} else {
			data = golden.Float64s(r.Data)
		}
		x := Cast(FromFloat64(data, r.Shape...), dt)
		// zebra names dtypes without PyTorch's module prefix; apart from that (and the line
		// wrapping of a shorter suffix) the print is PyTorch's.
		if !strings.Contains(r.Zebra, "float64") && r.Zebra != r.Repr {
			t.Fatalf("%s: golden file inconsistent: %q vs %q", r.Name, r.Zebra, r.Repr)
		}
		if got := x.String(); got != r.Zebra {
			t.Errorf("%s: String() =\n%s\nPyTorch:\n%s", r.Name, got, r.Zebra)
		}
	}
}
