package backendtest

import (
	"fmt"
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// raggedSizes are the element counts elementwise kernels are checked on: empty, one element, odd
// sizes, both sides of typical GPU work-group sizes (256, 1024), and one above twice the CPU's
// parallel grain so that split loops are exercised.
var raggedSizes = []int{0, 1, 7, 33, 255, 257, 1000, 1025, 70001}

func testAlloc(h *harness) {
	if h.b.Name() == "" {
		h.t.Error("Name() is empty")
	}
	for _, n := range raggedSizes {
		s := h.b.Alloc(h.dt, n)
		if s.Len() != n || s.DType() != h.dt || s.Backend() != h.b {
			h.t.Errorf("Alloc(%s, %d) gave Len %d, DType %s, Backend %v", h.dt, n, s.Len(), s.DType(), s.Backend())
			continue
		}
		compare(h.t, fmt.Sprintf("Alloc(%s, %d) is zeroed", h.dt, n), make([]float64, n), download(h.b, s), exact, nil)
	}
}

func testUploadDownload(h *harness) {
	for _, n := range raggedSizes {
		data := h.normal(n, 0, 1e3)
		s := upload(h.b, h.dt, data)
		compare(h.t, fmt.Sprintf("round trip of %d", n), data, download(h.b, s), exact, nil)
		// A second upload overwrites the first completely.
		data = h.normal(n, 0, 1)
		got := s
		if h.dt == tensor.Float32 {
			f := make([]float32, n)
			for i, v := range data {
				f[i] = float32(v)
			}
			h.b.Upload(got, f)
		} else {
			h.b.Upload(got, slices.Clone(data))
		}
		compare(h.t, fmt.Sprintf("second upload of %d", n), data, download(h.b, got), exact, nil)
	}
}

func testFill(h *harness) {
	for _, n := range raggedSizes {
		for _, v := range []float64{0, 1, -2.5, 0.1, 3e7} {
			p := h.pair(h.normal(n, 0, 1))
			tensor.CPU.Fill(p.ref, v)
			h.b.Fill(p.got, v)
			h.check(fmt.Sprintf("Fill(%d, %g)", n, v), p, exact, nil)
		}
	}
}

func testCast(h *harness) {
	targets := []tensor.DType{tensor.Float32}
	if h.float64s {
		targets = append(targets, tensor.Float64)
	}
	for _, n := range raggedSizes {
		// Many significant digits, so that float64 -> float32 must round (to nearest even).
		src := h.pair(h.normal(n, 0, 100))
		for _, to := range targets {
			garbage := make([]float64, n)
			for i := range garbage {
				garbage[i] = float64(i) + 0.5
			}
			dst := pair{upload(tensor.CPU, to, garbage), upload(h.b, to, garbage), garbage}
			tensor.CPU.Cast(dst.ref, src.ref)
			h.b.Cast(dst.got, src.got)
			what := fmt.Sprintf("Cast %s->%s of %d", h.dt, to, n)
			h.check(what, dst, exact, nil)
			h.intact(what, src)
		}
	}
}

// copyCase is one strided copy: for every index i of shape,
// dst[dstOff + Σ i·dstStrides] = src[srcOff + Σ i·srcStrides].
type copyCase struct {
	name               string
	shape              []int
	dstOff, srcOff     int
	dstStrides         []int
	srcStrides         []int
	dstGuard, srcGuard int
}

// layout returns strides under which a view of shape is stored inside a larger tensor (each
// dimension grown by up to grow) whose dimensions are in the order perm: the strides of a
// permuted, narrowed view.
func (h *harness) layout(shape []int, grow int) []int {
	nd := len(shape)
	perm := h.rng.Perm(nd)
	stored := make([]int, nd)
	for i, p := range perm {
		stored[i] = shape[p] + h.rng.IntN(grow+1)
	}
	st := tensor.ContiguousStrides(stored)
	out := make([]int, nd)
	for i, p := range perm {
		out[p] = st[i]
	}
	return out
}

func (h *harness) copyCases() []copyCase {
	cases := []copyCase{
		{name: "contiguous", shape: []int{70001}, dstStrides: []int{1}, srcStrides: []int{1}},
		{name: "scalar", shape: []int{}, dstOff: 2, srcOff: 1, dstGuard: 1, srcGuard: 1},
		{name: "empty", shape: []int{3, 0, 2}, dstStrides: []int{0, 2, 1}, srcStrides: []int{0, 2, 1}, dstGuard: 3},
		{name: "transpose", shape: []int{5, 7}, dstStrides: []int{7, 1}, srcStrides: []int{1, 5}},
		{name: "permute", shape: []int{2, 3, 4, 5}, dstStrides: tensor.ContiguousStrides([]int{2, 3, 4, 5}), srcStrides: []int{5, 1, 30, 10}},
		{name: "narrow", shape: []int{3, 2, 4}, srcOff: 9, dstStrides: tensor.ContiguousStrides([]int{3, 2, 4}), srcStrides: []int{40, 8, 1}},
		{name: "concat", shape: []int{2, 3, 4}, dstOff: 8, dstStrides: []int{36, 12, 1}, srcStrides: tensor.ContiguousStrides([]int{2, 3, 4}), dstGuard: 4},
		{name: "pad", shape: []int{2, 3, 3}, dstOff: 6, dstStrides: []int{30, 5, 1}, srcStrides: tensor.ContiguousStrides([]int{2, 3, 3}), dstGuard: 5},
		{name: "expand", shape: []int{4, 3, 5}, dstStrides: tensor.ContiguousStrides([]int{4, 3, 5}), srcStrides: []int{0, 1, 0}},
		{name: "unit dims", shape: []int{1, 6, 1, 5}, dstStrides: []int{99, 5, 7, 1}, srcStrides: []int{0, 1, 0, 6}},
		{name: "reversed", shape: []int{70001}, srcOff: 70000, dstStrides: []int{1}, srcStrides: []int{-1}},
		{name: "flipped kernel", shape: []int{3, 4, 9}, srcOff: 8, dstStrides: tensor.ContiguousStrides([]int{3, 4, 9}),
			srcStrides: []int{9, 27, -1}, srcGuard: 2},
		{name: "reversed rows", shape: []int{5, 6}, srcOff: 26, dstStrides: []int{7, 1}, srcStrides: []int{-6, 1}, dstGuard: 1},
		// More rows than a CUDA grid's y dimension holds.
		{name: "tall transpose", shape: []int{70001, 2}, dstStrides: []int{1, 70001}, srcStrides: []int{2, 1}},
	}
	for i := range 12 {
		nd := 1 + h.rng.IntN(4)
		shape := make([]int, nd)
		for d := range shape {
			shape[d] = 1 + h.rng.IntN(5)
		}
		c := copyCase{name: fmt.Sprintf("random %d", i), shape: shape,
			dstOff: h.rng.IntN(4), srcOff: h.rng.IntN(4), dstGuard: h.rng.IntN(3), srcGuard: h.rng.IntN(3),
			dstStrides: h.layout(shape, 2), srcStrides: h.layout(shape, 2)}
		if h.rng.IntN(3) == 0 {
			c.srcStrides[h.rng.IntN(nd)] = 0 // broadcast read
		}
		cases = append(cases, c)
	}
	return cases
}

func testCopy(h *harness) {
	for _, c := range h.copyCases() {
		src := h.pair(h.normal(c.srcOff+span(c.shape, c.srcStrides)+c.srcGuard, 0, 1))
		dst := h.pair(h.normal(c.dstOff+span(c.shape, c.dstStrides)+c.dstGuard, 0, 1))
		tensor.CPU.Copy(dst.ref, c.dstOff, c.dstStrides, src.ref, c.srcOff, c.srcStrides, c.shape)
		h.b.Copy(dst.got, c.dstOff, c.dstStrides, src.got, c.srcOff, c.srcStrides, c.shape)
		what := fmt.Sprintf("Copy %s: shape %v, dst %d+%v, src %d+%v", c.name, c.shape, c.dstOff, c.dstStrides, c.srcOff, c.srcStrides)
		h.check(what, dst, exact, nil)
		h.intact(what, src)
	}
}

// transcendental is the tolerance of functions a device computes with its own math library.
var (
	transcendental32 = tol{atol: 1e-6, rtol: 1e-5}
	transcendental64 = tol{atol: 1e-15, rtol: 1e-13}
	// threeULP allows OpenCL's single-precision division and square root (3 ulp; 2^-23 = 1.19e-7).
	threeULP32 = tol{rtol: 3.6e-7}
	threeULP64 = tol{rtol: 1e-15}
)

// unaryCase is one unary op, its parameter, the inputs it is defined on and its tolerance.
type unaryCase struct {
	op     tensor.UnaryOp
	param  float64
	inputs func(n int) []float64
	tl     tol
}

func (h *harness) unaryCases() []unaryCase {
	mixed := func(n int) []float64 { // normal values with exact zeros and ties mixed in
		v := h.normal(n, 0, 2)
		for i := 0; i < n; i += 5 {
			v[i] = float64(h.rng.IntN(3) - 1)
		}
		return v
	}
	positive := func(n int) []float64 { return h.uniform(n, 1e-3, 10) }
	awayFromZero := func(n int) []float64 { return h.signed(h.uniform(n, 0.1, 3)) }
	tr := h.pick(transcendental32, transcendental64)
	ulp3 := h.pick(threeULP32, threeULP64)
	return []unaryCase{
		{tensor.OpNeg, 0, mixed, exact},
		{tensor.OpAbs, 0, mixed, exact},
		{tensor.OpSign, 0, mixed, exact},
		{tensor.OpExp, 0, mixed, tr},
		{tensor.OpLog, 0, positive, tr},
		{tensor.OpSqrt, 0, positive, ulp3},
		{tensor.OpSquare, 0, mixed, exact},
		{tensor.OpTanh, 0, mixed, tr},
		{tensor.OpSigmoid, 0, mixed, tr},
		{tensor.OpRelu, 0, mixed, exact},
		{tensor.OpLeakyRelu, 0.2, mixed, exact},
		{tensor.OpLeakyRelu, 0, mixed, exact},
		{tensor.OpPow, 2, mixed, tr},
		{tensor.OpPow, 3, mixed, tr},
		{tensor.OpPow, -1, awayFromZero, tr},
		{tensor.OpPow, 0.5, positive, tr},
		{tensor.OpPow, -1.7, positive, tr},
		{tensor.OpScale, -1.5, mixed, exact},
		{tensor.OpScale, 0.1, mixed, exact},
		{tensor.OpAddScalar, 0.75, mixed, exact},
		{tensor.OpAddScalar, -0.3, mixed, exact},
	}
}

func testUnary(h *harness) {
	for _, c := range h.unaryCases() {
		for _, n := range raggedSizes {
			src := h.pair(c.inputs(n))
			dst := h.pair(h.normal(n, 0, 1)) // garbage the kernel must overwrite
			tensor.CPU.Unary(c.op, dst.ref, src.ref, c.param)
			h.b.Unary(c.op, dst.got, src.got, c.param)
			what := fmt.Sprintf("Unary %s(param %g) of %d", c.op, c.param, n)
			h.check(what, dst, c.tl, nil)
			h.intact(what, src)
		}
		// In place: dst aliases src.
		src := h.pair(c.inputs(1001))
		tensor.CPU.Unary(c.op, src.ref, src.ref, c.param)
		h.b.Unary(c.op, src.got, src.got, c.param)
		h.check(fmt.Sprintf("Unary %s(param %g) in place", c.op, c.param), src, c.tl, nil)
	}
}

// binaryShapes are output shapes for the binary kernel; each is combined with several operand
// shapes that broadcast to it.
var binaryShapes = [][]int{{}, {0}, {1}, {7}, {3, 0, 2}, {2, 3}, {5, 1, 6}, {4, 17, 9}, {2, 3, 4, 5}, {3, 25000}}

// broadcastVariants returns operand shapes that broadcast to out: out itself, a scalar, out with
// leading dimensions dropped, and random dimensions set to 1.
func (h *harness) broadcastVariants(out []int) [][]int {
	vs := [][]int{slices.Clone(out), {}}
	if len(out) > 1 {
		vs = append(vs, slices.Clone(out[1:]))
	}
	for range 2 {
		v := slices.Clone(out)
		for d := range v {
			if h.rng.IntN(2) == 0 {
				v[d] = 1
			}
		}
		vs = append(vs, v)
	}
	return vs
}

// broadcastStrides are the strides that read a contiguous operand of shape from as shape to.
func broadcastStrides(from, to []int) []int {
	src := tensor.ContiguousStrides(from)
	out := make([]int, len(to))
	off := len(to) - len(from)
	for i := range to {
		if j := i - off; j >= 0 && from[j] != 1 {
			out[i] = src[j]
		}
	}
	return out
}

type binaryCase struct {
	op     tensor.BinaryOp
	param  float64
	inputs func(n int) []float64 // for both operands
	tl     tol
}

func (h *harness) binaryCases() []binaryCase {
	mixed := func(n int) []float64 {
		v := h.normal(n, 0, 2)
		for i := 0; i < n; i += 4 {
			v[i] = float64(h.rng.IntN(5) - 2)
		}
		return v
	}
	ties := func(n int) []float64 { return h.smallInts(n) }
	awayFromZero := func(n int) []float64 { return h.signed(h.uniform(n, 0.25, 4)) }
	return []binaryCase{
		{tensor.OpAdd, 0, mixed, exact},
		{tensor.OpSub, 0, mixed, exact},
		{tensor.OpMul, 0, mixed, exact},
		{tensor.OpDiv, 0, awayFromZero, h.pick(threeULP32, threeULP64)},
		{tensor.OpMaximum, 0, ties, exact},
		{tensor.OpMaximum, 0, mixed, exact},
		{tensor.OpMinimum, 0, ties, exact},
		{tensor.OpMinimum, 0, mixed, exact},
		{tensor.OpGreater, 0, ties, exact},
		{tensor.OpEqual, 0, ties, exact},
		{tensor.OpLeakyReluBackward, 0.2, mixed, exact},
		{tensor.OpLeakyReluBackward, 0, ties, exact},
	}
}

func testBinary(h *harness) {
	for _, c := range h.binaryCases() {
		for _, out := range binaryShapes {
			variants := h.broadcastVariants(out)
			if tensor.Numel(out) > 10000 { // large sizes test the splitting of work, one pair is enough
				variants = variants[:2]
			}
			for i, as := range variants {
				bs := variants[(i+1)%len(variants)]
				h.binaryOnce(c, out, as, bs)
			}
		}
		h.binaryTransposed(c)
		h.binaryAliased(c)
	}
}

func (h *harness) binaryOnce(c binaryCase, out, as, bs []int) {
	h.t.Helper()
	a, b := h.pair(c.inputs(tensor.Numel(as))), h.pair(c.inputs(tensor.Numel(bs)))
	dst := h.pair(h.normal(tensor.Numel(out), 0, 1))
	ast, bst := broadcastStrides(as, out), broadcastStrides(bs, out)
	tensor.CPU.Binary(c.op, dst.ref, a.ref, b.ref, out, ast, bst, c.param)
	h.b.Binary(c.op, dst.got, a.got, b.got, out, ast, bst, c.param)
	what := fmt.Sprintf("Binary %s(param %g): %v op %v -> %v", c.op, c.param, as, bs, out)
	h.check(what, dst, c.tl, nil)
	h.intact(what, a, b)
}

// binaryTransposed reads a through permuted (non-broadcast) strides, which the contract allows.
func (h *harness) binaryTransposed(c binaryCase) {
	h.t.Helper()
	out := []int{6, 5, 4}
	a, b := h.pair(c.inputs(120)), h.pair(c.inputs(20))
	dst := h.pair(h.normal(120, 0, 1))
	ast, bst := []int{1, 24, 6}, broadcastStrides([]int{5, 4}, out)
	tensor.CPU.Binary(c.op, dst.ref, a.ref, b.ref, out, ast, bst, c.param)
	h.b.Binary(c.op, dst.got, a.got, b.got, out, ast, bst, c.param)
	h.check(fmt.Sprintf("Binary %s(param %g) with a permuted", c.op, c.param), dst, c.tl, nil)
}

// binaryAliased writes into a, read contiguously, while b is broadcast: gradient accumulation.
func (h *harness) binaryAliased(c binaryCase) {
	h.t.Helper()
	out := []int{300, 7}
	a, b := h.pair(c.inputs(2100)), h.pair(c.inputs(7))
	ast, bst := tensor.ContiguousStrides(out), broadcastStrides([]int{7}, out)
	tensor.CPU.Binary(c.op, a.ref, a.ref, b.ref, out, ast, bst, c.param)
	h.b.Binary(c.op, a.got, a.got, b.got, out, ast, bst, c.param)
	h.check(fmt.Sprintf("Binary %s(param %g) into a", c.op, c.param), a, c.tl, nil)
}
