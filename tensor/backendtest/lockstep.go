package backendtest

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/tensor"
)

// Lockstep is a backend that runs every kernel on a device backend and on a CPU twin of each of
// its buffers, comparing the device's result with its twin's after each call. When a model's
// result on a device differs from the CPU's, it names the first kernel calls whose output
// drifted, with their arguments, which the end result alone cannot. It is slow (every kernel
// downloads its output) and keeps every buffer alive; it is for diagnosing, not for running.
//
// Its storage wraps the device's and reports the Lockstep as its backend, so that every
// operation on a tensor made through it comes back to it. It has none of the optional
// capabilities: convolutions take the composed path of Im2col, Gemm and Col2im.
type Lockstep struct {
	dev   tensor.Backend
	calls int
	// Divergences lists the first calls (at most 8) whose output drifted from its twin (see
	// check).
	Divergences []string
	// Tol is the relative drift a call may add (default 1e-5).
	Tol float64
}

// NewLockstep returns a lockstep backend over dev.
func NewLockstep(dev tensor.Backend) *Lockstep { return &Lockstep{dev: dev, Tol: 1e-5} }

// lockstepStorage is a device buffer and its CPU twin.
type lockstepStorage struct {
	l         *Lockstep
	dev, twin tensor.Storage
}

func (s *lockstepStorage) Backend() tensor.Backend { return s.l }
func (s *lockstepStorage) DType() tensor.DType     { return s.dev.DType() }
func (s *lockstepStorage) Len() int                { return s.dev.Len() }

// pair returns the device buffer and the twin of a Lockstep storage.
func (l *Lockstep) pair(s tensor.Storage) (dev, twin tensor.Storage) {
	ls, ok := s.(*lockstepStorage)
	if !ok || ls.l != l {
		panic(fmt.Sprintf("%s: storage of %s", l.Name(), s.Backend().Name()))
	}
	return ls.dev, ls.twin
}

func (l *Lockstep) on(s tensor.Storage) tensor.Storage  { d, _ := l.pair(s); return d }
func (l *Lockstep) cpu(s tensor.Storage) tensor.Storage { _, t := l.pair(s); return t }

// drift is how far a device buffer is from its twin, relative to the twin's magnitude (or to
// inputScale, for sums: their rounding error scales with their terms, not with a result that
// cancellation can make arbitrarily small). It returns the worst element too.
func (l *Lockstep) drift(s tensor.Storage, inputScale float64) (rel float64, at int, got, want float64) {
	g, w := download(l.dev, l.on(s)), download(tensor.CPU, l.cpu(s))
	scale, worst := math.Max(inputScale, maxAbs(w)), 0.0
	for i := range w {
		if g[i] == w[i] || math.IsNaN(g[i]) && math.IsNaN(w[i]) {
			continue // agreeing, NaN guard bands included
		}
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
			l.calls, call, rel, in, at, got, l.dev.Name(), want))
	}
}

// maxAbs is the largest magnitude in v, NaNs (guard bands) left out.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		if a := math.Abs(x); a > m {
			m = a
		}
	}
	return m
}

// Name is the device's name with "+lockstep".
func (l *Lockstep) Name() string { return l.dev.Name() + "+lockstep" }

func (l *Lockstep) Alloc(dt tensor.DType, n int) tensor.Storage {
	return &lockstepStorage{l: l, dev: l.dev.Alloc(dt, n), twin: tensor.CPU.Alloc(dt, n)}
}

func (l *Lockstep) Upload(dst tensor.Storage, src any) {
	l.dev.Upload(l.on(dst), src)
	tensor.CPU.Upload(l.cpu(dst), src)
}

func (l *Lockstep) Download(dst any, src tensor.Storage) { l.dev.Download(dst, l.on(src)) }

func (l *Lockstep) Fill(dst tensor.Storage, v float64) {
	l.dev.Fill(l.on(dst), v)
	tensor.CPU.Fill(l.cpu(dst), v)
	l.check(fmt.Sprintf("Fill(%g)", v), dst, 0)
}

func (l *Lockstep) Cast(dst, src tensor.Storage) {
	l.dev.Cast(l.on(dst), l.on(src))
	tensor.CPU.Cast(l.cpu(dst), l.cpu(src))
	l.check("Cast", dst, 0, src)
}

func (l *Lockstep) Copy(dst tensor.Storage, dstOff int, dstStrides []int, src tensor.Storage, srcOff int, srcStrides []int, shape []int) {
	l.dev.Copy(l.on(dst), dstOff, dstStrides, l.on(src), srcOff, srcStrides, shape)
	tensor.CPU.Copy(l.cpu(dst), dstOff, dstStrides, l.cpu(src), srcOff, srcStrides, shape)
	l.check(fmt.Sprintf("Copy(shape %v, dst +%d %v, src +%d %v)", shape, dstOff, dstStrides, srcOff, srcStrides), dst, 0, src)
}

func (l *Lockstep) Unary(op tensor.UnaryOp, dst, src tensor.Storage, param float64) {
	l.dev.Unary(op, l.on(dst), l.on(src), param)
	tensor.CPU.Unary(op, l.cpu(dst), l.cpu(src), param)
	l.check(fmt.Sprintf("Unary(%s, %g)", op, param), dst, 0, src)
}

func (l *Lockstep) Binary(op tensor.BinaryOp, dst, a, b tensor.Storage, shape, aStrides, bStrides []int, param float64) {
	l.dev.Binary(op, l.on(dst), l.on(a), l.on(b), shape, aStrides, bStrides, param)
	tensor.CPU.Binary(op, l.cpu(dst), l.cpu(a), l.cpu(b), shape, aStrides, bStrides, param)
	l.check(fmt.Sprintf("Binary(%s, shape %v, strides %v %v, %g)", op, shape, aStrides, bStrides, param), dst, 0, a, b)
}

func (l *Lockstep) Reduce(op tensor.ReduceOp, dst, src tensor.Storage, outer, mid, inner int) {
	l.dev.Reduce(op, l.on(dst), l.on(src), outer, mid, inner)
	tensor.CPU.Reduce(op, l.cpu(dst), l.cpu(src), outer, mid, inner)
	l.check(fmt.Sprintf("Reduce(%s, [%d %d %d])", op, outer, mid, inner), dst, maxAbs(download(tensor.CPU, l.cpu(src)))*float64(mid), src)
}

func (l *Lockstep) Gemm(g tensor.GemmArgs) {
	d, c := g, g
	d.A, d.B, d.C = l.on(g.A), l.on(g.B), l.on(g.C)
	c.A, c.B, c.C = l.cpu(g.A), l.cpu(g.B), l.cpu(g.C)
	l.dev.Gemm(d)
	tensor.CPU.Gemm(c)
	terms := maxAbs(download(tensor.CPU, c.A)) * maxAbs(download(tensor.CPU, c.B)) * float64(g.K) * math.Abs(g.Alpha)
	c.A, c.B, c.C = nil, nil, nil
	l.check(fmt.Sprintf("Gemm(%+v)", c), g.C, terms, g.A, g.B)
}

func (l *Lockstep) Im2col(cols, x tensor.Storage, g tensor.ConvGeom) {
	l.dev.Im2col(l.on(cols), l.on(x), g)
	tensor.CPU.Im2col(l.cpu(cols), l.cpu(x), g)
	l.check(fmt.Sprintf("Im2col(%+v)", g), cols, 0, x)
}

func (l *Lockstep) Col2im(x, cols tensor.Storage, g tensor.ConvGeom) {
	l.dev.Col2im(l.on(x), l.on(cols), g)
	tensor.CPU.Col2im(l.cpu(x), l.cpu(cols), g)
	l.check(fmt.Sprintf("Col2im(%+v)", g), x, 0, cols)
}

func (l *Lockstep) ReflectPad(dst, src tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	l.dev.ReflectPad(l.on(dst), l.on(src), planes, h, w, p)
	tensor.CPU.ReflectPad(l.cpu(dst), l.cpu(src), planes, h, w, p)
	l.check(fmt.Sprintf("ReflectPad(%d planes %dx%d, %+v)", planes, h, w, p), dst, 0, src)
}

func (l *Lockstep) ReflectPadBackward(dx, dy tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	l.dev.ReflectPadBackward(l.on(dx), l.on(dy), planes, h, w, p)
	tensor.CPU.ReflectPadBackward(l.cpu(dx), l.cpu(dy), planes, h, w, p)
	l.check(fmt.Sprintf("ReflectPadBackward(%d planes %dx%d, %+v)", planes, h, w, p), dx, 0, dy)
}

func (l *Lockstep) InstanceNormForward(y, mean, rstd, x tensor.Storage, planes, size int, eps float64) {
	l.dev.InstanceNormForward(l.on(y), l.on(mean), l.on(rstd), l.on(x), planes, size, eps)
	tensor.CPU.InstanceNormForward(l.cpu(y), l.cpu(mean), l.cpu(rstd), l.cpu(x), planes, size, eps)
	call := fmt.Sprintf("InstanceNormForward(%d planes of %d, eps %g)", planes, size, eps)
	l.check(call+" y", y, 0, x)
	l.check(call+" mean", mean, 0, x)
	l.check(call+" rstd", rstd, 0, x)
}

func (l *Lockstep) InstanceNormBackward(dx, dy, x, mean, rstd tensor.Storage, planes, size int) {
	l.dev.InstanceNormBackward(l.on(dx), l.on(dy), l.on(x), l.on(mean), l.on(rstd), planes, size)
	tensor.CPU.InstanceNormBackward(l.cpu(dx), l.cpu(dy), l.cpu(x), l.cpu(mean), l.cpu(rstd), planes, size)
	l.check(fmt.Sprintf("InstanceNormBackward(%d planes of %d)", planes, size), dx, 0, dy, x, mean, rstd)
}

func (l *Lockstep) AdamStep(param, grad, m, v tensor.Storage, h tensor.AdamHyper) {
	l.dev.AdamStep(l.on(param), l.on(grad), l.on(m), l.on(v), h)
	tensor.CPU.AdamStep(l.cpu(param), l.cpu(grad), l.cpu(m), l.cpu(v), h)
	l.check(fmt.Sprintf("AdamStep(%+v) param", h), param, 0, grad)
	l.check("AdamStep m", m, 0, grad)
	l.check("AdamStep v", v, 0, grad)
}
