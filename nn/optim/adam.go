package optim

import (
	"fmt"
	"math"
	"strconv"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// AdamOptions are Adam's hyper-parameters. A zero field means PyTorch's default, so
// AdamOptions{} is torch.optim.Adam(params) and CycleGAN's optimizer is
// AdamOptions{LR: 2e-4, Beta1: 0.5}.
//
// Because zero means "default", Beta1 = 0 (no momentum) cannot be spelled; use a tiny value
// such as 1e-12 if you need it.
type AdamOptions struct {
	LR    float64 // learning rate; default 1e-3
	Beta1 float64 // decay of the first-moment (mean) estimate; default 0.9
	Beta2 float64 // decay of the second-moment (uncentred variance) estimate; default 0.999
	Eps   float64 // added to the denominator for numerical stability; default 1e-8
	// WeightDecay adds WeightDecay*param to the gradient (an L2 penalty, as torch.optim.Adam; not
	// AdamW's decoupled decay); default 0.
	WeightDecay float64
}

// withDefaults fills zero fields with PyTorch's defaults.
func (o AdamOptions) withDefaults() AdamOptions {
	if o.LR == 0 {
		o.LR = 1e-3
	}
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	return o
}

// problem returns what is wrong with resolved options, "" when nothing is (PyTorch's checks).
func (o AdamOptions) problem() string {
	switch {
	case !(o.LR >= 0) || math.IsInf(o.LR, 0):
		return fmt.Sprintf("invalid learning rate %v", o.LR)
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return fmt.Sprintf("invalid Beta1 %v (want 0 ≤ Beta1 < 1)", o.Beta1)
	case !(o.Beta2 >= 0 && o.Beta2 < 1):
		return fmt.Sprintf("invalid Beta2 %v (want 0 ≤ Beta2 < 1)", o.Beta2)
	case !(o.Eps >= 0) || math.IsInf(o.Eps, 0):
		return fmt.Sprintf("invalid Eps %v", o.Eps)
	case !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0):
		return fmt.Sprintf("invalid WeightDecay %v", o.WeightDecay)
	}
	return ""
}

// Adam is torch.optim.Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", 2014) without
// amsgrad. For each parameter with a gradient g, at its t-th step:
//
//	g = g + WeightDecay*param
//	m = Beta1*m + (1-Beta1)*g            (exp_avg)
//	v = Beta2*v + (1-Beta2)*g²           (exp_avg_sq)
//	param -= LR/(1-Beta1^t) * m / (sqrt(v)/sqrt(1-Beta2^t) + Eps)
//
// computed by one fused kernel (tensor.AdamStep) in the order of PyTorch's single-tensor path,
// so float32 results agree with PyTorch's to a few units in the last place.
//
// As in PyTorch, the state of a parameter (t, m, v) is created at its first step with a
// gradient, and each parameter counts its own steps: one that had no gradient for a while has a
// smaller t than the others and its bias corrections say so.
type Adam struct {
	params paramList
	opts   AdamOptions
	state  []*adamState // nil until the parameter's first step
}

type adamState struct {
	step             int64
	expAvg, expAvgSq *tensor.Tensor
}

// NewAdam returns an Adam optimizer over params. It panics on an empty or duplicated parameter
// list, a non-leaf parameter or invalid options.
func NewAdam(params []*autograd.Var, opts AdamOptions) *Adam {
	opts = opts.withDefaults()
	if p := opts.problem(); p != "" {
		panic("optim.NewAdam: " + p)
	}
	ps := newParamList("optim.NewAdam", params)
	return &Adam{params: ps, opts: opts, state: make([]*adamState, len(ps))}
}

// Options returns the hyper-parameters in use (defaults filled in, LR as last set).
func (a *Adam) Options() AdamOptions { return a.opts }

// LR is the learning rate of the next Step.
func (a *Adam) LR() float64 { return a.opts.LR }

// SetLR sets the learning rate of the following steps.
func (a *Adam) SetLR(lr float64) { a.opts.LR = lr }

// ZeroGrad drops every parameter's gradient.
func (a *Adam) ZeroGrad() { a.params.ZeroGrad() }

// Step applies one Adam update to every parameter that has a gradient.
func (a *Adam) Step() {
	for i, p := range a.params {
		if p.Grad == nil {
			continue
		}
		s := a.state[i]
		if s == nil {
			s = &adamState{expAvg: tensor.ZerosLike(p.Value), expAvgSq: tensor.ZerosLike(p.Value)}
			a.state[i] = s
		}
		s.step++
		// The bias corrections are computed in float64 from the integer step count, as PyTorch
		// does in Python (beta1 ** step) before handing scalars to its kernels.
		t := float64(s.step)
		tensor.AdamStep(p.Value, p.Grad, s.expAvg, s.expAvgSq, tensor.AdamHyper{
			LR:              a.opts.LR,
			Beta1:           a.opts.Beta1,
			Beta2:           a.opts.Beta2,
			Eps:             a.opts.Eps,
			WeightDecay:     a.opts.WeightDecay,
			BiasCorrection1: 1 - math.Pow(a.opts.Beta1, t),
			BiasCorrection2: 1 - math.Pow(a.opts.Beta2, t),
		})
	}
}

// Meta keys of Adam's state; "optimizer" names the kind and "params" the parameter count.
var adamMetaKeys = []string{"optimizer", "params", "lr", "beta1", "beta2", "eps", "weight_decay"}

// State returns state.<i>.step (a float64 scalar), state.<i>.exp_avg and state.<i>.exp_avg_sq
// for every parameter that has taken a step, and the hyper-parameters.
func (a *Adam) State() (map[string]*tensor.Tensor, map[string]string) {
	tensors := make(map[string]*tensor.Tensor)
	for i, s := range a.state {
		if s == nil {
			continue
		}
		tensors[stateKey(i, "step")] = stepTensor(s.step)
		tensors[stateKey(i, "exp_avg")] = s.expAvg
		tensors[stateKey(i, "exp_avg_sq")] = s.expAvgSq
	}
	meta := map[string]string{
		"optimizer":    "Adam",
		"params":       strconv.Itoa(len(a.params)),
		"lr":           formatFloat(a.opts.LR),
		"beta1":        formatFloat(a.opts.Beta1),
		"beta2":        formatFloat(a.opts.Beta2),
		"eps":          formatFloat(a.opts.Eps),
		"weight_decay": formatFloat(a.opts.WeightDecay),
	}
	return tensors, meta
}

// LoadState restores a state written by State (see Optimizer.LoadState). Parameters without
// state.<i>.* keys go back to having no state, as before their first step.
func (a *Adam) LoadState(tensors map[string]*tensor.Tensor, meta map[string]string) error {
	const op = "optim.Adam.LoadState"
	r := optimizerMeta(op, "Adam", meta, len(a.params), adamMetaKeys)
	opts := AdamOptions{LR: r.float("lr"), Beta1: r.float("beta1"), Beta2: r.float("beta2"),
		Eps: r.float("eps"), WeightDecay: r.float("weight_decay")}
	r.checkProblem(opts.problem())
	if r.err != nil {
		return r.err
	}

	groups, err := splitState(op, tensors, len(a.params), "step", "exp_avg", "exp_avg_sq")
	if err != nil {
		return err
	}
	state := make([]*adamState, len(a.params))
	for i := range a.params { // in index order, so that the first problem reported is stable
		g := groups[i]
		if g == nil {
			continue
		}
		for _, name := range []string{"step", "exp_avg", "exp_avg_sq"} {
			if g[name] == nil {
				return fmt.Errorf("%s: parameter %d has state but no %q tensor", op, i, stateKey(i, name))
			}
		}
		step, err := parseStep(op, stateKey(i, "step"), g["step"])
		if err != nil {
			return err
		}
		value := a.params[i].Value
		for _, name := range []string{"exp_avg", "exp_avg_sq"} {
			if err := checkStateShape(op, stateKey(i, name), g[name], value.Shape()); err != nil {
				return err
			}
		}
		state[i] = &adamState{step: step, expAvg: ownedCopy(g["exp_avg"], value), expAvgSq: ownedCopy(g["exp_avg_sq"], value)}
	}
	a.opts, a.state = opts, state
	return nil
}
