package autograd

import (
	"fmt"
	"math"
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// GradCheckOptions tune GradCheck. The zero value means torch.autograd.gradcheck's defaults.
type GradCheckOptions struct {
	// Eps is the finite-difference step (default 1e-6).
	Eps float64
	// Atol and Rtol bound the allowed error: |analytic - numeric| ≤ Atol + Rtol·|numeric| for every
	// Jacobian entry (defaults 1e-5 and 1e-3).
	Atol, Rtol float64
	// NondetTol is how far two backward passes of the same input may disagree (default 0: exactly).
	NondetTol float64
	// Fast checks one random projection vᵀ·J·u per input instead of the whole Jacobian: one backward
	// and two forwards per input instead of one per output and two per input element. Use it for
	// layers too large for the full check.
	Fast bool
	// Seed seeds the random projection vectors and the nondeterminism probe.
	Seed uint64
}

func (o GradCheckOptions) withDefaults() GradCheckOptions {
	if o.Eps == 0 {
		o.Eps = 1e-6
	}
	if o.Atol == 0 {
		o.Atol = 1e-5
	}
	if o.Rtol == 0 {
		o.Rtol = 1e-3
	}
	return o
}

// GradCheckResult summarizes a check: the largest absolute difference between analytic and
// numeric derivatives, and the largest relative one, |a−n| / max(1, |n|) (relative for large
// derivatives, absolute for small ones, so entries near zero do not dominate).
type GradCheckResult struct {
	MaxAbsErr, MaxRelErr float64
	// Entries is the number of Jacobian entries (or projections, in fast mode) compared.
	Entries int
}

// GradCheckError describes the first Jacobian entry that failed, or with a Reason, a check that
// failed before any entry was compared.
type GradCheckError struct {
	Input             int   // which input; -1 when the failure is not tied to one (an intermediate's gradient)
	Index             []int // the input element perturbed (nil in fast mode)
	Output            []int // the output element (nil in fast mode)
	Analytic, Numeric float64
	Reason            string
}

func (e *GradCheckError) Error() string {
	if e.Reason != "" && e.Input < 0 {
		return "gradcheck: " + e.Reason
	}
	if e.Reason != "" {
		return fmt.Sprintf("gradcheck: input %d: %s", e.Input, e.Reason)
	}
	if e.Index == nil {
		return fmt.Sprintf("gradcheck: input %d: projection vᵀJu: analytic %.10g, numeric %.10g (diff %.3g)",
			e.Input, e.Analytic, e.Numeric, math.Abs(e.Analytic-e.Numeric))
	}
	return fmt.Sprintf("gradcheck: input %d, element %v, output element %v: analytic %.10g, numeric %.10g (diff %.3g)",
		e.Input, e.Index, e.Output, e.Analytic, e.Numeric, math.Abs(e.Analytic-e.Numeric))
}

// GradCheck compares the gradients that f's backward computes with central finite differences, as
// torch.autograd.gradcheck does. f maps leaf Vars holding the inputs (float64 CPU tensors, all
// requiring gradients) to an output of any shape. Inputs f should not differentiate belong in its
// closure as constants. The inputs are perturbed in place during the check and restored.
//
// It returns an error (a *GradCheckError for a wrong derivative) when an entry is out of tolerance,
// a gradient has the wrong shape or dtype, or two backward passes disagree by more than NondetTol.
// Use errors.As with *GradCheckError to inspect a failure.
func GradCheck(f func(xs []*Var) *Var, inputs []*tensor.Tensor, opts GradCheckOptions) (GradCheckResult, error) {
	xs := make([]*Var, len(inputs))
	for i, x := range inputs {
		xs[i] = NewVar(x, true)
	}
	return GradCheckVars(func() *Var { return f(xs) }, xs, opts)
}

// GradCheckVars is GradCheck with respect to leaves that f reads by itself: a layer's input and
// its parameters, say (nn.GradCheckModule). The leaves must hold float64 CPU tensors. The check
// perturbs their values in place, switches their gradients on for the backward passes and off for
// the forward ones, and leaves values, Grad and RequiresGrad as it found them. Input i of a
// *GradCheckError is vars[i].
func GradCheckVars(f func() *Var, vars []*Var, opts GradCheckOptions) (GradCheckResult, error) {
	o := opts.withDefaults()
	inputs := make([]*tensor.Tensor, len(vars))
	for i, v := range vars {
		if !v.IsLeaf() {
			return GradCheckResult{}, fmt.Errorf("gradcheck: input %d was made by %s; GradCheck differentiates with respect to leaves", i, v.node.op)
		}
		if v.DType() != tensor.Float64 || v.Value.Backend() != tensor.CPU {
			return GradCheckResult{}, fmt.Errorf("gradcheck: input %d is %s on %s; GradCheck needs float64 CPU tensors", i, v.DType(), v.Value.Backend().Name())
		}
		inputs[i] = v.Value
		defer func(grad *tensor.Tensor, requiresGrad bool) { v.Grad, v.requiresGrad = grad, requiresGrad }(v.Grad, v.requiresGrad)
	}
	c := checker{f: f, vars: vars, inputs: inputs, o: o, rng: tensor.NewRNG(o.Seed)}
	out := c.forward()
	if out.DType() != tensor.Float64 {
		return GradCheckResult{}, fmt.Errorf("gradcheck: output is %s, want float64", out.DType())
	}
	if err := c.checkNondeterminism(out.Shape()); err != nil {
		return GradCheckResult{}, err
	}
	if o.Fast {
		return c.fast(out.Shape())
	}
	return c.full(out.Shape())
}

type checker struct {
	f      func() *Var
	vars   []*Var
	inputs []*tensor.Tensor // the values of vars, perturbed in place
	o      GradCheckOptions
	rng    *tensor.RNG
	res    GradCheckResult
}

// forward evaluates f with the checked leaves' gradients switched off, so that no op records a
// graph through them (a graph through other Vars that f reads is dropped with the result).
func (c *checker) forward() *tensor.Tensor {
	for _, v := range c.vars {
		v.requiresGrad = false
	}
	return c.f().Value
}

// gradients runs f and a backward pass seeded with seed and returns each input's gradient (zeros
// for inputs f does not depend on), checking shapes and dtypes. A backward inside f that returns a
// gradient of the wrong shape or dtype makes the engine panic (checkGrad); that panic, and only
// that one, becomes a *GradCheckError here, so that a caller such as cmd/zebra-gradcheck reports the op
// as failing and carries on.
func (c *checker) gradients(seed *tensor.Tensor) (grads []*tensor.Tensor, err error) {
	for _, v := range c.vars {
		v.Grad, v.requiresGrad = nil, true
	}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		bad, ok := r.(*badGradient)
		if !ok {
			panic(r)
		}
		// Blame one of the checked inputs when the bad gradient was for one of them.
		gerr := &GradCheckError{Input: -1, Reason: bad.msg}
		for i, v := range c.vars {
			if bad.input == v {
				gerr.Input = i
			}
		}
		grads, err = nil, gerr
	}()
	out := c.f()
	if !slices.Equal(out.Shape(), seed.Shape()) {
		return nil, fmt.Errorf("gradcheck: f's output shape changed between calls: %v, then %v", seed.Shape(), out.Shape())
	}
	if out.RequiresGrad() {
		out.BackwardWith(seed)
	}
	grads = make([]*tensor.Tensor, len(c.vars))
	for i, v := range c.vars {
		switch {
		case v.Grad == nil:
			grads[i] = tensor.ZerosLike(v.Value)
		case !slices.Equal(v.Grad.Shape(), v.Value.Shape()) || v.Grad.DType() != v.Value.DType():
			return nil, &GradCheckError{Input: i, Reason: fmt.Sprintf("gradient is %s %v, input is %s %v",
				v.Grad.DType(), v.Grad.Shape(), v.Value.DType(), v.Value.Shape())}
		default:
			grads[i] = v.Grad
		}
	}
	return grads, nil
}

// checkNondeterminism runs the backward twice with one random seed gradient and compares.
func (c *checker) checkNondeterminism(outShape []int) error {
	seed := tensor.Normal(c.rng, tensor.Float64, 0, 1, outShape...)
	g1, err := c.gradients(seed)
	if err != nil {
		return err
	}
	g2, err := c.gradients(seed)
	if err != nil {
		return err
	}
	for i := range g1 {
		a, b := g1[i].Float64s(), g2[i].Float64s()
		for k := range a {
			if d := math.Abs(a[k] - b[k]); d > c.o.NondetTol || math.IsNaN(d) {
				return &GradCheckError{Input: i, Reason: fmt.Sprintf("backward is nondeterministic: element %d gave %.10g, then %.10g (NondetTol %g)", k, a[k], b[k], c.o.NondetTol)}
			}
		}
	}
	return nil
}

// compare records one analytic/numeric pair and reports whether it is within tolerance.
func (c *checker) compare(a, n float64) bool {
	d := math.Abs(a - n)
	c.res.Entries++
	c.res.MaxAbsErr = max(c.res.MaxAbsErr, d)
	c.res.MaxRelErr = max(c.res.MaxRelErr, d/max(1, math.Abs(n)))
	return d <= c.o.Atol+c.o.Rtol*math.Abs(n) // false for NaN
}

// full builds the whole Jacobian both ways: one backward per output element (row by row), two
// forwards per input element (column by column).
func (c *checker) full(outShape []int) (GradCheckResult, error) {
	nOut := 1
	for _, d := range outShape {
		nOut *= d
	}
	// analytic[i][j*n_i + k] = d out_j / d input_i[k]
	analytic := make([][]float64, len(c.inputs))
	for i, x := range c.inputs {
		analytic[i] = make([]float64, nOut*x.Numel())
	}
	for j := range nOut {
		seed := tensor.Zeros(tensor.Float64, outShape...)
		tensor.CPUFloat64s(seed)[j] = 1
		grads, err := c.gradients(seed)
		if err != nil {
			return c.res, err
		}
		for i, g := range grads {
			copy(analytic[i][j*c.inputs[i].Numel():], g.Float64s())
		}
	}
	var firstErr error
	for i, x := range c.inputs {
		data := tensor.CPUFloat64s(x)
		for k := range data {
			numeric := c.difference(func(sign float64) { data[k] += sign * c.o.Eps })
			for j := range nOut {
				a := analytic[i][j*len(data)+k]
				if !c.compare(a, numeric[j]) && firstErr == nil {
					firstErr = &GradCheckError{Input: i, Index: unravel(k, x.Shape()), Output: unravel(j, outShape), Analytic: a, Numeric: numeric[j]}
				}
			}
		}
	}
	return c.res, firstErr
}

// difference returns (f(x+eps·d) − f(x−eps·d)) / 2eps elementwise over the output, where perturb(±1)
// moves the inputs by ±eps·d in place; the inputs are restored exactly afterwards by saving them.
func (c *checker) difference(perturb func(sign float64)) []float64 {
	saved := make([][]float64, len(c.inputs))
	for i, x := range c.inputs {
		saved[i] = x.Float64s()
	}
	restore := func() {
		for i, x := range c.inputs {
			copy(tensor.CPUFloat64s(x), saved[i])
		}
	}
	perturb(+1)
	plus := c.forward().Float64s()
	restore()
	perturb(-1)
	minus := c.forward().Float64s()
	restore()
	out := make([]float64, len(plus))
	for j := range out {
		out[j] = (plus[j] - minus[j]) / (2 * c.o.Eps)
	}
	return out
}

// fast compares vᵀ·J_i·u_i for random v (over the output) and u_i (over input i), input by input.
func (c *checker) fast(outShape []int) (GradCheckResult, error) {
	v := tensor.Normal(c.rng, tensor.Float64, 0, 1, outShape...)
	grads, err := c.gradients(v)
	if err != nil {
		return c.res, err
	}
	vs := v.Float64s()
	var firstErr error
	for i, x := range c.inputs {
		u := tensor.Normal(c.rng, tensor.Float64, 0, 1, x.Shape()...).Float64s()
		var analytic float64
		for k, g := range grads[i].Float64s() {
			analytic += g * u[k]
		}
		data := tensor.CPUFloat64s(x)
		dir := c.difference(func(sign float64) {
			for k := range data {
				data[k] += sign * c.o.Eps * u[k]
			}
		})
		var numeric float64
		for j, d := range dir {
			numeric += vs[j] * d
		}
		if !c.compare(analytic, numeric) && firstErr == nil {
			firstErr = &GradCheckError{Input: i, Analytic: analytic, Numeric: numeric}
		}
	}
	return c.res, firstErr
}

// unravel turns a flat row-major index into a multi-index of shape.
func unravel(k int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = k % shape[d]
			k /= shape[d]
		}
	}
	return idx
}
