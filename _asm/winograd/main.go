// Command winograd generates the AVX-512 and AVX2 transform kernels of internal/winograd with
// avo.
//
// Every kernel computes Y = P X Pᵀ for one constant r×s matrix P on n lanes (n a multiple of
// the vector width), exactly as transformGo in internal/winograd/transform.go does:
//
//	Z[k][j] = Σ_q P[j][q]·X[k][q]     (stage 1, row by row of X, into a stack scratch)
//	Y[i][j] = Σ_k P[i][k]·Z[k][j]     (stage 2, column by column of Z)
//
// each sum over the nonzero coefficients in ascending order, with ±1 as additions and
// subtractions and the rest as fused multiply-adds (the twin rounds the product separately).
// X element (k,q) of lane l is at src[(k*s+q)*srcStride + l], Y element (i,j) at
// dst[(i*r+j)*dstStride + l]; one loop iteration handles one vector of lanes.
//
// The matrices are not written down here: the generator reads them from
// internal/winograd/matrices.go (see readMatrices), so that they exist once.
package main

//go:generate sh -c "go run . -out kernel_amd64.s.tmp -stubs stubs_amd64.go.tmp && mv kernel_amd64.s.tmp ../../internal/winograd/kernel_amd64.s && mv stubs_amd64.go.tmp ../../internal/winograd/stubs_amd64.go"

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa is a vector instruction set: its name, its width in float32 lanes, and its registers.
type isa struct {
	name   string
	lanes  int
	newVec func() reg.VecVirtual
	zero   func(r reg.VecVirtual)
}

var isas = []isa{
	{name: "AVX512", lanes: 16, newVec: func() reg.VecVirtual { return ZMM() },
		// VXORPS on zmm needs AVX512DQ; VPXORD is AVX512F.
		zero: func(r reg.VecVirtual) { VPXORD(r, r, r) }},
	{name: "AVX2", lanes: 8, newVec: func() reg.VecVirtual { return YMM() },
		zero: func(r reg.VecVirtual) { VXORPS(r, r, r) }},
}

func main() {
	ConstraintExpr("amd64,!purego")
	matrices := readMatrices("../../internal/winograd/matrices.go")
	for _, in := range isas {
		for _, p := range matrices {
			kernel(in, p)
		}
	}
	// The fused gathers and scatters (see fused.go), on AVX-512 alone.
	for _, p := range matrices {
		switch p.name {
		case "inputF2", "inputF4":
			gatherKernel(isas[0], p, p.cols-2)
		case "gradOutputF2", "gradOutputF4":
			gatherKernel(isas[0], p, p.cols)
		case "outputF2", "outputF4":
			scatterKernel(isas[0], p)
		}
	}
	Generate()
}

// constants broadcasts each distinct |c| ≠ 0, 1 of p into a register, once per kernel.
func constants(in isa, p *matrix) map[float32]reg.VecVirtual {
	regs := map[float32]reg.VecVirtual{}
	for _, c := range p.v {
		a := float32(math.Abs(float64(c)))
		if a == 0 || a == 1 || regs[a] != nil {
			continue
		}
		r := in.newVec()
		name := fmt.Sprintf("winogradConst%08x", math.Float32bits(a))
		VBROADCASTSS(constMem(name, a), r)
		regs[a] = r
	}
	return regs
}

var constMems = map[string]Mem{}

// constMem returns the read-only float32 a, defining it the first time.
func constMem(name string, a float32) Mem {
	if m, ok := constMems[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	// The bits, not F32(a): avo prints F32(4) as $(4), which the Go assembler reads as the
	// integer 4.
	DATA(0, U32(math.Float32bits(a)))
	constMems[name] = m
	return m
}

// combination emits acc = Σ_q coef[q]·x[q] over the nonzero coefficients in ascending q: the
// first term as a copy, negation or product, the others as adds, subtractions or FMAs.
func combination(in isa, coef []float32, x []Op, consts map[float32]reg.VecVirtual, zero reg.VecVirtual) reg.VecVirtual {
	acc := in.newVec()
	first := true
	// Two leading ±1 terms (but not both -1) make one addition or subtraction, rounded as the
	// twin's (0 + c0·x0) + c1·x1 is.
	var lead []int
	for q, c := range coef {
		if c != 0 {
			lead = append(lead, q)
		}
	}
	skip := -1
	if len(lead) >= 2 {
		q0, q1 := lead[0], lead[1]
		c0, c1 := coef[q0], coef[q1]
		switch {
		case c0 == 1 && c1 == 1:
			VADDPS(x[q1], x[q0], acc)
		case c0 == 1 && c1 == -1:
			VSUBPS(x[q1], x[q0], acc) // x0 - x1
		case c0 == -1 && c1 == 1:
			VSUBPS(x[q0], x[q1], acc) // x1 - x0
		}
		if (c0 == 1 || c0 == -1) && (c1 == 1 || c1 == -1) && !(c0 == -1 && c1 == -1) {
			first, skip = false, q1
		}
	}
	for q, c := range coef {
		a := float32(math.Abs(float64(c)))
		switch {
		case c == 0 || q <= skip:
			continue
		case first && c == 1:
			VMOVUPS(x[q], acc)
		case first && c == -1:
			VSUBPS(x[q], zero, acc) // acc = 0 - x
		case first:
			VMULPS(x[q], consts[a], acc)
			if c < 0 {
				VSUBPS(acc, zero, acc)
			}
		case c == 1:
			VADDPS(x[q], acc, acc)
		case c == -1:
			VSUBPS(x[q], acc, acc) // acc = acc - x
		case c > 0:
			VFMADD231PS(x[q], consts[a], acc) // acc += x*a
		default:
			VFNMADD231PS(x[q], consts[a], acc) // acc -= x*a
		}
		first = false
	}
	if first { // an all-zero row: no matrix here has one
		in.zero(acc)
	}
	return acc
}

func kernel(in isa, p *matrix) {
	name := p.name + in.name
	r, s := p.rows, p.cols
	TEXT(name, 0, "func(dst *float32, dstStride int, src *float32, srcStride int, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s is transformGo(%s, ...) on n lanes, n %% %d == 0: for i, j < %d and l < n,", name, p.name, in.lanes, r),
		"",
		fmt.Sprintf("\tdst[(i*%d+j)*dstStride + l] = Σ_{k,q<%d} %s[i][k] · src[(k*%d+q)*srcStride + l] · %s[j][q]", r, s, p.name, s, p.name))
	dst, src := Load(Param("dst"), GP64()), Load(Param("src"), GP64())
	dStride, sStride := Load(Param("dstStride"), GP64()), Load(Param("srcStride"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(U8(2), dStride) // elements to bytes
	SHLQ(U8(2), sStride)
	rowStride := GP64() // r·dstStride bytes: from Y[i][j] to Y[i+1][j]
	IMUL3Q(Imm(uint64(r)), dStride, rowStride)
	t := newSandwich(in, p)

	Label(name + "_loop")
	CMPQ(n, Imm(0))
	JE(LabelRef(name + "_done"))

	ptr := GP64()
	MOVQ(src, ptr)
	t.stage1(func(k int) []Op { return loadRow(in, ptr, sStride, s) })
	col := GP64()
	t.stage2(storeLaneWise(dst, col, ptr, dStride, rowStride, r))

	ADDQ(Imm(uint64(t.vecBytes)), src)
	ADDQ(Imm(uint64(t.vecBytes)), dst)
	SUBQ(Imm(uint64(in.lanes)), n)
	JMP(LabelRef(name + "_loop"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// sandwich is the register and stack state of one kernel's Y = P X Pᵀ: P's constants, a zero
// vector and the stack scratch Z.
type sandwich struct {
	in       isa
	p        *matrix
	consts   map[float32]reg.VecVirtual
	zero     reg.VecVirtual
	vecBytes int
	z        Mem // Z[k][j] at z + (k*r+j)*vecBytes
}

func newSandwich(in isa, p *matrix) *sandwich {
	t := &sandwich{in: in, p: p, consts: constants(in, p), zero: in.newVec(), vecBytes: in.lanes * 4}
	in.zero(t.zero)
	t.z = AllocLocal(p.cols * p.rows * t.vecBytes)
	return t
}

func (t *sandwich) zAt(k, j int) Mem { return t.z.Offset((k*t.p.rows + j) * t.vecBytes) }

// stage1 computes Z = X Pᵀ, one row of X at a time: row(k) returns the s vectors X[k][0..s).
func (t *sandwich) stage1(row func(k int) []Op) {
	r, s := t.p.rows, t.p.cols
	for k := 0; k < s; k++ {
		x := row(k)
		for j := 0; j < r; j++ {
			VMOVUPS(combination(t.in, t.p.v[j*s:(j+1)*s], x, t.consts, t.zero), t.zAt(k, j))
		}
	}
}

// stage2 computes Y = P Z, one column of Z at a time, handing each Y[i][j] to store.
func (t *sandwich) stage2(store func(i, j int, y reg.VecVirtual)) {
	r, s := t.p.rows, t.p.cols
	for j := 0; j < r; j++ {
		zc := make([]Op, s)
		for k := range zc {
			v := t.in.newVec()
			VMOVUPS(t.zAt(k, j), v)
			zc[k] = v
		}
		for i := 0; i < r; i++ {
			store(i, j, combination(t.in, t.p.v[i*s:(i+1)*s], zc, t.consts, t.zero))
		}
	}
}

// loadRow loads s vectors from ptr, stride apart, advancing ptr past them: one row of a
// lane-wise tile.
func loadRow(in isa, ptr, stride reg.Register, s int) []Op {
	x := make([]Op, s)
	for q := range x {
		v := in.newVec()
		VMOVUPS(Mem{Base: ptr}, v)
		ADDQ(stride, ptr)
		x[q] = v
	}
	return x
}

// storeLaneWise stores Y[i][j] at dst + (i*r+j)*dstStride bytes, walking column by column
// (col at Y[0][j], ptr down the column).
func storeLaneWise(dst, col, ptr, dStride, rowStride reg.Register, r int) func(i, j int, y reg.VecVirtual) {
	return func(i, j int, y reg.VecVirtual) {
		if i == 0 {
			if j == 0 {
				MOVQ(dst, col)
			}
			MOVQ(col, ptr)
		}
		VMOVUPS(y, Mem{Base: ptr})
		if i < r-1 {
			ADDQ(rowStride, ptr)
		} else if j < r-1 {
			ADDQ(dStride, col)
		}
	}
}
