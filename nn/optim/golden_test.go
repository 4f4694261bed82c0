package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// The golden file is written by scripts/golden/optim.py from torch.optim (PyTorch 1.13); see
// that script for how each case is made.
const goldenPath = "testdata/optim_golden.json"

// goldenRun is one optimizer run: initial values, the gradient fed at each step (nil where the
// parameter had no gradient), the parameters after each step and the final per-parameter state.
type goldenRun struct {
	Name   string        `json:"name"`
	DType  string        `json:"dtype"`
	Shapes [][]int       `json:"shapes"`
	Init   [][]float64   `json:"init"`
	Grads  [][][]float64 `json:"grads"`
	Params [][][]float64 `json:"params"`
	State  []struct {
		Step           *int64    `json:"step"`
		ExpAvg         []float64 `json:"exp_avg"`
		ExpAvgSq       []float64 `json:"exp_avg_sq"`
		MomentumBuffer []float64 `json:"momentum_buffer"`
	} `json:"state"`

	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	Momentum    float64 `json:"momentum"`
	Dampening   float64 `json:"dampening"`
	Nesterov    bool    `json:"nesterov"`
}

type goldenSchedule struct {
	Name   string             `json:"name"`
	Kind   string             `json:"kind"`
	BaseLR float64            `json:"base_lr"`
	Args   map[string]float64 `json:"args"`
	LRs    []float64          `json:"lrs"`
}

type goldenFile struct {
	TorchVersion string           `json:"torch_version"`
	Adam         []goldenRun      `json:"adam"`
	SGD          []goldenRun      `json:"sgd"`
	Schedules    []goldenSchedule `json:"schedules"`
}

func loadGolden(t *testing.T) goldenFile {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(goldenPath))
	if err != nil {
		t.Fatalf("reading golden values (regenerate with scripts/golden/optim.py): %v", err)
	}
	var g goldenFile
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("parsing %s: %v", goldenPath, err)
	}
	if len(g.Adam) == 0 || len(g.SGD) == 0 || len(g.Schedules) == 0 {
		t.Fatalf("%s has %d Adam, %d SGD and %d schedule cases; want some of each", goldenPath, len(g.Adam), len(g.SGD), len(g.Schedules))
	}
	return g
}

// newTensor makes a CPU tensor of the run's dtype. JSON holds float32 values as their exact
// decimals, so converting back loses nothing.
func newTensor(dtype string, values []float64, shape []int) *tensor.Tensor {
	if dtype == "float64" {
		return tensor.FromFloat64(values, shape...)
	}
	f32 := make([]float32, len(values))
	for i, v := range values {
		f32[i] = float32(v)
	}
	return tensor.FromFloat32(f32, shape...)
}

func (run goldenRun) newParams() []*autograd.Var {
	params := make([]*autograd.Var, len(run.Shapes))
	for i, shape := range run.Shapes {
		params[i] = autograd.NewVar(newTensor(run.DType, run.Init[i], shape), true)
	}
	return params
}

// setGrads gives each parameter the step's gradient, or none where PyTorch's had none.
func (run goldenRun) setGrads(params []*autograd.Var, step int) {
	for i, p := range params {
		p.Grad = nil
		if g := run.Grads[step][i]; g != nil {
			p.Grad = newTensor(run.DType, g, run.Shapes[i])
		}
	}
}

// tolerance of a comparison: |got - want| ≤ Atol + Rtol*|want|.
type tolerance struct{ Atol, Rtol float64 }

// Tolerances against PyTorch. In float64 zebra and PyTorch compute the same formula in the same
// order and differ only by the last bits of pow and sqrt; 1e-12 leaves three orders of magnitude
// of room. In float32 each step rounds a handful of times: PyTorch's kernels fuse some
// multiply-adds (FMA) and round the scalars (1-β, lr/bc1) differently from ours, so results
// differ by a few float32 ulps per step (1 ulp = 6e-8 relative). 2e-6 relative is about 16 ulps after
// 10 steps; the absolute term covers elements whose value is close to 0 after cancellation
// (scaled for each quantity below).
//
// A telltale failure: exp_avg_sq off by a steady 1.3e-5 relative (with β2 = 0.999) means the
// kernel computed 1-β2 as float32(1) - float32(β2) = 0.00099998713 instead of rounding the
// float64 1-β2 to float32 (0.001), which is what PyTorch does when it passes value=1-beta2 to
// addcmul_. The parameters themselves hardly show it: the update depends on sqrt(v).
var (
	tol64 = tolerance{Atol: 1e-14, Rtol: 1e-12}
)

// tol32 is the float32 tolerance for a quantity whose typical magnitude is scale.
func tol32(scale float64) tolerance { return tolerance{Atol: 1e-6 * scale, Rtol: 2e-6} }

// compare fails the test at the first element outside tol and returns the largest error seen
// relative to the tolerance (≤ 1 passes), for the report.
func compare(t *testing.T, what string, got, want []float64, tol tolerance) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range want {
		err := math.Abs(got[i] - want[i])
		limit := tol.Atol + tol.Rtol*math.Abs(want[i])
		if !(err <= limit) {
			t.Errorf("%s[%d] = %.9g, PyTorch %.9g (error %.3g > tolerance %.3g)", what, i, got[i], want[i], err, limit)
			return math.Inf(1)
		}
		worst = max(worst, err/limit)
	}
	return worst
}

func maxAbs(xs ...[]float64) float64 {
	m := 0.0
	for _, x := range xs {
		for _, v := range x {
			m = max(m, math.Abs(v))
		}
	}
	return m
}

// checkRun compares the parameters after every step and the final state with PyTorch's.
// stepFn performs one optimizer step; state reads a named state tensor of parameter i (nil if
// it has none).
func checkRun(t *testing.T, run goldenRun, params []*autograd.Var, stepFn func(), state func(i int, name string) *tensor.Tensor, names ...string) {
	t.Helper()
	paramTol := tol32(1)
	if run.DType == "float64" {
		paramTol = tol64
	}
	worst := 0.0
	for step := range run.Grads {
		run.setGrads(params, step)
		stepFn()
		for i, p := range params {
			w := compare(t, fmt.Sprintf("step %d param %d", step+1, i), p.Value.Float64s(), run.Params[step][i], paramTol)
			worst = max(worst, w)
			if t.Failed() {
				return
			}
		}
	}
	for i := range params {
		want := map[string][]float64{
			"exp_avg":         run.State[i].ExpAvg,
			"exp_avg_sq":      run.State[i].ExpAvgSq,
			"momentum_buffer": run.State[i].MomentumBuffer,
		}
		for _, name := range names {
			got := state(i, name)
			if (got == nil) != (want[name] == nil) {
				t.Fatalf("param %d: zebra has %s %v, PyTorch %v", i, name, got != nil, want[name] != nil)
			}
			if got == nil {
				continue
			}
			tol := tol64
			if run.DType == "float32" {
				tol = tol32(maxAbs(want[name]))
			}
			worst = max(worst, compare(t, fmt.Sprintf("param %d %s", i, name), got.Float64s(), want[name], tol))
		}
	}
	t.Logf("%s (%s): worst error %.3f of the tolerance", run.Name, run.DType, worst)
}

func TestAdamMatchesPyTorch(t *testing.T) {
	for _, run := range loadGolden(t).Adam {
		t.Run(run.Name, func(t *testing.T) {
			params := run.newParams()
			opt := NewAdam(params, AdamOptions{LR: run.LR, Beta1: run.Beta1, Beta2: run.Beta2, Eps: run.Eps, WeightDecay: run.WeightDecay})
			if run.Name == "defaults" {
				// The "defaults" case was made with torch.optim.Adam(params): zero options must
				// mean the same.
				opt = NewAdam(params, AdamOptions{})
				if got := opt.Options(); got.LR != run.LR || got.Beta1 != run.Beta1 || got.Beta2 != run.Beta2 || got.Eps != run.Eps || got.WeightDecay != run.WeightDecay {
					t.Fatalf("default options %+v differ from PyTorch's (lr %v, betas %v/%v, eps %v, weight decay %v)", got, run.LR, run.Beta1, run.Beta2, run.Eps, run.WeightDecay)
				}
			}
			checkRun(t, run, params, opt.Step, func(i int, name string) *tensor.Tensor {
				if opt.state[i] == nil {
					return nil
				}
				return map[string]*tensor.Tensor{"exp_avg": opt.state[i].expAvg, "exp_avg_sq": opt.state[i].expAvgSq}[name]
			}, "exp_avg", "exp_avg_sq")
			for i, s := range opt.state {
				want := run.State[i].Step
				if (s == nil) != (want == nil) || (s != nil && s.step != *want) {
					t.Errorf("param %d: step count differs from PyTorch's %v", i, want)
				}
			}
		})
	}
}

func TestSGDMatchesPyTorch(t *testing.T) {
	for _, run := range loadGolden(t).SGD {
		t.Run(run.Name, func(t *testing.T) {
			params := run.newParams()
			opt := NewSGD(params, SGDOptions{LR: run.LR, Momentum: run.Momentum, Dampening: run.Dampening,
				Nesterov: run.Nesterov, WeightDecay: run.WeightDecay})
			checkRun(t, run, params, opt.Step, func(i int, name string) *tensor.Tensor { return opt.buf[i] }, "momentum_buffer")
		})
	}
}

// newGoldenSchedule builds the zebra schedule of a golden case, in every form that should agree
// with it (LambdaLR with CycleGAN's rule is checked both as LambdaLR and as LinearDecayLR).
func newGoldenSchedules(t *testing.T, c goldenSchedule) map[string]func(Optimizer) Scheduler {
	a := c.Args
	switch c.Kind {
	case "LambdaLR":
		n, nd := int(a["n_epochs"]), int(a["n_epochs_decay"])
		return map[string]func(Optimizer) Scheduler{
			"LambdaLR(LinearDecay)": func(o Optimizer) Scheduler { return NewLambdaLR(o, LinearDecay(n, nd)) },
			"LinearDecayLR":         func(o Optimizer) Scheduler { return NewLinearDecayLR(o, n, nd) },
		}
	case "StepLR":
		return map[string]func(Optimizer) Scheduler{
			"StepLR": func(o Optimizer) Scheduler { return NewStepLR(o, int(a["step_size"]), a["gamma"]) },
		}
	case "CosineAnnealingLR":
		return map[string]func(Optimizer) Scheduler{
			"CosineAnnealingLR": func(o Optimizer) Scheduler { return NewCosineAnnealingLR(o, int(a["t_max"]), a["eta_min"]) },
		}
	}
	t.Fatalf("golden schedule %q has unknown kind %q", c.Name, c.Kind)
	return nil
}

// TestSchedulesMatchPyTorch checks the rate of each of 200 epochs. Tolerance: 1e-12 of the base
// rate (PyTorch chains multiplications where zebra uses the closed form; see Scheduler).
func TestSchedulesMatchPyTorch(t *testing.T) {
	for _, c := range loadGolden(t).Schedules {
		for form, make := range newGoldenSchedules(t, c) {
			t.Run(c.Name+"/"+form, func(t *testing.T) {
				opt := NewSGD([]*autograd.Var{autograd.NewVar(tensor.Zeros(tensor.Float32, 1), true)}, SGDOptions{LR: c.BaseLR})
				s := make(opt)
				tol := 1e-12 * c.BaseLR
				for epoch, want := range c.LRs {
					if s.LastEpoch() != epoch {
						t.Fatalf("LastEpoch %d during epoch %d", s.LastEpoch(), epoch)
					}
					if got := opt.LR(); !(math.Abs(got-want) <= tol) || s.LR() != got {
						t.Fatalf("epoch %d: optimizer rate %.17g, schedule LR %.17g, PyTorch %.17g", epoch, got, s.LR(), want)
					}
					s.Step()
				}
			})
		}
	}
}
