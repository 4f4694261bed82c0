package gputest

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/gpu/internal/device"
	"github.com/zebra-go/zebra/tensor"
)

// Lockstep is a device backend that also keeps a CPU twin of every buffer and runs every kernel on
// both, comparing the device's result with its twin's after each call. When a model's result on a
// device differs from the CPU's, it names the first kernel call whose output drifted, with its
// arguments, which the end result alone cannot. It is slow (every kernel downloads its output) and
// keeps every buffer alive; it is for diagnosing, not for running.
type Lockstep struct {
	*device.Backend
	twins map[tensor.Storage]tensor.Storage
	calls int
	// Divergences lists the first calls (at most 8) whose output drifted from its twin (see
	// check).
	Divergences []string
	Tol         float64
}

// NewLockstep returns a lockstep backend on the driver of dev (a GPU backend).
func NewLockstep(dev interface{ Driver() device.Driver }) *Lockstep {
	l := &Lockstep{twins: map[tensor.Storage]tensor.Storage{}, Tol: 1e-5}
	l.Backend = device.New(dev.Driver(), l)
	return l
}

func (l *Lockstep) twin(s tensor.Storage) tensor.Storage { return l.twins[s] }

// drift is how far a device buffer is from its twin, relative to the twin's magnitude (or to
// inputScale, for sums: their rounding error scales with their terms, not with a result that
// cancellation can make arbitrarily small). It returns the worst element too.
func (l *Lockstep) drift(dev tensor.Storage, inputScale float64) (rel float64, at int, got, want float64) {
	g, w := Download(l.Backend, dev), Download(tensor.CPU, l.twin(dev))
	scale, worst := math.Max(inputScale, maxAbs(w)), 0.0
	for i := range w {
		if d := math.Abs(g[i] - w[i]); d > worst || d != d {
			worst, at = d, i
		}
	}
	if len(w) == 0 {
		return 0, 0, 0, 0
	}
	if scale == 0 {
		scale = 1
	}
	return worst / scale, at, g[at], w[at]
}

// check compares the output of a call with its twin, and records the call when the output drifted
// more than Tol and at least ten times more than its inputs had: a kernel that is wrong, or one
// that magnifies rounding noise (where a model is ill-conditioned), rather than one that passes
// on earlier differences.
func (l *Lockstep) check(call string, out tensor.Storage, inputScale float64, inputs ...tensor.Storage) {
	l.calls++
	if len(l.Divergences) >= 8 {
		return
	}
	rel, at, got, want := l.drift(out, inputScale)
	if rel <= l.Tol && rel == rel {
		return
	}
	in := 0.0
	for _, s := range inputs {
		r, _, _, _ := l.drift(s, 0)
		in = math.Max(in, r)
	}
	if rel > 10*in || rel != rel {
		l.Divergences = append(l.Divergences, fmt.Sprintf("call %d, %s: relative drift %.3g from inputs drifted %.3g; element %d is %g on %s, %g on the cpu",
			l.calls, call, rel, in, at, got, l.Name(), want))
	}
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

func (l *Lockstep) Alloc(dt tensor.DType, n int) tensor.Storage {
	s := l.Backend.Alloc(dt, n)
	l.twins[s] = tensor.CPU.Alloc(dt, n)
	return s
}

func (l *Lockstep) Upload(dst tensor.Storage, src any) {
	l.Backend.Upload(dst, src)
	tensor.CPU.Upload(l.twin(dst), src)
}

func (l *Lockstep) Fill(dst tensor.Storage, v float64) {
	l.Backend.Fill(dst, v)
	tensor.CPU.Fill(l.twin(dst), v)
	l.check(fmt.Sprintf("Fill(%g)", v), dst, 0)
}

func (l *Lockstep) Cast(dst, src tensor.Storage) {
	l.Backend.Cast(dst, src)
	tensor.CPU.Cast(l.twin(dst), l.twin(src))
	l.check("Cast", dst, 0, src)
}

func (l *Lockstep) Copy(dst tensor.Storage, dstOff int, dstStrides []int, src tensor.Storage, srcOff int, srcStrides []int, shape []int) {
	l.Backend.Copy(dst, dstOff, dstStrides, src, srcOff, srcStrides, shape)
	tensor.CPU.Copy(l.twin(dst), dstOff, dstStrides, l.twin(src), srcOff, srcStrides, shape)
	l.check(fmt.Sprintf("Copy(shape %v, dst +%d %v, src +%d %v)", shape, dstOff, dstStrides, srcOff, srcStrides), dst, 0, src)
}

func (l *Lockstep) Unary(op tensor.UnaryOp, dst, src tensor.Storage, param float64) {
	l.Backend.Unary(op, dst, src, param)
	tensor.CPU.Unary(op, l.twin(dst), l.twin(src), param)
	l.check(fmt.Sprintf("Unary(%s, %g)", op, param), dst, 0, src)
}

func (l *Lockstep) Binary(op tensor.BinaryOp, dst, a, b tensor.Storage, shape, aStrides, bStrides []int, param float64) {
	l.Backend.Binary(op, dst, a, b, shape, aStrides, bStrides, param)
	tensor.CPU.Binary(op, l.twin(dst), l.twin(a), l.twin(b), shape, aStrides, bStrides, param)
	l.check(fmt.Sprintf("Binary(%s, shape %v, strides %v %v, %g)", op, shape, aStrides, bStrides, param), dst, 0, a, b)
}

func (l *Lockstep) Reduce(op tensor.ReduceOp, dst, src tensor.Storage, outer, mid, inner int) {
	l.Backend.Reduce(op, dst, src, outer, mid, inner)
	tensor.CPU.Reduce(op, l.twin(dst), l.twin(src), outer, mid, inner)
	l.check(fmt.Sprintf("Reduce(%s, [%d %d %d])", op, outer, mid, inner), dst, maxAbs(Download(tensor.CPU, l.twin(src)))*float64(mid), src)
}

func (l *Lockstep) Gemm(g tensor.GemmArgs) {
	l.Backend.Gemm(g)
	c := g
	c.A, c.B, c.C = l.twin(g.A), l.twin(g.B), l.twin(g.C)
	tensor.CPU.Gemm(c)
	terms := maxAbs(Download(tensor.CPU, c.A)) * maxAbs(Download(tensor.CPU, c.B)) * float64(g.K) * math.Abs(g.Alpha)
	c.A, c.B, c.C = nil, nil, nil
	l.check(fmt.Sprintf("Gemm(%+v)", c), g.C, terms, g.A, g.B)
}

func (l *Lockstep) Im2col(cols, x tensor.Storage, g tensor.ConvGeom) {
	l.Backend.Im2col(cols, x, g)
	tensor.CPU.Im2col(l.twin(cols), l.twin(x), g)
	l.check(fmt.Sprintf("Im2col(%+v)", g), cols, 0, x)
}

func (l *Lockstep) Col2im(x, cols tensor.Storage, g tensor.ConvGeom) {
	l.Backend.Col2im(x, cols, g)
	tensor.CPU.Col2im(l.twin(x), l.twin(cols), g)
	l.check(fmt.Sprintf("Col2im(%+v)", g), x, 0, cols)
}

func (l *Lockstep) ReflectPad(dst, src tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	l.Backend.ReflectPad(dst, src, planes, h, w, p)
	tensor.CPU.ReflectPad(l.twin(dst), l.twin(src), planes, h, w, p)
	l.check(fmt.Sprintf("ReflectPad(%d planes %dx%d, %+v)", planes, h, w, p), dst, 0, src)
}

func (l *Lockstep) ReflectPadBackward(dx, dy tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	l.Backend.ReflectPadBackward(dx, dy, planes, h, w, p)
	tensor.CPU.ReflectPadBackward(l.twin(dx), l.twin(dy), planes, h, w, p)
	l.check(fmt.Sprintf("ReflectPadBackward(%d planes %dx%d, %+v)", planes, h, w, p), dx, 0, dy)
}

func (l *Lockstep) InstanceNormForward(y, mean, rstd, x tensor.Storage, planes, size int, eps float64) {
	l.Backend.InstanceNormForward(y, mean, rstd, x, planes, size, eps)
	tensor.CPU.InstanceNormForward(l.twin(y), l.twin(mean), l.twin(rstd), l.twin(x), planes, size, eps)
	call := fmt.Sprintf("InstanceNormForward(%d planes of %d, eps %g)", planes, size, eps)
	l.check(call+" y", y, 0, x)
	l.check(call+" mean", mean, 0, x)
	l.check(call+" rstd", rstd, 0, x)
}

func (l *Lockstep) InstanceNormBackward(dx, dy, x, mean, rstd tensor.Storage, planes, size int) {
	l.Backend.InstanceNormBackward(dx, dy, x, mean, rstd, planes, size)
	tensor.CPU.InstanceNormBackward(l.twin(dx), l.twin(dy), l.twin(x), l.twin(mean), l.twin(rstd), planes, size)
	l.check(fmt.Sprintf("InstanceNormBackward(%d planes of %d)", planes, size), dx, 0, dy, x, mean, rstd)
}

func (l *Lockstep) AdamStep(param, grad, m, v tensor.Storage, h tensor.AdamHyper) {
	l.Backend.AdamStep(param, grad, m, v, h)
	tensor.CPU.AdamStep(l.twin(param), l.twin(grad), l.twin(m), l.twin(v), h)
	l.check(fmt.Sprintf("AdamStep(%+v) param", h), param, 0, grad)
	l.check("AdamStep m", m, 0, grad)
	l.check("AdamStep v", v, 0, grad)
}
