package backendtest

import (
	"fmt"
	"strings"

	"github.com/zebra-go/zebra/tensor"
)

// opCase is a tensor-level operation: the same function runs on inputs on the CPU and on the
// backend under test, which checks that package tensor's composites (SumTo, Var, Concat, Pad,
// Matmul, ...) work on the backend end to end, through Tensor.To.
type opCase struct {
	name   string
	shapes [][]int
	run    func(in []*tensor.Tensor) []*tensor.Tensor
}

func one(t *tensor.Tensor) []*tensor.Tensor { return []*tensor.Tensor{t} }

var opCases = []opCase{
	{"Add broadcast", [][]int{{2, 3, 4}, {3, 1}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Add(in[0], in[1])) }},
	{"Mul", [][]int{{5, 7}, {5, 7}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Mul(in[0], in[1])) }},
	{"Sigmoid", [][]int{{9}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Sigmoid(in[0])) }},
	{"Sum", [][]int{{2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Sum(in[0], []int{0, 2}, true)) }},
	{"Mean", [][]int{{2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Mean(in[0], nil, false)) }},
	{"Var", [][]int{{2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Var(in[0], []int{1}, false, 1)) }},
	{"Max", [][]int{{2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Max(in[0], []int{-1}, false)) }},
	{"SumTo", [][]int{{2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.SumTo(in[0], []int{3, 1})) }},
	{"Permute", [][]int{{2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Permute(in[0], 2, 0, 1)) }},
	{"Narrow", [][]int{{2, 5, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Narrow(in[0], 1, 1, 3)) }},
	{"Concat", [][]int{{2, 1, 4}, {2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Concat(in, 1)) }},
	{"Pad", [][]int{{2, 3, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Pad(in[0], []int{1, 2, 0, 1}, -1)) }},
	{"Expand", [][]int{{3, 1}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Expand(in[0], 2, 3, 4)) }},
	{"Matmul", [][]int{{2, 3, 4}, {4, 5}}, func(in []*tensor.Tensor) []*tensor.Tensor { return one(tensor.Matmul(in[0], in[1])) }},
	{"MatmulT", [][]int{{2, 4, 3}, {2, 5, 4}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		return one(tensor.MatmulT(in[0], in[1], true, true))
	}},
	{"Im2col", [][]int{{1, 2, 6, 5}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		return one(tensor.Im2col(in[0], tensor.NewConvGeom(1, 2, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1)))
	}},
	{"Col2im", [][]int{{1, 18, 9}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		return one(tensor.Col2im(in[0], tensor.NewConvGeom(1, 2, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1)))
	}},
	{"ReflectPad2d", [][]int{{1, 2, 4, 5}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		return one(tensor.ReflectPad2d(in[0], tensor.Pad2d{Left: 3, Right: 1, Top: 2, Bottom: 3}))
	}},
	{"ReflectPad2dBackward", [][]int{{1, 2, 9, 9}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		return one(tensor.ReflectPad2dBackward(in[0], []int{1, 2, 4, 5}, tensor.Pad2d{Left: 3, Right: 1, Top: 2, Bottom: 3}))
	}},
	{"InstanceNorm", [][]int{{2, 3, 4, 5}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		y, mean, rstd := tensor.InstanceNorm(in[0], 1e-5)
		return []*tensor.Tensor{y, mean, rstd}
	}},
	{"InstanceNormBackward", [][]int{{2, 3, 4, 5}, {2, 3, 4, 5}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		_, mean, rstd := tensor.InstanceNorm(in[0], 1e-5)
		return one(tensor.InstanceNormBackward(in[1], in[0], mean, rstd))
	}},
	{"LeakyReluBackward", [][]int{{4, 5}, {4, 5}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		return one(tensor.LeakyReluBackward(in[0], in[1], 0.2))
	}},
	{"AddInPlace, Clone, CopyInto, FullLike", [][]int{{3, 4}, {4}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		acc := in[0].Clone()
		tensor.AddInPlace(acc, in[1])
		c := tensor.FullLike(acc, 2.5)
		tensor.CopyInto(c, acc)
		return []*tensor.Tensor{acc, c, in[0]} // in[0] must be unchanged
	}},
	{"AdamStep", [][]int{{6}, {6}}, func(in []*tensor.Tensor) []*tensor.Tensor {
		p, m, v := in[0].Clone(), tensor.ZerosLike(in[0]), tensor.ZerosLike(in[0])
		h := tensor.AdamHyper{LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, BiasCorrection1: 0.1, BiasCorrection2: 0.001}
		tensor.AdamStep(p, in[1], m, v, h)
		return []*tensor.Tensor{p, m, v}
	}},
}

func testOps(h *harness) {
	tl := h.pick(tol{atol: 1e-5, rtol: 1e-4}, tol{atol: 1e-12, rtol: 1e-12})
	for _, c := range opCases {
		var onCPU, onB []*tensor.Tensor
		for _, s := range c.shapes {
			x := tensor.Cast(tensor.FromFloat64(h.normal(tensor.Numel(s), 0, 1), s...), h.dt)
			onCPU, onB = append(onCPU, x), append(onB, x.To(h.b))
		}
		want, got := c.run(onCPU), c.run(onB)
		for i := range want {
			what := fmt.Sprintf("%s output %d", c.name, i)
			if got[i].Backend() != h.b || got[i].DType() != h.dt || fmt.Sprint(got[i].Shape()) != fmt.Sprint(want[i].Shape()) {
				h.t.Errorf("%s: %s %v on %s, want %s %v on %s", what, got[i].DType(), got[i].Shape(), got[i].Backend().Name(),
					want[i].DType(), want[i].Shape(), h.b.Name())
				continue
			}
			compare(h.t, what, want[i].Float64s(), got[i].Float64s(), tl, nil)
		}
	}
	// Moving to the backend and back is exact, and a tensor there prints its device.
	x := tensor.Cast(tensor.FromFloat64(h.normal(10, 0, 1), 2, 5), h.dt)
	y := x.To(h.b)
	compare(h.t, "To and back", x.Float64s(), y.To(tensor.CPU).Float64s(), exact, nil)
	if h.b.Name() != "cpu" && !strings.Contains(y.String(), "device='"+h.b.Name()+"'") {
		h.t.Errorf("String of a tensor on %s does not name the device: %s", h.b.Name(), y)
	}
	if h.float64s {
		other := tensor.Float64
		if h.dt == tensor.Float64 {
			other = tensor.Float32
		}
		compare(h.t, "Cast", tensor.Cast(x, other).Float64s(), tensor.Cast(y, other).Float64s(), exact, nil)
	}
}
