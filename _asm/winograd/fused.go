package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The fused kernels (AVX-512 only) move 16 tiles between an image and the lane-wise layout
// inside the transform, so that the tiles never pass through a gathered scratch copy. The 16
// lanes are two halves of 8 horizontally adjacent tiles, lane l of half h at
// base_h + m·l (m the tile stride): for a row of 16 tiles hi = lo + 8m; for an image 8 tiles
// wide the halves are two tile rows. Element q of lane l is base[m·l + q], a stride-m
// deinterleave that two-table permutes (VPERMT2PS) do 16 floats at a time.

// halfWidth is how many pixels of one row a half of 8 tiles of width s, stride m, spans.
func halfWidth(m, s int) int { return 7*m + s }

// permIndex defines (once) the 16 int32 lane indices of a permute and returns their address.
func permIndex(idx [16]int) Mem {
	name := "winogradIdx"
	for _, i := range idx {
		name += fmt.Sprintf("_%d", i)
	}
	if m, ok := constMems[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for e, i := range idx {
		DATA(4*e, U32(uint32(i)))
	}
	constMems[name] = m
	return m
}

// permute emits dst = the 16 floats idx selects from the 16 (one table) or 32 (two tables)
// floats at base+table·4 bytes.
func permute(base reg.Register, table, tables int, idx reg.VecVirtual, dst reg.VecVirtual) {
	if tables == 1 {
		VPERMPS(Mem{Base: base, Disp: 4 * table}, idx, dst)
		return
	}
	VMOVUPS(Mem{Base: base, Disp: 4 * table}, dst)
	VPERMT2PS(Mem{Base: base, Disp: 4 * (table + 16)}, idx, dst)
}

// gatherKernel emits the input transform p (or gradOutput's) fused with the gather of its s×s
// windows, tile stride m.
func gatherKernel(in isa, p *matrix, m int) {
	name := p.name + "Gather" + in.name
	r, s := p.rows, p.cols
	TEXT(name, 0, "func(dst *float32, dstStride int, lo, hi *float32, rowStride int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s is transformGo(%s, ...) on the 16 tiles whose %dx%d windows start at", name, p.name, s, s),
		fmt.Sprintf("lo + %d·l and hi + %d·l (l < 8) in an image of rows rowStride floats apart: lane l of", m, m),
		"half h is X[k][q] = base_h[k*rowStride + q + "+fmt.Sprint(m)+"·l], and for i, j < "+fmt.Sprint(r),
		"",
		fmt.Sprintf("\tdst[(i*%d+j)*dstStride + l] = Σ_{k,q<%d} %s[i][k] · X[k][q] · %s[j][q]", r, s, p.name, p.name))
	dst := Load(Param("dst"), GP64())
	lo, hi := Load(Param("lo"), GP64()), Load(Param("hi"), GP64())
	dStride, rStride := Load(Param("dstStride"), GP64()), Load(Param("rowStride"), GP64())
	SHLQ(U8(2), dStride)
	SHLQ(U8(2), rStride)
	rowStride := GP64()
	IMUL3Q(Imm(uint64(r)), dStride, rowStride)
	t := newSandwich(in, p)

	// Phases (q, q+1) of a half come out of one permute: lanes 0-7 are X[k][q] of its 8 tiles,
	// lanes 8-15 X[k][q+1], pixels q..q+1+7m, one table of 16 floats for m = 2 and two for
	// m = 4. The table starts at pixel min(q, width-16·tables), so that no load reads past the
	// half's window.
	width := halfWidth(m, s)
	tables := 1
	if 7*m+2 > 16 {
		tables = 2
	}
	type pair struct {
		table int
		idx   reg.VecVirtual
	}
	var pairs []pair
	for q := 0; q < s; q += 2 {
		table := min(q, width-16*tables)
		var idx [16]int
		for e := range idx {
			idx[e] = q + e/8 + m*(e%8) - table
		}
		v := ZMM()
		VMOVDQU32(permIndex(idx), v)
		pairs = append(pairs, pair{table, v})
	}
	t.stage1(func(k int) []Op {
		x := make([]Op, s)
		for pi, pr := range pairs {
			h0, h1 := ZMM(), ZMM()
			permute(lo, pr.table, tables, pr.idx, h0)
			permute(hi, pr.table, tables, pr.idx, h1)
			a, b := ZMM(), ZMM()
			VSHUFF32X4(U8(0x44), h1, h0, a) // lanes 0-7 of h0, then of h1
			VSHUFF32X4(U8(0xee), h1, h0, b) // lanes 8-15 of h0, then of h1
			x[2*pi], x[2*pi+1] = a, b
		}
		ADDQ(rStride, lo)
		ADDQ(rStride, hi)
		return x
	})
	col, ptr := GP64(), GP64()
	t.stage2(storeLaneWise(dst, col, ptr, dStride, rowStride, r))
	VZEROUPPER()
	RET()
}

// scatterKernel emits the output transform p fused with writing its m×m tiles (plus bias)
// into an image: the inverse of gatherKernel's layout.
func scatterKernel(in isa, p *matrix) {
	name := p.name + "Scatter" + in.name
	r, s := p.rows, p.cols
	m := r
	TEXT(name, 0, "func(lo, hi *float32, rowStride int, src *float32, srcStride int, bias float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s is transformGo(%s, ...) on 16 lanes with the %dx%d results Y, plus bias, written", name, p.name, r, r),
		fmt.Sprintf("to an image of rows rowStride floats apart: for i, j < %d, lane l < 8 of half h,", r),
		"",
		fmt.Sprintf("\tbase_h[i*rowStride + j + %d·l] = bias + Σ_{k,q<%d} %s[i][k] · src[(k*%d+q)*srcStride + l + 8h] · %s[j][q]", m, s, p.name, s, p.name),
		"",
		"with base_0 = lo and base_1 = hi.")
	src := Load(Param("src"), GP64())
	lo, hi := Load(Param("lo"), GP64()), Load(Param("hi"), GP64())
	sStride, rStride := Load(Param("srcStride"), GP64()), Load(Param("rowStride"), GP64())
	SHLQ(U8(2), sStride)
	SHLQ(U8(2), rStride)
	t := newSandwich(in, p)
	y := AllocLocal(r * r * t.vecBytes)
	yAt := func(i, j int) Mem { return y.Offset((i*r + j) * t.vecBytes) }

	ptr := GP64()
	MOVQ(src, ptr)
	t.stage1(func(k int) []Op { return loadRow(in, ptr, sStride, s) })
	t.stage2(func(i, j int, v reg.VecVirtual) { VMOVUPS(v, yAt(i, j)) })

	bias := ZMM()
	b, err := Param("bias").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(b.Addr, bias)
	// Output vector o of a half holds pixels 16o..16o+15 of its 8m: pixel e is column
	// j = e%m of lane l = e/m, which the shuffles below leave in register j/2 at (j%2)·8 + l.
	vectors := m / 2
	var idx []reg.VecVirtual
	for o := 0; o < vectors; o++ {
		var ix [16]int
		for e := range ix {
			px := 16*o + e
			l, j := px/m, px%m
			ix[e] = (j/2)*16 + (j%2)*8 + l
		}
		v := ZMM()
		VMOVDQU32(permIndex(ix), v)
		idx = append(idx, v)
	}
	for i := 0; i < r; i++ {
		row := make([]reg.VecVirtual, m)
		for j := range row {
			row[j] = ZMM()
			VADDPS(yAt(i, j), bias, row[j])
		}
		for h, base := range []reg.Register{lo, hi} {
			imm := U8(0x44) // lanes 0-7 of Y[i][j], then of Y[i][j+1]
			if h == 1 {
				imm = U8(0xee)
			}
			pairs := make([]reg.VecVirtual, m/2)
			for pi := range pairs {
				pairs[pi] = ZMM()
				VSHUFF32X4(imm, row[2*pi+1], row[2*pi], pairs[pi])
			}
			for o := 0; o < vectors; o++ {
				out := ZMM()
				if len(pairs) == 1 {
					VPERMPS(pairs[0], idx[o], out)
				} else {
					VMOVUPS(pairs[0], out)
					VPERMT2PS(pairs[1], idx[o], out)
				}
				VMOVUPS(out, Mem{Base: base, Disp: 64 * o})
			}
		}
		if i < r-1 {
			ADDQ(rStride, lo)
			ADDQ(rStride, hi)
		}
	}
	VZEROUPPER()
	RET()
}
