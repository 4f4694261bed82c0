// Command vec generates the AVX2 elementwise kernels of internal/vec with avo.
//
// Each kernel handles n elements, n a multiple of 8 (one ymm register of float32); the Go
// wrapper runs the plain Go twin on the remainder. The arithmetic is the twin's, operation by
// operation (no fused multiply-add), so that both round the same way.
package main

//go:generate sh -c "go run . -out vec_amd64.s.tmp && mv vec_amd64.s.tmp ../../internal/vec/vec_amd64.s"

import (
	"fmt"
	"math"

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
	sumF64()
	sumSqDevF64()
	normalizeF64()
	normGradSumsF64()
	normGradApplyF64()
	gatherEven()
	scatterAddEven()
	tanhF64()
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

// The InstanceNorm kernels work in float64, as their Go twins do: each group of 8 float32 is
// widened to two ymm registers of 4 float64 (VCVTPS2PD), and results are rounded back to float32
// once (VCVTPD2PS, round to nearest like Go's conversion). Reductions keep one partial sum per
// lane and register and add them up at the end, a different order from the twin's sequential
// loop (and one that breaks its chain of dependent additions).

// widen loads the 8 floats at base+off as two ymm registers of 4 float64.
func widen(base, off reg.Register) (lo, hi reg.VecVirtual) {
	lo, hi = YMM(), YMM()
	VCVTPS2PD(Mem{Base: base, Index: off, Scale: 1}, lo)
	VCVTPS2PD(Mem{Base: base, Index: off, Scale: 1, Disp: 16}, hi)
	return lo, hi
}

// narrowStore rounds the two halves to float32 and stores the 8 floats at base+off.
func narrowStore(lo, hi reg.VecVirtual, base, off reg.Register) {
	VCVTPD2PSY(lo, lo.AsX())
	VCVTPD2PSY(hi, hi.AsX())
	VMOVUPS(lo.AsX(), Mem{Base: base, Index: off, Scale: 1})
	VMOVUPS(hi.AsX(), Mem{Base: base, Index: off, Scale: 1, Disp: 16})
}

// reduceLoop is loop with two float64 accumulators per sum; it returns the sums' registers
// after the loop. body adds into the accumulators.
func reduceLoop(name string, n reg.Register, sums int, body func(off reg.Register, acc [][2]reg.VecVirtual)) [][2]reg.VecVirtual {
	acc := make([][2]reg.VecVirtual, sums)
	for i := range acc {
		acc[i] = [2]reg.VecVirtual{YMM(), YMM()}
		VXORPD(acc[i][0], acc[i][0], acc[i][0])
		VXORPD(acc[i][1], acc[i][1], acc[i][1])
	}
	off := GP64()
	XORQ(off, off)
	SHLQ(U8(2), n)
	Label(name + "_loop")
	CMPQ(off, n)
	JAE(LabelRef(name + "_done"))
	body(off, acc)
	ADDQ(U8(32), off)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	return acc
}

// horizontal adds the 8 lanes of a pair of accumulators into the low lane of an xmm register.
func horizontal(acc [2]reg.VecVirtual) reg.VecVirtual {
	VADDPD(acc[1], acc[0], acc[0])
	high := XMM()
	VEXTRACTF128(U8(1), acc[0], high)
	VADDPD(high, acc[0].AsX(), high)
	swapped := XMM()
	VPERMILPD(U8(1), high, swapped)
	VADDSD(swapped, high, high)
	return high
}

func sumF64() {
	TEXT("sumF64AVX2", NOSPLIT, "func(x *float32, n int) float64")
	Doc("sumF64AVX2 returns the float64 sum of x[i], i < n (n % 8 == 0).")
	x, n := Load(Param("x"), GP64()), Load(Param("n"), GP64())
	acc := reduceLoop("sumF64AVX2", n, 1, func(off reg.Register, acc [][2]reg.VecVirtual) {
		lo, hi := widen(x, off)
		VADDPD(lo, acc[0][0], acc[0][0])
		VADDPD(hi, acc[0][1], acc[0][1])
	})
	Store(horizontal(acc[0]), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func sumSqDevF64() {
	TEXT("sumSqDevF64AVX2", NOSPLIT, "func(x *float32, n int, mu float64) float64")
	Doc("sumSqDevF64AVX2 returns the float64 sum of (x[i]-mu)², i < n (n % 8 == 0).")
	x, n := Load(Param("x"), GP64()), Load(Param("n"), GP64())
	mu := YMM()
	VBROADCASTSD(addr("mu"), mu)
	acc := reduceLoop("sumSqDevF64AVX2", n, 1, func(off reg.Register, acc [][2]reg.VecVirtual) {
		lo, hi := widen(x, off)
		VSUBPD(mu, lo, lo)
		VSUBPD(mu, hi, hi)
		VMULPD(lo, lo, lo)
		VMULPD(hi, hi, hi)
		VADDPD(lo, acc[0][0], acc[0][0])
		VADDPD(hi, acc[0][1], acc[0][1])
	})
	Store(horizontal(acc[0]), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func normalizeF64() {
	TEXT("normalizeF64AVX2", NOSPLIT, "func(y, x *float32, n int, mu, r float64)")
	Doc("normalizeF64AVX2 sets y[i] = float32((float64(x[i]) - mu) * r), i < n (n % 8 == 0).")
	y, x, n := Load(Param("y"), GP64()), Load(Param("x"), GP64()), Load(Param("n"), GP64())
	mu, r := YMM(), YMM()
	VBROADCASTSD(addr("mu"), mu)
	VBROADCASTSD(addr("r"), r)
	loop("normalizeF64AVX2", n, func(off reg.Register) {
		lo, hi := widen(x, off)
		VSUBPD(mu, lo, lo)
		VSUBPD(mu, hi, hi)
		VMULPD(r, lo, lo)
		VMULPD(r, hi, hi)
		narrowStore(lo, hi, y, off)
	})
}

func normGradSumsF64() {
	TEXT("normGradSumsF64AVX2", NOSPLIT, "func(dy, x *float32, n int, mu, r float64) (sumG, sumGX float64)")
	Doc("normGradSumsF64AVX2 returns the float64 sums of g = dy[i] and of g*(x[i]-mu)*r, i < n (n % 8 == 0).")
	dy, x, n := Load(Param("dy"), GP64()), Load(Param("x"), GP64()), Load(Param("n"), GP64())
	mu, r := YMM(), YMM()
	VBROADCASTSD(addr("mu"), mu)
	VBROADCASTSD(addr("r"), r)
	acc := reduceLoop("normGradSumsF64AVX2", n, 2, func(off reg.Register, acc [][2]reg.VecVirtual) {
		glo, ghi := widen(dy, off)
		VADDPD(glo, acc[0][0], acc[0][0])
		VADDPD(ghi, acc[0][1], acc[0][1])
		lo, hi := widen(x, off)
		VSUBPD(mu, lo, lo)
		VSUBPD(mu, hi, hi)
		VMULPD(lo, glo, glo) // g*(x-mu)
		VMULPD(hi, ghi, ghi)
		VMULPD(r, glo, glo) // ...*r
		VMULPD(r, ghi, ghi)
		VADDPD(glo, acc[1][0], acc[1][0])
		VADDPD(ghi, acc[1][1], acc[1][1])
	})
	Store(horizontal(acc[0]), ReturnIndex(0))
	Store(horizontal(acc[1]), ReturnIndex(1))
	VZEROUPPER()
	RET()
}

func normGradApplyF64() {
	TEXT("normGradApplyF64AVX2", NOSPLIT, "func(dx, dy, x *float32, n int, mu, r, mg, mgx float64)")
	Doc("normGradApplyF64AVX2 sets dx[i] = float32(r * ((dy[i] - mg) - ((x[i]-mu)*r)*mgx)) in float64, i < n (n % 8 == 0).")
	dx, dy, x := Load(Param("dx"), GP64()), Load(Param("dy"), GP64()), Load(Param("x"), GP64())
	n := Load(Param("n"), GP64())
	mu, r, mg, mgx := YMM(), YMM(), YMM(), YMM()
	VBROADCASTSD(addr("mu"), mu)
	VBROADCASTSD(addr("r"), r)
	VBROADCASTSD(addr("mg"), mg)
	VBROADCASTSD(addr("mgx"), mgx)
	loop("normGradApplyF64AVX2", n, func(off reg.Register) {
		lo, hi := widen(x, off)
		for _, h := range []reg.VecVirtual{lo, hi} {
			VSUBPD(mu, h, h)  // x - mu
			VMULPD(r, h, h)   // xhat
			VMULPD(mgx, h, h) // xhat*mgx
		}
		glo, ghi := widen(dy, off)
		VSUBPD(mg, glo, glo) // g - mg
		VSUBPD(mg, ghi, ghi)
		VSUBPD(lo, glo, glo) // (g - mg) - xhat*mgx
		VSUBPD(hi, ghi, ghi)
		VMULPD(r, glo, glo)
		VMULPD(r, ghi, ghi)
		narrowStore(glo, ghi, dx, off)
	})
}

// stride2Loop is loop for the stride-2 kernels: off steps through the packed side 32 bytes
// (8 floats) at a time and off2 = 2*off through the strided side.
func stride2Loop(name string, n reg.Register, body func(off, off2 reg.Register)) {
	off, off2 := GP64(), GP64()
	XORQ(off, off)
	XORQ(off2, off2)
	SHLQ(U8(2), n)
	Label(name + "_loop")
	CMPQ(off, n)
	JAE(LabelRef(name + "_done"))
	body(off, off2)
	ADDQ(U8(32), off)
	ADDQ(U8(64), off2)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func gatherEven() {
	TEXT("gatherEvenAVX2", NOSPLIT, "func(dst, src *float32, n int)")
	Doc("gatherEvenAVX2 sets dst[i] = src[2*i] for i < n (n % 8 == 0; it reads src[:2*n]).")
	dst, src, n := Load(Param("dst"), GP64()), Load(Param("src"), GP64()), Load(Param("n"), GP64())
	stride2Loop("gatherEvenAVX2", n, func(off, off2 reg.Register) {
		a, b := YMM(), YMM()
		VMOVUPS(at(src, off2), a)                                   // s0..s7
		VMOVUPS(Mem{Base: src, Index: off2, Scale: 1, Disp: 32}, b) // s8..s15
		// Within each 128-bit lane take elements 0 and 2 of a, then of b:
		// [s0 s2 s8 s10 | s4 s6 s12 s14]; then put the 64-bit pairs in order 0, 2, 1, 3.
		VSHUFPS(U8(0x88), b, a, a)
		VPERMPD(U8(0xd8), a, a)
		VMOVUPS(a, at(dst, off))
	})
}

func scatterAddEven() {
	TEXT("scatterAddEvenAVX2", NOSPLIT, "func(dst, src *float32, n int)")
	Doc("scatterAddEvenAVX2 sets dst[2*i] += src[i] for i < n (n % 8 == 0; it touches dst[:2*n] and leaves the odd elements as they are).")
	dst, src, n := Load(Param("dst"), GP64()), Load(Param("src"), GP64()), Load(Param("n"), GP64())
	zero := YMM()
	VXORPS(zero, zero, zero)
	stride2Loop("scatterAddEvenAVX2", n, func(off, off2 reg.Register) {
		v, lo, hi := YMM(), YMM(), YMM()
		VMOVUPS(at(src, off), v)
		// Interleave v with zeros: [v0 0 v1 0 | v4 0 v5 0] and [v2 0 v3 0 | v6 0 v7 0], then
		// regroup the 128-bit halves into [v0 0 v1 0 v2 0 v3 0] and [v4 0 ... v7 0].
		VUNPCKLPS(zero, v, lo)
		VUNPCKHPS(zero, v, hi)
		first, second := YMM(), YMM()
		VPERM2F128(U8(0x20), hi, lo, first)
		VPERM2F128(U8(0x31), hi, lo, second)
		for i, spread := range []reg.VecVirtual{first, second} {
			m := Mem{Base: dst, Index: off2, Scale: 1, Disp: 32 * i}
			row, sum := YMM(), YMM()
			VMOVUPS(m, row)
			VADDPS(spread, row, sum)
			// Keep the sums in the even elements only: the odd ones stay bit for bit (x + 0
			// would turn -0 into 0).
			VBLENDPS(U8(0x55), sum, row, row)
			VMOVUPS(row, m)
		}
	})
}

// vec4 returns a read-only 32-byte constant holding four copies of the 64-bit pattern bits,
// for use as a ymm memory operand (AVX2 has no embedded broadcast).
func vec4(name string, bits uint64) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 4; i++ {
		DATA(8*i, U64(bits))
	}
	return m
}

// f64x4 is vec4 of a float64 value.
func f64x4(name string, v float64) Mem { return vec4(name, math.Float64bits(v)) }

// tanhF64 emits tanh for float32, evaluated in float64 lanes so that the result, rounded once
// to float32, is the correctly rounded tanh in all but rare near-ties (the Go twin rounds
// math.Tanh). For |x| >= 1/256, tanh|x| = 1 - 2/(e^(2|x|)+1), with 2|x| clamped to 40 (where
// the double result is already 1) and e^y = 2^n·e^r, n = round(y/ln 2), r = y - n·ln 2 (ln 2 in
// two parts, |r| <= ln2/2), e^r by its Taylor series to r^11/11! (truncation below 1e-14).
// Below 1/256 the subtraction would cancel, and the odd series |x| - |x|^3/3 + 2|x|^5/15 is
// exact to 1e-18. The sign is copied from x; NaN passes through.
func tanhF64() {
	const name = "tanhF64AVX2"
	TEXT(name, NOSPLIT, "func(dst, x *float32, n int)")
	Doc(name + " sets dst[i] = float32(tanh(float64(x[i]))), i < n (n % 8 == 0), within an ulp.")
	dst, x, n := Load(Param("dst"), GP64()), Load(Param("x"), GP64()), Load(Param("n"), GP64())
	var (
		absMask  = vec4("tanh_abs", 0x7fffffffffffffff)
		signMask = vec4("tanh_sign", 0x8000000000000000)
		one      = f64x4("tanh_one", 1)
		two      = f64x4("tanh_two", 2)
		maxY     = f64x4("tanh_maxy", 40)
		small    = f64x4("tanh_small", 1.0/256)
		log2e    = f64x4("tanh_log2e", math.Log2E)
		ln2hi    = f64x4("tanh_ln2hi", 6.93147180369123816490e-01) // ln 2 to 32 bits: n·ln2hi is exact
		ln2lo    = f64x4("tanh_ln2lo", 1.90821492927058770002e-10) // ln 2 - ln2hi
		magic    = f64x4("tanh_magic", 0x1.8p52)                   // n + magic holds n in its low bits
		bias     = vec4("tanh_bias", 1023)
		third    = f64x4("tanh_c3", -1.0/3)
		c5       = f64x4("tanh_c5", 2.0/15)
	)
	inverseFactorial := make([]Mem, 12) // 1/k!
	f := 1.0
	for k := range inverseFactorial {
		if k > 0 {
			f *= float64(k)
		}
		inverseFactorial[k] = f64x4(fmt.Sprintf("tanh_f%d", k), 1/f)
	}
	half := func(v reg.VecVirtual) {
		ax, y, t, r, p, sc := YMM(), YMM(), YMM(), YMM(), YMM(), YMM()
		VANDPD(absMask, v, ax)
		VADDPD(ax, ax, y)
		VMINPD(maxY, y, y)
		// e^y: n = round(y·log2 e), r = y - n·ln 2.
		VMULPD(log2e, y, t)
		VROUNDPD(U8(0), t, t) // to nearest
		VMOVAPD(y, r)
		VFNMADD231PD(ln2hi, t, r) // r -= n·ln2hi
		VFNMADD231PD(ln2lo, t, r) // r -= n·ln2lo
		VMOVUPD(inverseFactorial[11], p)
		for k := 10; k >= 0; k-- {
			VFMADD213PD(inverseFactorial[k], r, p) // p = p·r + 1/k!
		}
		// 2^n as the bits (n + 1023) << 52, n read from the low bits of n + 1.5·2^52.
		VADDPD(magic, t, sc)
		VPSUBQ(magic, sc, sc)
		VPADDQ(bias, sc, sc)
		VPSLLQ(U8(52), sc, sc)
		VMULPD(sc, p, p)
		// 1 - 2/(e^y + 1)
		VADDPD(one, p, p)
		VMOVUPD(two, t)
		VDIVPD(p, t, t)
		VMOVUPD(one, p)
		VSUBPD(t, p, p)
		// Small |x|: |x|·(1 + x²·(-1/3 + x²·2/15)).
		VMULPD(ax, ax, y)
		VMOVUPD(c5, t)
		VFMADD213PD(third, y, t)
		VFMADD213PD(one, y, t)
		VMULPD(ax, t, t)
		VCMPPD(U8(0x11), small, ax, y) // |x| < 1/256 (LT_OQ)
		VBLENDVPD(y, t, p, p)
		// Sign of x; NaN (unordered with itself) passes through.
		VANDPD(signMask, v, t)
		VORPD(t, p, p)
		VCMPPD(U8(3), v, v, y) // UNORD_Q
		VBLENDVPD(y, v, p, v)
	}
	loop(name, n, func(off reg.Register) {
		lo, hi := widen(x, off)
		half(lo)
		half(hi)
		narrowStore(lo, hi, dst, off)
	})
}
