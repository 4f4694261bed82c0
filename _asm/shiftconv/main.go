// Command shiftconv generates the AVX-512 and AVX2 kernels of internal/shiftconv with avo.
//
// Both kernels work on a convolution laid out as one long row (see internal/shiftconv's doc):
// every tap t of the kernel is an offset offs[t] into the padded image, and the output at
// position p is Σ_t w[t]·in[offs[t]+p].
//
//   - taps<ob> computes ob output channels of one chunk of positions at a time (vecs vectors
//     of lanes floats): the chunk's inputs at each tap are loaded once and multiplied by ob
//     broadcast weights, ob·vecs accumulators in registers.
//   - dots<ob> computes the weight gradient: for ob output channels and vecs taps, the lane-wise
//     dot products of the output gradient's rows with the image shifted by each tap, ob·vecs
//     accumulators again, summed across lanes by the caller.
//
// The register blocks fill the vector registers: AVX-512's 32 hold 4·6 accumulators, 6 loads
// and a broadcast, AVX2's 16 hold 4·3, 3 and 1. Each kernel is the loop of its plain Go twin in
// internal/shiftconv/kernel.go, with fused multiply-adds where the twin rounds the product.
package main

//go:generate sh -c "go run . -out kernel_amd64.s.tmp -stubs stubs_amd64.go.tmp && mv kernel_amd64.s.tmp ../../internal/shiftconv/kernel_amd64.s && mv stubs_amd64.go.tmp ../../internal/shiftconv/stubs_amd64.go"

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa is a vector instruction set: its name, its width in float32 lanes, the vectors per chunk
// (and taps per dots block), and its registers.
type isa struct {
	name   string
	lanes  int
	vecs   int
	newVec func() reg.VecVirtual
	zero   func(r reg.VecVirtual)
}

var isas = []isa{
	{name: "AVX512", lanes: 16, vecs: 6, newVec: func() reg.VecVirtual { return ZMM() },
		// VXORPS on zmm needs AVX512DQ; VPXORD is AVX512F.
		zero: func(r reg.VecVirtual) { VPXORD(r, r, r) }},
	{name: "AVX2", lanes: 8, vecs: 3, newVec: func() reg.VecVirtual { return YMM() },
		zero: func(r reg.VecVirtual) { VXORPS(r, r, r) }},
}

// maxBlock is the most output channels one kernel computes.
const maxBlock = 4

func main() {
	ConstraintExpr("amd64,!purego")
	for _, in := range isas {
		for ob := 1; ob <= maxBlock; ob++ {
			tapsKernel(in, ob)
		}
		for ob := 1; ob <= maxBlock; ob++ {
			dotsKernel(in, ob)
		}
	}
	Generate()
}

// accumulators returns ob·vecs zeroed vector registers, [o][j].
func accumulators(in isa, ob int) [][]reg.VecVirtual {
	acc := make([][]reg.VecVirtual, ob)
	for o := range acc {
		acc[o] = make([]reg.VecVirtual, in.vecs)
		for j := range acc[o] {
			acc[o][j] = in.newVec()
			in.zero(acc[o][j])
		}
	}
	return acc
}

func tapsKernel(in isa, ob int) {
	name := fmt.Sprintf("taps%d%s", ob, in.name)
	chunk := in.lanes * in.vecs
	TEXT(name, NOSPLIT, "func(out *float32, ldo int, in *float32, offs *int, w *float32, taps int, chunks int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s is tapsGo with ob = %d and chunks of %d positions: for k < chunks, p < %d and o < %d,", name, ob, chunk, chunk, ob),
		"",
		fmt.Sprintf("\tout[o*ldo + k*%d + p] = Σ_{t<taps} w[t*%d+o] · in[offs[t] + k*%d + p]", chunk, ob, chunk),
		"",
		"summed in ascending t with fused multiply-adds; taps ≥ 1.")
	out, ldo := Load(Param("out"), GP64()), Load(Param("ldo"), GP64())
	src, offs, w := Load(Param("in"), GP64()), Load(Param("offs"), GP64()), Load(Param("w"), GP64())
	taps, chunks := Load(Param("taps"), GP64()), Load(Param("chunks"), GP64())
	SHLQ(U8(2), ldo) // elements to bytes
	vecBytes := in.lanes * 4

	Label(name + "_chunk")
	CMPQ(chunks, Imm(0))
	JE(LabelRef(name + "_done"))
	acc := accumulators(in, ob)
	t, op, wp := GP64(), GP64(), GP64()
	MOVQ(taps, t)
	MOVQ(offs, op)
	MOVQ(w, wp)

	Label(name + "_tap")
	off := GP64()
	MOVQ(Mem{Base: op}, off)
	v := make([]reg.VecVirtual, in.vecs)
	for j := range v {
		v[j] = in.newVec()
		VMOVUPS(Mem{Base: src, Index: off, Scale: 4, Disp: j * vecBytes}, v[j])
	}
	for o := 0; o < ob; o++ {
		b := in.newVec()
		VBROADCASTSS(Mem{Base: wp, Disp: 4 * o}, b)
		for j := range v {
			VFMADD231PS(v[j], b, acc[o][j]) // acc += v*b
		}
	}
	ADDQ(Imm(8), op)
	ADDQ(Imm(uint64(4*ob)), wp)
	DECQ(t)
	JNZ(LabelRef(name + "_tap"))

	row := GP64()
	MOVQ(out, row)
	for o := 0; o < ob; o++ {
		for j := range acc[o] {
			VMOVUPS(acc[o][j], Mem{Base: row, Disp: j * vecBytes})
		}
		if o < ob-1 {
			ADDQ(ldo, row)
		}
	}
	ADDQ(U32(chunk*4), src)
	ADDQ(U32(chunk*4), out)
	DECQ(chunks)
	JMP(LabelRef(name + "_chunk"))

	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func dotsKernel(in isa, ob int) {
	name := fmt.Sprintf("dots%d%s", ob, in.name)
	tb, lanes := in.vecs, in.lanes
	TEXT(name, NOSPLIT, "func(part *float32, dy *float32, lddy int, in *float32, offs *int, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s is dotsGo with ob = %d, %d taps and %d lanes: for o < %d, t < %d and l < %d,", name, ob, tb, lanes, ob, tb, lanes),
		"",
		fmt.Sprintf("\tpart[(o*%d+t)*%d + l] = Σ_{k<n} dy[o*lddy + k*%d + l] · in[offs[t] + k*%d + l]", tb, lanes, lanes, lanes),
		"",
		"summed in ascending k with fused multiply-adds; n ≥ 1.")
	part := Load(Param("part"), GP64())
	dy, lddy := Load(Param("dy"), GP64()), Load(Param("lddy"), GP64())
	src, offs := Load(Param("in"), GP64()), Load(Param("offs"), GP64())
	n := Load(Param("n"), GP64())
	SHLQ(U8(2), lddy)
	vecBytes := lanes * 4

	// One base pointer per tap and per output channel, and one running byte offset for all.
	tap := make([]reg.GPVirtual, tb)
	for t := range tap {
		tap[t] = GP64()
		MOVQ(Mem{Base: offs, Disp: 8 * t}, tap[t])
		LEAQ(Mem{Base: src, Index: tap[t], Scale: 4}, tap[t])
	}
	rows := make([]reg.GPVirtual, ob)
	for o := range rows {
		rows[o] = GP64()
		if o == 0 {
			MOVQ(dy, rows[o])
		} else {
			LEAQ(Mem{Base: rows[o-1], Index: lddy, Scale: 1}, rows[o])
		}
	}
	acc := accumulators(in, ob)
	pos := GP64()
	XORQ(pos, pos)

	Label(name + "_loop")
	v := make([]reg.VecVirtual, tb)
	for t := range v {
		v[t] = in.newVec()
		VMOVUPS(Mem{Base: tap[t], Index: pos, Scale: 1}, v[t])
	}
	for o := 0; o < ob; o++ {
		d := in.newVec()
		VMOVUPS(Mem{Base: rows[o], Index: pos, Scale: 1}, d)
		for t := range v {
			VFMADD231PS(v[t], d, acc[o][t]) // acc += v*d
		}
	}
	ADDQ(Imm(uint64(vecBytes)), pos)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))

	for o := 0; o < ob; o++ {
		for t := range acc[o] {
			VMOVUPS(acc[o][t], Mem{Base: part, Disp: (o*tb + t) * vecBytes})
		}
	}
	VZEROUPPER()
	RET()
}
