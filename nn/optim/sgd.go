package optim

import (
	"fmt"
	"math"
	"strconv"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// SGDOptions are the hyper-parameters of stochastic gradient descent. LR has no default (PyTorch
// requires it too); every other zero value is PyTorch's default.
type SGDOptions struct {
	LR          float64 // learning rate; required, > 0
	Momentum    float64 // momentum factor; 0 (plain SGD) by default
	Dampening   float64 // scales down the new gradient's share of the momentum buffer; default 0
	Nesterov    bool    // Nesterov momentum; needs Momentum > 0 and Dampening 0
	WeightDecay float64 // adds WeightDecay*param to the gradient (L2 penalty); default 0
}

// problem returns what is wrong with the options, "" when nothing is (PyTorch's checks, plus a
// required positive LR since a zero LR is almost always a forgotten field).
func (o SGDOptions) problem() string {
	switch {
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return fmt.Sprintf("invalid learning rate %v (LR is required and must be > 0)", o.LR)
	case !(o.Momentum >= 0) || math.IsInf(o.Momentum, 0):
		return fmt.Sprintf("invalid Momentum %v", o.Momentum)
	case math.IsNaN(o.Dampening) || math.IsInf(o.Dampening, 0):
		return fmt.Sprintf("invalid Dampening %v", o.Dampening)
	case !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0):
		return fmt.Sprintf("invalid WeightDecay %v", o.WeightDecay)
	case o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0):
		return "Nesterov momentum requires Momentum > 0 and Dampening 0"
	}
	return ""
}

// SGD is torch.optim.SGD: stochastic gradient descent with optional momentum, dampening,
// Nesterov momentum and L2 weight decay. For each parameter with a gradient g:
//
//	g = g + WeightDecay*param
//	b = g                                    at the parameter's first step (momentum_buffer)
//	b = Momentum*b + (1-Dampening)*g         afterwards
//	d = g + Momentum*b if Nesterov, else b   (d = g without momentum)
//	param -= LR*d
//
// The first step copies g into the buffer undamped, as PyTorch does. Sutskever et al.'s
// formulation, with LR folded into the buffer (b = Momentum*b + LR*g; param -= b), is another
// optimizer once LR changes during training; this is PyTorch's.
type SGD struct {
	params paramList
	opts   SGDOptions
	buf    []*tensor.Tensor // momentum buffers, nil until the parameter's first step with momentum
}

// NewSGD returns an SGD optimizer over params. It panics on an empty or duplicated parameter list,
// a non-leaf parameter or invalid options.
func NewSGD(params []*autograd.Var, opts SGDOptions) *SGD {
	if p := opts.problem(); p != "" {
		panic("optim.NewSGD: " + p)
	}
	ps := newParamList("optim.NewSGD", params)
	return &SGD{params: ps, opts: opts, buf: make([]*tensor.Tensor, len(ps))}
}

// Options returns the hyper-parameters in use (LR as last set).
func (s *SGD) Options() SGDOptions { return s.opts }

// LR is the learning rate of the next Step.
func (s *SGD) LR() float64 { return s.opts.LR }

// SetLR sets the learning rate of the following steps.
func (s *SGD) SetLR(lr float64) { s.opts.LR = lr }

// ZeroGrad drops every parameter's gradient.
func (s *SGD) ZeroGrad() { s.params.ZeroGrad() }

// Step applies one SGD update to every parameter that has a gradient. It is built from tensor
// ops rather than a fused kernel: CycleGAN trains with Adam, and SGD's few extra temporaries
// cost little next to a forward pass.
func (s *SGD) Step() {
	o := s.opts
	for i, p := range s.params {
		if p.Grad == nil {
			continue
		}
		d := p.Grad
		if o.WeightDecay != 0 {
			d = tensor.Add(d, tensor.Scale(p.Value, o.WeightDecay))
		}
		if o.Momentum != 0 {
			b := s.buf[i]
			if b == nil {
				b = d.Clone()
				s.buf[i] = b
			} else {
				tensor.CopyInto(b, tensor.Add(tensor.Scale(b, o.Momentum), tensor.Scale(d, 1-o.Dampening)))
			}
			if o.Nesterov {
				d = tensor.Add(d, tensor.Scale(b, o.Momentum))
			} else {
				d = b
			}
		}
		tensor.AddInPlace(p.Value, tensor.Scale(d, -o.LR))
	}
}

var sgdMetaKeys = []string{"optimizer", "params", "lr", "momentum", "dampening", "nesterov", "weight_decay"}

// State returns state.<i>.momentum_buffer for every parameter that has one, and the
// hyper-parameters.
func (s *SGD) State() (map[string]*tensor.Tensor, map[string]string) {
	tensors := make(map[string]*tensor.Tensor)
	for i, b := range s.buf {
		if b != nil {
			tensors[stateKey(i, "momentum_buffer")] = b
		}
	}
	meta := map[string]string{
		"optimizer":    "SGD",
		"params":       strconv.Itoa(len(s.params)),
		"lr":           formatFloat(s.opts.LR),
		"momentum":     formatFloat(s.opts.Momentum),
		"dampening":    formatFloat(s.opts.Dampening),
		"nesterov":     strconv.FormatBool(s.opts.Nesterov),
		"weight_decay": formatFloat(s.opts.WeightDecay),
	}
	return tensors, meta
}

// LoadState restores a state written by State (see Optimizer.LoadState).
func (s *SGD) LoadState(tensors map[string]*tensor.Tensor, meta map[string]string) error {
	const op = "optim.SGD.LoadState"
	r := optimizerMeta(op, "SGD", meta, len(s.params), sgdMetaKeys)
	opts := SGDOptions{LR: r.float("lr"), Momentum: r.float("momentum"), Dampening: r.float("dampening"),
		Nesterov: r.bool("nesterov"), WeightDecay: r.float("weight_decay")}
	r.checkProblem(opts.problem())
	if r.err != nil {
		return r.err
	}

	groups, err := splitState(op, tensors, len(s.params), "momentum_buffer")
	if err != nil {
		return err
	}
	buf := make([]*tensor.Tensor, len(s.params))
	for i := range s.params {
		g := groups[i]
		if g == nil {
			continue
		}
		key := stateKey(i, "momentum_buffer")
		value := s.params[i].Value
		if err := checkStateShape(op, key, g["momentum_buffer"], value.Shape()); err != nil {
			return err
		}
		buf[i] = ownedCopy(g["momentum_buffer"], value)
	}
	s.opts, s.buf = opts, buf
	return nil
}
