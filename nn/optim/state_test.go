package optim

import (
	"bytes"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

// throughSafetensors writes an optimizer or schedule state to safetensors bytes and reads it
// back, as a checkpoint does, so the round-trip tests also prove that the state fits the format
// (a 0-dimensional step count included).
func throughSafetensors(t *testing.T, tensors map[string]*tensor.Tensor, meta map[string]string) (map[string]*tensor.Tensor, map[string]string) {
	t.Helper()
	var st []safetensors.Tensor
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		x := tensors[name]
		if x.DType() == tensor.Float64 {
			st = append(st, safetensors.FromFloat64(name, x.Shape(), x.Float64s()))
		} else {
			st = append(st, safetensors.FromFloat32(name, x.Shape(), x.Float32s()))
		}
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, st, meta); err != nil {
		t.Fatalf("encoding state: %v", err)
	}
	f, err := safetensors.Decode(buf.Bytes())
	if err != nil {
		t.Fatalf("decoding state: %v", err)
	}
	out := make(map[string]*tensor.Tensor)
	for _, x := range f.Tensors {
		if x.DType == safetensors.F64 {
			data, shape, err := f.Float64s(x.Name)
			if err != nil {
				t.Fatal(err)
			}
			out[x.Name] = tensor.FromFloat64(data, shape...)
		} else {
			data, shape, err := f.Float32s(x.Name)
			if err != nil {
				t.Fatal(err)
			}
			out[x.Name] = tensor.FromFloat32(data, shape...)
		}
	}
	return out, f.Metadata
}

var testShapes = [][]int{{2, 3}, {4}, {1}}

// newTestParams returns float32 parameters with fixed, varied values.
func newTestParams() []*autograd.Var {
	params := make([]*autograd.Var, len(testShapes))
	for i, shape := range testShapes {
		x := tensor.Zeros(tensor.Float32, shape...)
		data := tensor.CPUFloat32s(x)
		for k := range data {
			data[k] = float32(math.Cos(float64(3*k + 7*i + 1)))
		}
		params[i] = autograd.NewVar(x, true)
	}
	return params
}

// cloneParams returns new leaves holding copies of the values, as a resumed run has after
// loading its weights.
func cloneParams(params []*autograd.Var) []*autograd.Var {
	out := make([]*autograd.Var, len(params))
	for i, p := range params {
		out[i] = autograd.NewVar(p.Value.Clone(), true)
	}
	return out
}

// setTestGrads gives the parameters the gradients of step `step`: varied deterministic values
// spanning several decades; parameter 2 has no gradient during the first three steps, so its
// state starts late and its step count lags.
func setTestGrads(params []*autograd.Var, step int) {
	for i, p := range params {
		p.Grad = nil
		if i == 2 && step < 3 {
			continue
		}
		g := tensor.ZerosLike(p.Value)
		data := tensor.CPUFloat32s(g)
		for k := range data {
			data[k] = float32(math.Sin(float64(5*step+3*k+i)) * math.Pow(10, float64((k+step)%4-2)))
		}
		p.Grad = g
	}
}

func runSteps(opt Optimizer, params []*autograd.Var, from, to int) {
	for step := from; step < to; step++ {
		setTestGrads(params, step)
		opt.Step()
	}
}

// requireBitwiseEqual fails unless both parameter lists hold identical bits.
func requireBitwiseEqual(t *testing.T, got, want []*autograd.Var) {
	t.Helper()
	for i := range want {
		g, w := got[i].Value.Float32s(), want[i].Value.Float32s()
		for k := range w {
			if math.Float32bits(g[k]) != math.Float32bits(w[k]) {
				t.Fatalf("param %d[%d] = %v after resuming, %v without a break", i, k, g[k], w[k])
			}
		}
	}
}

// checkResume runs N+M steps straight through, and N steps, a save through safetensors bytes,
// a fresh optimizer with other options, a load and M more steps; the two must agree bitwise.
func checkResume(t *testing.T, newOpt func([]*autograd.Var) Optimizer, newOther func([]*autograd.Var) Optimizer) {
	const n, m = 5, 4
	straight := newTestParams()
	opt := newOpt(straight)
	runSteps(opt, straight, 0, n+m)

	first := newTestParams()
	opt1 := newOpt(first)
	runSteps(opt1, first, 0, n)
	tensors, meta := opt1.State()
	tensors, meta = throughSafetensors(t, tensors, meta)

	resumed := cloneParams(first)
	opt2 := newOther(resumed)
	if err := opt2.LoadState(tensors, meta); err != nil {
		t.Fatalf("LoadState: %v", err)
	}
	if opt2.LR() != opt1.LR() {
		t.Fatalf("LR after LoadState = %v, want the saved %v", opt2.LR(), opt1.LR())
	}
	// The loaded buffers must be the optimizer's own: changing what LoadState was given cannot
	// change the optimizer.
	for _, x := range tensors {
		x.Fill(1e6)
	}
	runSteps(opt2, resumed, n, n+m)
	requireBitwiseEqual(t, resumed, straight)
}

func TestAdamStateRoundTrip(t *testing.T) {
	checkResume(t,
		func(ps []*autograd.Var) Optimizer {
			return NewAdam(ps, AdamOptions{LR: 2e-2, Beta1: 0.5, WeightDecay: 0.01})
		},
		func(ps []*autograd.Var) Optimizer { return NewAdam(ps, AdamOptions{}) })
}

func TestSGDStateRoundTrip(t *testing.T) {
	checkResume(t,
		func(ps []*autograd.Var) Optimizer {
			return NewSGD(ps, SGDOptions{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3})
		},
		func(ps []*autograd.Var) Optimizer { return NewSGD(ps, SGDOptions{LR: 1}) })
}

// TestAdamStateKeys pins the layout of a state: keys like PyTorch's state_dict, state only for
// parameters that have stepped, step counts per parameter.
func TestAdamStateKeys(t *testing.T) {
	params := newTestParams()
	opt := NewAdam(params, AdamOptions{LR: 2e-4, Beta1: 0.5})
	tensors, meta := opt.State()
	if len(tensors) != 0 {
		t.Fatalf("state before any step has tensors %v", slices.Sorted(maps.Keys(tensors)))
	}
	runSteps(opt, params, 0, 5)
	tensors, meta = opt.State()
	want := []string{"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step", "state.1.exp_avg", "state.1.exp_avg_sq",
		"state.1.step", "state.2.exp_avg", "state.2.exp_avg_sq", "state.2.step"}
	if diff := cmp.Diff(want, slices.Sorted(maps.Keys(tensors))); diff != "" {
		t.Fatalf("state keys (-want +got):\n%s", diff)
	}
	if s0, s2 := tensors["state.0.step"].Item(), tensors["state.2.step"].Item(); s0 != 5 || s2 != 2 {
		t.Fatalf("step counts %v and %v, want 5 and 2 (parameter 2 has no gradient in steps 0-2)", s0, s2)
	}
	wantMeta := map[string]string{"optimizer": "Adam", "params": "3", "lr": "0.0002", "beta1": "0.5", "beta2": "0.999",
		"eps": "1e-08", "weight_decay": "0"}
	if diff := cmp.Diff(wantMeta, meta); diff != "" {
		t.Fatalf("meta (-want +got):\n%s", diff)
	}
}

// TestAdamLoadStateErrors checks that every kind of bad state is refused with an error naming
// what is wrong, and that a refused state changes nothing.
func TestAdamLoadStateErrors(t *testing.T) {
	params := newTestParams()
	source := NewAdam(params, AdamOptions{})
	runSteps(source, params, 0, 4)

	cases := []struct {
		name   string
		mutate func(tensors map[string]*tensor.Tensor, meta map[string]string)
		want   string
	}{
		{"wrong optimizer", func(_ map[string]*tensor.Tensor, m map[string]string) { m["optimizer"] = "SGD" }, `"optimizer" is "SGD", want "Adam"`},
		{"no kind", func(_ map[string]*tensor.Tensor, m map[string]string) { delete(m, "optimizer") }, `no "optimizer" key`},
		{"param count", func(_ map[string]*tensor.Tensor, m map[string]string) { m["params"] = "4" }, "state is for 4 parameters, the optimizer has 3"},
		{"bad float", func(_ map[string]*tensor.Tensor, m map[string]string) { m["lr"] = "fast" }, `"lr" is "fast"`},
		{"missing hyper-parameter", func(_ map[string]*tensor.Tensor, m map[string]string) { delete(m, "eps") }, `no "eps" key`},
		{"invalid beta", func(_ map[string]*tensor.Tensor, m map[string]string) { m["beta2"] = "1" }, "invalid Beta2 1"},
		{"unknown meta", func(_ map[string]*tensor.Tensor, m map[string]string) { m["amsgrad"] = "true" }, `unexpected metadata key "amsgrad"`},
		{"wrong shape", func(ts map[string]*tensor.Tensor, _ map[string]string) {
			ts["state.0.exp_avg"] = tensor.Zeros(tensor.Float32, 3, 2)
		}, `"state.0.exp_avg" has shape [3 2], its parameter has shape [2 3]`},
		{"missing tensor", func(ts map[string]*tensor.Tensor, _ map[string]string) { delete(ts, "state.1.exp_avg_sq") }, `parameter 1 has state but no "state.1.exp_avg_sq"`},
		{"index out of range", func(ts map[string]*tensor.Tensor, _ map[string]string) {
			ts["state.3.step"] = stepTensor(1)
		}, `"state.3.step": parameter index 3 out of range`},
		{"unknown state", func(ts map[string]*tensor.Tensor, _ map[string]string) {
			ts["state.0.max_exp_avg_sq"] = tensor.Zeros(tensor.Float32, 2, 3)
		}, `"state.0.max_exp_avg_sq": unknown state "max_exp_avg_sq"`},
		{"malformed key", func(ts map[string]*tensor.Tensor, _ map[string]string) {
			ts["exp_avg"] = tensor.Zeros(tensor.Float32, 2, 3)
		}, `unexpected tensor key "exp_avg"`},
		{"fractional step", func(ts map[string]*tensor.Tensor, _ map[string]string) {
			ts["state.0.step"] = tensor.Scalar(tensor.Float64, 2.5)
		}, `"state.0.step" is 2.5`},
		{"zero step", func(ts map[string]*tensor.Tensor, _ map[string]string) {
			ts["state.0.step"] = tensor.Scalar(tensor.Float64, 0)
		}, `"state.0.step" is 0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tensors, meta := source.State()
			c.mutate(tensors, meta)

			target := NewAdam(cloneParams(params), AdamOptions{LR: 0.5})
			err := target.LoadState(tensors, meta)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "optim.Adam.LoadState: ") {
				t.Fatalf("LoadState error %v, want one containing %q", err, c.want)
			}
			if target.LR() != 0.5 || slices.ContainsFunc(target.state, func(s *adamState) bool { return s != nil }) {
				t.Fatalf("a refused LoadState changed the optimizer: LR %v, state %v", target.LR(), target.state)
			}
		})
	}
}

func TestSGDLoadStateErrors(t *testing.T) {
	params := newTestParams()
	source := NewSGD(params, SGDOptions{LR: 0.1, Momentum: 0.9})
	runSteps(source, params, 0, 2)
	cases := []struct {
		name   string
		mutate func(tensors map[string]*tensor.Tensor, meta map[string]string)
		want   string
	}{
		{"wrong optimizer", func(_ map[string]*tensor.Tensor, m map[string]string) { m["optimizer"] = "Adam" }, `"optimizer" is "Adam", want "SGD"`},
		{"bad bool", func(_ map[string]*tensor.Tensor, m map[string]string) { m["nesterov"] = "maybe" }, `"nesterov" is "maybe"`},
		{"nesterov with dampening", func(_ map[string]*tensor.Tensor, m map[string]string) {
			m["nesterov"], m["dampening"] = "true", "0.5"
		}, "Nesterov momentum requires"},
		{"wrong shape", func(ts map[string]*tensor.Tensor, _ map[string]string) {
			ts["state.1.momentum_buffer"] = tensor.Zeros(tensor.Float32, 5)
		}, `"state.1.momentum_buffer" has shape [5], its parameter has shape [4]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tensors, meta := source.State()
			c.mutate(tensors, meta)
			target := NewSGD(cloneParams(params), SGDOptions{LR: 0.5})
			err := target.LoadState(tensors, meta)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadState error %v, want one containing %q", err, c.want)
			}
			if target.LR() != 0.5 || slices.ContainsFunc(target.buf, func(b *tensor.Tensor) bool { return b != nil }) {
				t.Fatal("a refused LoadState changed the optimizer")
			}
		})
	}
}

// TestLoadStateConvertsDType loads a float32 state into float64 parameters: the buffers take the
// parameters' dtype, as PyTorch's load_state_dict casts them.
func TestLoadStateConvertsDType(t *testing.T) {
	params := newTestParams()
	source := NewAdam(params, AdamOptions{})
	runSteps(source, params, 0, 4)
	tensors, meta := source.State()

	p64 := make([]*autograd.Var, len(params))
	for i, p := range params {
		p64[i] = autograd.NewVar(tensor.Cast(p.Value, tensor.Float64), true)
	}
	target := NewAdam(p64, AdamOptions{})
	if err := target.LoadState(tensors, meta); err != nil {
		t.Fatal(err)
	}
	for i, s := range target.state {
		if s.expAvg.DType() != tensor.Float64 || s.expAvgSq.DType() != tensor.Float64 {
			t.Fatalf("param %d: state dtypes %v/%v, want float64", i, s.expAvg.DType(), s.expAvgSq.DType())
		}
		if diff := cmp.Diff(source.state[i].expAvg.Float32s(), s.expAvg.Float32s()); diff != "" {
			t.Fatalf("param %d: exp_avg changed in conversion (-want +got):\n%s", i, diff)
		}
	}
}
