// Command vec generates the AVX2 elementwise kernels of internal/vec with avo.
//
// Each kernel handles n elements, n a multiple of 8 (one ymm register of float32); the Go
// wrapper runs the plain Go twin on the remainder. The arithmetic is the twin's, operation by
// operation (no fused multiply-add), so that both round the same way.
package main

//go:generate sh -c "go run . -out vec_amd64.s.tmp && mv vec_amd64.s.tmp ../../internal/vec/vec_amd64.s"

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("amd64,!purego")
	leakyRelu()
	leakyReluBackward()
	relu()
	axpy()
	adam()
	binary("add", VADDPS)
	binary("sub", VSUBPS)
	binary("mul", VMULPS)
	Generate()
}

func addr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// loop emits a loop over n (a multiple of 8) that calls body with the byte offset register.
func loop(name string, n reg.Register, body func(off reg.Register)) {
	off := GP64()
	XORQ(off, off)
	SHLQ(U8(2), n) // elements to bytes
	Label(name + "_loop")
	CMPQ(off, n)
	JAE(LabelRef(name + "_done"))
	body(off)
	ADDQ(U8(32), off)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func at(base, off reg.Register) Mem { return Mem{Base: base, Index: off, Scale: 1} }

// The gradient parameter is called grad: g names the goroutine register in Go assembly.

// VCMPPS predicate 0x1e is GT_OQ: greater-than, ordered, quiet. NaN compares false, so NaN
// takes the slope*x branch and stays NaN, as in the Go twin.
// 0x11 is LT_OQ, the same test with the operands swapped.
const (
	cmpGT = 0x1e
	cmpLT = 0x11
)

func leakyRelu() {
	TEXT("leakyReluAVX2", NOSPLIT, "func(dst, x *float32, n int, slope float32)")
	Doc("leakyReluAVX2 sets dst[i] = x[i] if x[i] > 0 else slope*x[i], for i < n (n % 8 == 0).")
	dst, x, n := Load(Param("dst"), GP64()), Load(Param("x"), GP64()), Load(Param("n"), GP64())
	slope, zero := YMM(), YMM()
	VBROADCASTSS(addr("slope"), slope)
	VXORPS(zero, zero, zero)
	loop("leakyReluAVX2", n, func(off reg.Register) {
		v, scaled, mask := YMM(), YMM(), YMM()
		VMOVUPS(at(x, off), v)
		VMULPS(slope, v, scaled)
		VCMPPS(U8(cmpGT), zero, v, mask) // mask = v > 0
		VBLENDVPS(mask, v, scaled, v)    // v = mask ? v : scaled
		VMOVUPS(v, at(dst, off))
	})
}

func leakyReluBackward() {
	TEXT("leakyReluBackwardAVX2", NOSPLIT, "func(dx, dy, x *float32, n int, slope float32)")
	Doc("leakyReluBackwardAVX2 sets dx[i] = dy[i] if x[i] > 0 else slope*dy[i], for i < n (n % 8 == 0).")
	dx, dy, x := Load(Param("dx"), GP64()), Load(Param("dy"), GP64()), Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	slope, zero := YMM(), YMM()
	VBROADCASTSS(addr("slope"), slope)
	VXORPS(zero, zero, zero)
	loop("leakyReluBackwardAVX2", n, func(off reg.Register) {
		g, scaled, mask := YMM(), YMM(), YMM()
		VMOVUPS(at(dy, off), g)
		VMULPS(slope, g, scaled)
		VCMPPS(U8(cmpLT), at(x, off), zero, mask) // mask = 0 < x
		VBLENDVPS(mask, g, scaled, g)
		VMOVUPS(g, at(dx, off))
	})
}

func axpy() {
	TEXT("axpyAVX2", NOSPLIT, "func(y, x *float32, n int, alpha float32)")
	Doc("axpyAVX2 sets y[i] += alpha*x[i], for i < n (n % 8 == 0).")
	y, x, n := Load(Param("y"), GP64()), Load(Param("x"), GP64()), Load(Param("n"), GP64())
	alpha := YMM()
	VBROADCASTSS(addr("alpha"), alpha)
	loop("axpyAVX2", n, func(off reg.Register) {
		v := YMM()
		VMULPS(at(x, off), alpha, v)
		VADDPS(at(y, off), v, v)
		VMOVUPS(v, at(y, off))
	})
}

func adam() {
	TEXT("adamAVX2", NOSPLIT, "func(p, grad, m, v *float32, n int, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, sqrtBC2, eps float32)")
	Doc("adamAVX2 is adamGo for i < n (n % 8 == 0).")
	p, g, m, v := Load(Param("p"), GP64()), Load(Param("grad"), GP64()), Load(Param("m"), GP64()), Load(Param("v"), GP64())
	n := Load(Param("n"), GP64())
	bcast := func(name string) reg.VecVirtual {
		r := YMM()
		VBROADCASTSS(addr(name), r)
		return r
	}
	b1, omb1, b2, omb2 := bcast("beta1"), bcast("oneMinusBeta1"), bcast("beta2"), bcast("oneMinusBeta2")
	step, sq, eps := bcast("stepSize"), bcast("sqrtBC2"), bcast("eps")
	loop("adamAVX2", n, func(off reg.Register) {
		gi, mi, vi, t, pi := YMM(), YMM(), YMM(), YMM(), YMM()
		VMOVUPS(at(g, off), gi)
		// m = m*beta1 + g*(1-beta1)
		VMULPS(at(m, off), b1, mi)
		VMULPS(gi, omb1, t)
		VADDPS(t, mi, mi)
		VMOVUPS(mi, at(m, off))
		// v = v*beta2 + (g*(1-beta2))*g
		VMULPS(at(v, off), b2, vi)
		VMULPS(gi, omb2, t)
		VMULPS(gi, t, t)
		VADDPS(t, vi, vi)
		VMOVUPS(vi, at(v, off))
		// p = p - (stepSize*m) / (sqrt(v)/sqrt(bc2) + eps)
		VSQRTPS(vi, t)
		VDIVPS(sq, t, t)
		VADDPS(eps, t, t)
		VMULPS(step, mi, mi)
		VDIVPS(t, mi, t)
		VMOVUPS(at(p, off), pi)
		VSUBPS(t, pi, pi)
		VMOVUPS(pi, at(p, off))
	})
}

func relu() {
	TEXT("reluAVX2", NOSPLIT, "func(dst, x *float32, n int)")
	Doc("reluAVX2 sets dst[i] = max(x[i], 0) as Go's max does (NaN stays NaN, -0 becomes 0), for i < n (n % 8 == 0).")
	dst, x, n := Load(Param("dst"), GP64()), Load(Param("x"), GP64()), Load(Param("n"), GP64())
	zero := YMM()
	VXORPS(zero, zero, zero)
	loop("reluAVX2", n, func(off reg.Register) {
		v := YMM()
		// VMAXPS returns its second source (here x) unless the first (0) is greater: x when x is
		// NaN, positive, or ±0, and 0 when x is negative. Adding 0 then turns -0 into 0.
		VMAXPS(at(x, off), zero, v)
		VADDPS(zero, v, v)
		VMOVUPS(v, at(dst, off))
	})
}

// binary emits name+"AVX2", dst[i] = a[i] op b[i] for i < n (n % 8 == 0), op being one IEEE
// operation, so that the result is exactly the Go loop's.
func binary(name string, op func(ops ...Op)) {
	TEXT(name+"AVX2", NOSPLIT, "func(dst, a, b *float32, n int)")
	Doc(name + "AVX2 sets dst[i] = a[i] " + map[string]string{"add": "+", "sub": "-", "mul": "*"}[name] + " b[i], for i < n (n % 8 == 0).")
	dst, a, b := Load(Param("dst"), GP64()), Load(Param("a"), GP64()), Load(Param("b"), GP64())
	n := Load(Param("n"), GP64())
	loop(name+"AVX2", n, func(off reg.Register) {
		v := YMM()
		VMOVUPS(at(a, off), v)
		op(at(b, off), v, v) // v = v op b, in Go assembly's operand order
		VMOVUPS(v, at(dst, off))
	})
}
