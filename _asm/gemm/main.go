// Command gemm generates the GEMM micro-kernels of internal/gemm with avo.
//
// Run it from _asm with `go generate ./...`.
//
// Every kernel computes one MR×NR tile of C from a k-long strip of A and of B:
//
//	for i < MR, j < NR:  acc = sum over p < k of A(i,p) * B(p,j)
//	                     C[i*ldc+j] = alpha*acc            if beta == 0 (C is not read)
//	                     C[i*ldc+j] = alpha*acc + beta*C   otherwise
//
// The accumulators hold rows of the C tile (NR/W vectors of W lanes per row), so each step p loads
// NR values of B and broadcasts MR values of A: the register-blocking scheme of BLIS's Haswell
// kernels, which suits row-major C. B(p,j) is read at b + p*bStep + j; A comes in two layouts:
//
//   - strip layout ("Kernel"): A(i,p) at a + p*aStride + i. This is a packed A panel
//     (aStride == MR) or a transposed A read in place (aStride == lda).
//   - rows layout ("KernelRows"): A(i,p) at a + i*aStride + p, a row-major A read in place,
//     which saves packing when A is used by few tiles (skinny N).
//
// The same generator writes the AVX2+FMA (ymm, 6×2 vectors) and AVX-512 (zmm, 14×2 vectors)
// kernels for float32 and float64, plus the FMA peak loops used by cmd/zebra-bench.
package main

//go:generate sh -c "go run . -out kernel_amd64.s.tmp && mv kernel_amd64.s.tmp ../../internal/gemm/kernel_amd64.s"

import (
	"fmt"
	"log"
	"os"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa describes a vector instruction set: its register width and how to allocate a register.
type isa struct {
	name     string
	vecBytes int
	newVec   func() reg.VecVirtual
	zero     func(r reg.VecVirtual) // zeroes r using only instructions of this ISA
	mr       int                    // rows of the C tile
	nv       int                    // vectors per row of the C tile
}

// elem describes the element type and the matching instructions.
type elem struct {
	name   string // "float32" or "float64"
	prefix string // "sgemm" or "dgemm"
	size   int    // bytes
	shift  uint64 // log2(size)
	bcast  func(mx, xyz Op)
	fma    func(mxyz, xyz, xyz1 Op) // xyz1 += mxyz * xyz
	mov    func(mxyz, mxyz1 Op)
	mul    func(mxyz, xyz, xyz1 Op)
}

var (
	avx2 = isa{
		name: "AVX2", vecBytes: 32, newVec: func() reg.VecVirtual { return YMM() },
		zero: func(r reg.VecVirtual) { VXORPS(r, r, r) }, mr: 6, nv: 2,
	}
	avx512 = isa{
		name: "AVX512", vecBytes: 64, newVec: func() reg.VecVirtual { return ZMM() },
		// VXORPS on zmm needs AVX512DQ; VPXORD is AVX512F.
		zero: func(r reg.VecVirtual) { VPXORD(r, r, r) }, mr: 14, nv: 2,
	}
	f32 = elem{
		name: "float32", prefix: "sgemm", size: 4, shift: 2,
		bcast: func(m, r Op) { VBROADCASTSS(m, r) },
		fma:   func(a, b, c Op) { VFMADD231PS(a, b, c) },
		mov:   func(a, b Op) { VMOVUPS(a, b) },
		mul:   func(a, b, c Op) { VMULPS(a, b, c) },
	}
	f64 = elem{
		name: "float64", prefix: "dgemm", size: 8, shift: 3,
		bcast: func(m, r Op) { VBROADCASTSD(m, r) },
		fma:   func(a, b, c Op) { VFMADD231PD(a, b, c) },
		mov:   func(a, b Op) { VMOVUPD(a, b) },
		mul:   func(a, b, c Op) { VMULPD(a, b, c) },
	}
)

func main() {
	ConstraintExpr("amd64,!purego")
	for _, e := range []elem{f32, f64} {
		for _, s := range []isa{avx2, avx512} {
			kernel(e, s, false, false)
			kernel(e, s, true, false)
			kernel(e, s, false, true)
		}
	}
	peakLoop(avx2)
	peakLoop(avx512)
	transposePack(f32)
	transposePack(f64)
	copyRows()
	prefetchLines()
	Generate()
	// The micro-kernels' k loops, the peak loops and the packing loops start on a 64-byte
	// boundary. Measured with the column kernel on L1-resident operands, k = 256: where the
	// code happened to fall, the kernel ran at 79-92% of the FMA loop's rate from one build
	// to the next; with both loops aligned, at 89-90% run after run (and the FMA loop's own
	// rate no longer depends on the build).
	alignLoops("_loop4", "fmaPeakAVX2_loop", "fmaPeakAVX512_loop", "_block_loop", "_pair_block")
}

// alignLoops rewrites the assembly file that Generate wrote (the -out flag) with a
// "PCALIGN $64" directive before every label whose name ends in one of suffixes; avo has no
// instruction for it.
func alignLoops(suffixes ...string) {
	out := ""
	for i, arg := range os.Args {
		if arg == "-out" && i+1 < len(os.Args) {
			out = os.Args[i+1]
		} else if v, ok := strings.CutPrefix(arg, "-out="); ok {
			out = v
		}
	}
	if out == "" {
		return // printed to standard output
	}
	src, err := os.ReadFile(out)
	if err != nil {
		log.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(src), "\n") {
		label := strings.TrimSuffix(strings.TrimSpace(line), ":")
		if strings.HasSuffix(line, ":\n") && !strings.HasPrefix(line, "\t") {
			for _, suffix := range suffixes {
				if strings.HasSuffix(label, suffix) {
					b.WriteString("\tPCALIGN $64\n\n")
					break
				}
			}
		}
		b.WriteString(line)
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

func addr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// kernel emits one micro-kernel; rows selects the in-place row-major A layout. With column,
// it emits instead the column kernel: tiles tiles stacked down a column strip of C, from
// consecutive packed A slivers (strip layout, aStride = MR) and one B sliver, which is what
// the driver's column walk does for its full tiles, without a call per tile; each tile also
// prefetches pfLines cache lines from pf on (the next B sliver).
func kernel(e elem, s isa, rows, column bool) {
	layout := ""
	if rows {
		layout = "Rows"
	}
	lanes := s.vecBytes / e.size
	nr := s.nv * lanes
	name := fmt.Sprintf("%sKernel%s%dx%d%s", e.prefix, layout, s.mr, nr, s.name)
	sig := fmt.Sprintf("func(k int, a *%[1]s, aStride int, b *%[1]s, bStep int, c *%[1]s, ldc int, alpha, beta %[1]s)", e.name)
	doc := fmt.Sprintf("%s computes one %dx%d tile of C; see kernel_amd64.go.", name, s.mr, nr)
	if column {
		name = fmt.Sprintf("%sColumn%dx%d%s", e.prefix, s.mr, nr, s.name)
		sig = fmt.Sprintf("func(k int, a *%[1]s, tiles int, b *%[1]s, bStep int, c *%[1]s, ldc int, alpha, beta %[1]s, pf *%[1]s, pfLines int)", e.name)
		doc = fmt.Sprintf("%s computes tiles %dx%d tiles down a column of C; see kernel_amd64.go.", name, s.mr, nr)
	}
	TEXT(name, NOSPLIT, sig)
	Doc(doc)

	k := GP64()
	pa := Load(Param("a"), GP64())
	aStride, tilesLeft, pf := GP64(), GP64(), GP64()
	if column {
		MOVQ(U32(s.mr*e.size), aStride)
		Load(Param("tiles"), tilesLeft)
		Load(Param("pf"), pf)
	} else {
		Load(Param("aStride"), aStride)
		SHLQ(U8(e.shift), aStride)
	}
	pb := GP64()
	bStep := Load(Param("bStep"), GP64())
	SHLQ(U8(e.shift), bStep)
	pc := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(e.shift), ldc)

	Label(name + "_tile")
	if column {
		// The next B sliver, a share per tile, so that it is in cache when the next call
		// starts (the packed B panel is larger than L2).
		Load(Param("pfLines"), k)
		prefetchLoop(name+"_pf", pf, k)
	}
	Load(Param("k"), k)
	Load(Param("b"), pb)

	// Warm the C tile's cache lines while the FMAs run: the epilogue reads them.
	cw := GP64()
	MOVQ(pc, cw)
	for i := 0; i < s.mr; i++ {
		PREFETCHT0(Mem{Base: cw})
		PREFETCHT0(Mem{Base: cw, Disp: s.nv*s.vecBytes - 1})
		ADDQ(ldc, cw)
	}

	acc := make([][]reg.VecVirtual, s.mr)
	for i := range acc {
		acc[i] = make([]reg.VecVirtual, s.nv)
		for v := range acc[i] {
			acc[i][v] = s.newVec()
			s.zero(acc[i][v])
		}
	}
	bv := make([]reg.VecVirtual, s.nv)
	for v := range bv {
		bv[v] = s.newVec()
	}
	t := s.newVec()

	// In the rows layout, row i of A starts at bases[i/3] + (i%3)*aStride: x86 addressing scales
	// an index register by 1, 2, 4 or 8, so one base register serves three rows.
	var bases []reg.Register
	if rows {
		bases = append(bases, pa)
		for r := 3; r < s.mr; r += 3 {
			nb := GP64()
			LEAQ(Mem{Base: bases[len(bases)-1], Index: aStride, Scale: 2}, nb)
			ADDQ(aStride, nb)
			bases = append(bases, nb)
		}
	}
	aElem := func(i, disp int) Mem {
		if !rows {
			return Mem{Base: pa, Disp: i*e.size + disp}
		}
		m := Mem{Base: bases[i/3], Disp: disp}
		if i%3 != 0 {
			m.Index = aStride
			m.Scale = uint8(i % 3)
		}
		return m
	}
	// step emits one rank-1 update; u is the unrolled step's offset in elements (rows layout).
	step := func(u int) {
		for v := 0; v < s.nv; v++ {
			e.mov(Mem{Base: pb, Disp: v * s.vecBytes}, bv[v])
		}
		ADDQ(bStep, pb)
		for i := 0; i < s.mr; i++ {
			disp := 0
			if rows {
				disp = u * e.size
			}
			e.bcast(aElem(i, disp), t)
			for v := 0; v < s.nv; v++ {
				e.fma(bv[v], t, acc[i][v])
			}
		}
		if !rows {
			ADDQ(aStride, pa)
		}
	}
	advanceRows := func(n int) {
		for _, b := range bases {
			ADDQ(U32(n*e.size), b)
		}
	}

	// While the FMAs run, prefetch the A sliver the next call will read, so that an A streamed
	// from DRAM (the skinny im2col GEMMs) arrives while the arithmetic runs. Prefetches never
	// fault, so running past the end of A is harmless.
	//
	// Strip layout: the next sliver follows this one (k steps on), so prefetch linearly, four
	// lines per eight steps, twice the rate the kernel consumes A.
	//
	// Rows layout: the next sliver is the mr rows below, each kc elements long at stride
	// aStride. Walk it column of lines by column of lines: row r, r+1, ..., then 64 bytes
	// right, three lines per eight steps (a 6-row sliver needs 6*kc/16 lines in kc/8 groups).
	var next, pfRow, pfCount, sliverBytes reg.GPVirtual
	if rows {
		pfRow, pfCount, sliverBytes = GP64(), GP64(), GP64()
		IMUL3Q(U32(s.mr), aStride, sliverBytes)
		LEAQ(Mem{Base: pa, Index: sliverBytes, Scale: 1}, pfRow)
		XORQ(pfCount, pfCount)
	} else {
		next = GP64()
		MOVQ(k, next)
		IMULQ(aStride, next)
		ADDQ(pa, next)
	}
	pfLines := (s.mr*8*e.size + 63) / 64 // lines of the next sliver per group of 8 steps
	pfLines += pfLines / 2               // and half again, to run ahead

	const unroll = 8
	Label(name + "_loop4")
	CMPQ(k, U8(unroll))
	JB(LabelRef(name + "_tail"))
	if rows {
		for l := 0; l < pfLines; l++ {
			same := fmt.Sprintf("%s_pf%d", name, l)
			PREFETCHT0(Mem{Base: pfRow})
			ADDQ(aStride, pfRow)
			INCQ(pfCount)
			CMPQ(pfCount, U8(s.mr))
			JB(LabelRef(same))
			// A column of lines done: back up mr rows, one line to the right.
			XORQ(pfCount, pfCount)
			SUBQ(sliverBytes, pfRow)
			ADDQ(U8(64), pfRow)
			Label(same)
		}
	} else {
		for l := 0; l < 4; l++ {
			PREFETCHT0(Mem{Base: next, Disp: 64 * l})
		}
		ADDQ(U32(256), next)
	}
	for u := 0; u < unroll; u++ {
		step(u)
	}
	if rows {
		advanceRows(unroll)
	}
	SUBQ(U8(unroll), k)
	JMP(LabelRef(name + "_loop4"))

	Label(name + "_tail")
	TESTQ(k, k)
	JZ(LabelRef(name + "_epilogue"))
	step(0)
	if rows {
		advanceRows(1)
	}
	DECQ(k)
	JMP(LabelRef(name + "_tail"))

	Label(name + "_epilogue")
	// alpha == 1, what every caller in zebra passes, needs no scaling: twelve multiplies fewer.
	alphaBits := GP64()
	if e.size == 4 {
		MOVL(addr("alpha"), alphaBits.As32())
		CMPL(alphaBits.As32(), U32(0x3f800000))
	} else {
		one := GP64()
		MOVQ(U64(0x3ff0000000000000), one)
		MOVQ(addr("alpha"), alphaBits)
		CMPQ(alphaBits, one)
	}
	JE(LabelRef(name + "_scaled"))
	alpha := s.newVec()
	e.bcast(addr("alpha"), alpha)
	for i := range acc {
		for v := range acc[i] {
			e.mul(alpha, acc[i][v], acc[i][v])
		}
	}
	Label(name + "_scaled")
	// beta == 0 (either sign) means overwrite without reading C, so NaNs in C do not propagate.
	betaBits := GP64()
	if e.size == 4 {
		MOVL(addr("beta"), betaBits.As32())
		ANDL(U32(0x7fffffff), betaBits.As32())
	} else {
		MOVQ(addr("beta"), betaBits)
		SHLQ(U8(1), betaBits)
	}
	JZ(LabelRef(name + "_store"))

	beta := s.newVec()
	e.bcast(addr("beta"), beta)
	for i := range acc {
		for v := range acc[i] {
			m := Mem{Base: pc, Disp: v * s.vecBytes}
			e.fma(m, beta, acc[i][v])
			e.mov(acc[i][v], m)
		}
		ADDQ(ldc, pc)
	}
	JMP(LabelRef(name + "_next"))

	Label(name + "_store")
	for i := range acc {
		for v := range acc[i] {
			e.mov(acc[i][v], Mem{Base: pc, Disp: v * s.vecBytes})
		}
		ADDQ(ldc, pc)
	}

	// pc has walked down to the next tile's first row, and in the strip layout pa has
	// reached the next sliver.
	Label(name + "_next")
	if column {
		DECQ(tilesLeft)
		JNZ(LabelRef(name + "_tile"))
	}
	VZEROUPPER()
	RET()
}

// peakLoop emits a loop of independent FMAs that measures the core's FMA throughput. Twelve
// chains per iteration cover the FMA latency (4 cycles) times two FMA pipes with room to spare.
func peakLoop(s isa) {
	name := "fmaPeak" + s.name
	TEXT(name, NOSPLIT, "func(iterations int)")
	Doc(fmt.Sprintf("%s runs iterations × 12 independent %d-byte float32 FMAs.", name, s.vecBytes))
	n := Load(Param("iterations"), GP64())
	const chains = 12
	acc := make([]reg.VecVirtual, chains)
	for i := range acc {
		acc[i] = s.newVec()
		s.zero(acc[i])
	}
	x := s.newVec()
	s.zero(x)
	Label(name + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	for i := range acc {
		VFMADD231PS(x, x, acc[i])
	}
	DECQ(n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// prefetchAhead is how far ahead (bytes) the packing loop prefetches each source row.
const prefetchAhead = 512

// transposePack emits the packing loop for operands stored across the sliver:
// dst[p*width+r] = src[r*ld+p] for r < count, p < kc. Four rows go at once, each step moving
// four scalars; plain Go spent three times as long on its bounds checks and spills.
func transposePack(e elem) {
	name := "transposePack" + map[int]string{4: "32", 8: "64"}[e.size]
	TEXT(name, NOSPLIT, fmt.Sprintf("func(dst *%[1]s, width int, src *%[1]s, ld int, count int, kc int)", e.name))
	Doc(name + " sets dst[p*width+r] = src[r*ld+p] for r < count, p < kc.")
	load, store := func(m, x Op) { MOVSS(m, x) }, func(x, m Op) { MOVSS(x, m) }
	if e.size == 8 {
		load, store = func(m, x Op) { MOVSD(m, x) }, func(x, m Op) { MOVSD(x, m) }
	}
	dst := Load(Param("dst"), GP64())
	width := Load(Param("width"), GP64())
	SHLQ(U8(e.shift), width)
	src := Load(Param("src"), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(e.shift), ld)
	count := Load(Param("count"), GP64())
	kc := Load(Param("kc"), GP64())
	x := []reg.VecVirtual{XMM(), XMM(), XMM(), XMM()}

	Label(name + "_group")
	CMPQ(count, U8(4))
	JB(LabelRef(name + "_single"))
	s1, s2, s3 := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: src, Index: ld, Scale: 1}, s1)
	LEAQ(Mem{Base: src, Index: ld, Scale: 2}, s2)
	LEAQ(Mem{Base: s1, Index: ld, Scale: 2}, s3)
	d, p := GP64(), GP64()
	MOVQ(dst, d)
	XORQ(p, p)
	rowsOf4 := []reg.Register{src, s1, s2, s3}
	if e.size == 4 {
		// The source rows usually come from DRAM, kc elements of each at a stride of 4 KiB or
		// more: too many short streams for the hardware prefetchers, and prefetching each row
		// a little ahead of its own reads left the packing waiting on DRAM (1 ns per element,
		// a third of that from cache). Instead, pf walks the rows min(count, 8) below these
		// (for a 6-row A sliver, the next call's; for a 16-row B sliver, the group after
		// next) at the rate this loop consumes lines: one line per step, each of the four
		// rows in turn, then one line right.
		pf := GP64()
		prefetchStart(name+"_group", pf, src, ld)
		// Four steps at a time: load a 4×4 block (four rows, four steps), transpose it in
		// registers and store four rows of dst. A quarter of the loads and stores of the
		// scalar loop below, which finishes the last kc%4 steps.
		kc4 := GP64()
		MOVQ(kc, kc4)
		ANDQ(I32(-4), kc4)
		Label(name + "_block_loop")
		CMPQ(p, kc4)
		JAE(LabelRef(name + "_group_loop"))
		var in [4]reg.VecVirtual
		for i, s := range rowsOf4 {
			in[i] = XMM()
			VMOVUPS(Mem{Base: s, Index: p, Scale: 4}, in[i])
		}
		PREFETCHT0(Mem{Base: pf})
		ADDQ(ld, pf)
		t0, t1, t2, t3 := XMM(), XMM(), XMM(), XMM()
		VUNPCKLPS(in[1], in[0], t0) // a0 b0 a1 b1
		VUNPCKHPS(in[1], in[0], t1) // a2 b2 a3 b3
		VUNPCKLPS(in[3], in[2], t2) // c0 d0 c1 d1
		VUNPCKHPS(in[3], in[2], t3) // c2 d2 c3 d3
		out := [4]reg.VecVirtual{XMM(), XMM(), XMM(), XMM()}
		VMOVLHPS(t2, t0, out[0]) // a0 b0 c0 d0
		VMOVHLPS(t0, t2, out[1]) // a1 b1 c1 d1
		VMOVLHPS(t3, t1, out[2]) // a2 b2 c2 d2
		VMOVHLPS(t1, t3, out[3]) // a3 b3 c3 d3
		d2 := GP64()
		LEAQ(Mem{Base: d, Index: width, Scale: 2}, d2)
		VMOVUPS(out[0], Mem{Base: d})
		VMOVUPS(out[1], Mem{Base: d, Index: width, Scale: 1})
		VMOVUPS(out[2], Mem{Base: d2})
		VMOVUPS(out[3], Mem{Base: d2, Index: width, Scale: 1})
		LEAQ(Mem{Base: d, Index: width, Scale: 4}, d)
		ADDQ(U8(4), p)
		// Every fourth step (a line of each row), back up four rows and go one line right.
		TESTQ(U32(15), p)
		JNZ(LabelRef(name + "_block_loop"))
		MOVQ(ld, d2)
		SHLQ(U8(2), d2)
		SUBQ(d2, pf)
		ADDQ(U8(64), pf)
		JMP(LabelRef(name + "_block_loop"))
	}
	Label(name + "_group_loop")
	CMPQ(p, kc)
	JAE(LabelRef(name + "_group_next"))
	for i, s := range rowsOf4 {
		load(Mem{Base: s, Index: p, Scale: uint8(e.size)}, x[i])
		// The rows usually come from DRAM; several rows read in lockstep defeat the hardware
		// prefetcher's stream detection often enough that asking explicitly pays.
		PREFETCHT0(Mem{Base: s, Index: p, Scale: uint8(e.size), Disp: prefetchAhead})
	}
	for i := range x {
		store(x[i], Mem{Base: d, Disp: i * e.size})
	}
	ADDQ(width, d)
	INCQ(p)
	JMP(LabelRef(name + "_group_loop"))
	Label(name + "_group_next")
	LEAQ(Mem{Base: src, Index: ld, Scale: 4}, src)
	ADDQ(U8(4*e.size), dst)
	SUBQ(U8(4), count)
	JMP(LabelRef(name + "_group"))

	if e.size == 4 {
		// Two rows left (a 6-row A sliver is 4+2): move them four steps at a time as a 2×4
		// block, interleaved in registers and stored eight bytes per destination row.
		Label(name + "_pair")
		CMPQ(count, U8(2))
		JB(LabelRef(name + "_single"))
		r1, dp, pp, kc4 := GP64(), GP64(), GP64(), GP64()
		LEAQ(Mem{Base: src, Index: ld, Scale: 1}, r1)
		MOVQ(dst, dp)
		XORQ(pp, pp)
		// As in the groups of four, pf walks the two rows as far below: a line of each
		// every four steps, visiting each line twice (a prefetch of a line on its way is free).
		pf := GP64()
		prefetchStart(name+"_pair", pf, src, ld)
		MOVQ(kc, kc4)
		ANDQ(I32(-4), kc4)
		Label(name + "_pair_block")
		CMPQ(pp, kc4)
		JAE(LabelRef(name + "_pair_rest"))
		x0, x1, lo, hi := XMM(), XMM(), XMM(), XMM()
		VMOVUPS(Mem{Base: src, Index: pp, Scale: 4}, x0)
		VMOVUPS(Mem{Base: r1, Index: pp, Scale: 4}, x1)
		PREFETCHT0(Mem{Base: pf})
		ADDQ(ld, pf)
		VUNPCKLPS(x1, x0, lo) // a0 b0 a1 b1
		VUNPCKHPS(x1, x0, hi) // a2 b2 a3 b3
		d2 := GP64()
		LEAQ(Mem{Base: dp, Index: width, Scale: 2}, d2)
		VMOVLPS(lo, Mem{Base: dp})
		VMOVHPS(lo, Mem{Base: dp, Index: width, Scale: 1})
		VMOVLPS(hi, Mem{Base: d2})
		VMOVHPS(hi, Mem{Base: d2, Index: width, Scale: 1})
		LEAQ(Mem{Base: dp, Index: width, Scale: 4}, dp)
		ADDQ(U8(4), pp)
		// Every second step, back up two rows and go half a line right.
		TESTQ(U32(7), pp)
		JNZ(LabelRef(name + "_pair_block"))
		SUBQ(ld, pf)
		SUBQ(ld, pf)
		ADDQ(U8(32), pf)
		JMP(LabelRef(name + "_pair_block"))
		Label(name + "_pair_rest")
		CMPQ(pp, kc)
		JAE(LabelRef(name + "_pair_next"))
		y0, y1 := XMM(), XMM()
		MOVSS(Mem{Base: src, Index: pp, Scale: 4}, y0)
		MOVSS(Mem{Base: r1, Index: pp, Scale: 4}, y1)
		MOVSS(y0, Mem{Base: dp})
		MOVSS(y1, Mem{Base: dp, Disp: 4})
		ADDQ(width, dp)
		INCQ(pp)
		JMP(LabelRef(name + "_pair_rest"))
		Label(name + "_pair_next")
		LEAQ(Mem{Base: src, Index: ld, Scale: 2}, src)
		ADDQ(U8(8), dst)
		SUBQ(U8(2), count)
	}

	Label(name + "_single")
	TESTQ(count, count)
	JZ(LabelRef(name + "_done"))
	d1, p1 := GP64(), GP64()
	MOVQ(dst, d1)
	XORQ(p1, p1)
	Label(name + "_single_loop")
	CMPQ(p1, kc)
	JAE(LabelRef(name + "_single_next"))
	load(Mem{Base: src, Index: p1, Scale: uint8(e.size)}, x[0])
	store(x[0], Mem{Base: d1})
	ADDQ(width, d1)
	INCQ(p1)
	JMP(LabelRef(name + "_single_loop"))
	Label(name + "_single_next")
	ADDQ(ld, src)
	ADDQ(U8(e.size), dst)
	DECQ(count)
	JMP(LabelRef(name + "_single"))

	Label(name + "_done")
	RET()
}

// prefetchStart sets pf to the row min(count, 8) rows below src, count being the function's
// parameter: where transposePack's prefetch walk starts (see there).
func prefetchStart(label string, pf reg.GPVirtual, src, ld reg.Register) {
	Load(Param("count"), pf)
	CMPQ(pf, U8(8))
	JB(LabelRef(label + "_near"))
	MOVQ(U32(8), pf)
	Label(label + "_near")
	IMULQ(ld, pf)
	ADDQ(src, pf)
}

// copyRows emits a strided block copy: rows rows of n bytes (n a multiple of 8), from src with
// stride srcStride to dst with stride dstStride, prefetching the first and last byte of each
// row rows*srcStride further on. It moves sliver rows while packing, 24 to 128 bytes at a
// time, where a call to memmove per row cost more than the copy.
func copyRows() {
	const name = "copyRows"
	TEXT(name, NOSPLIT, "func(dst *byte, dstStride int, src *byte, srcStride int, rows int, n int)")
	Doc(name + " copies rows rows of n bytes (n % 8 == 0) from src to dst, with the given strides.")
	dst, dstStride := Load(Param("dst"), GP64()), Load(Param("dstStride"), GP64())
	src, srcStride := Load(Param("src"), GP64()), Load(Param("srcStride"), GP64())
	rows, n := Load(Param("rows"), GP64()), Load(Param("n"), GP64())
	off := GP64()
	y, q := YMM(), GP64()
	// The packing loop (dealAsm) calls this for each sliver of a group of rows, and then for
	// the next group: while copying a row, prefetch the same bytes rows rows below, which
	// the next group's call will copy. Its source rows are short pieces of long rows (a B
	// panel's width) a stride of 4 KiB or more apart, which the hardware prefetchers do not
	// follow: at m = 128, k = 576, n = 16384, packing B took 17% of the product.
	ahead, last := GP64(), GP64()
	MOVQ(rows, ahead)
	IMULQ(srcStride, ahead)
	LEAQ(Mem{Base: n, Disp: -1}, last)
	Label(name + "_row")
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	PREFETCHT0(Mem{Base: src, Index: ahead, Scale: 1})
	LEAQ(Mem{Base: src, Index: last, Scale: 1}, q)
	PREFETCHT0(Mem{Base: q, Index: ahead, Scale: 1})
	XORQ(off, off)
	Label(name + "_32")
	LEAQ(Mem{Base: off, Disp: 32}, q)
	CMPQ(q, n)
	JA(LabelRef(name + "_8"))
	VMOVUPS(Mem{Base: src, Index: off, Scale: 1}, y)
	VMOVUPS(y, Mem{Base: dst, Index: off, Scale: 1})
	MOVQ(q, off)
	JMP(LabelRef(name + "_32"))
	Label(name + "_8")
	CMPQ(off, n)
	JAE(LabelRef(name + "_next"))
	MOVQ(Mem{Base: src, Index: off, Scale: 1}, q)
	MOVQ(q, Mem{Base: dst, Index: off, Scale: 1})
	ADDQ(U8(8), off)
	JMP(LabelRef(name + "_8"))
	Label(name + "_next")
	ADDQ(srcStride, src)
	ADDQ(dstStride, dst)
	DECQ(rows)
	JMP(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// prefetchLines emits a loop of PREFETCHT0 over consecutive cache lines. The driver calls it a
// few lines at a time, between kernel calls, to bring the next packed B sliver in from L3.
func prefetchLines() {
	const name = "prefetchLines"
	TEXT(name, NOSPLIT, "func(p *byte, lines int)")
	Doc(name + " prefetches lines 64-byte cache lines from p on.")
	p, n := Load(Param("p"), GP64()), Load(Param("lines"), GP64())
	prefetchLoop(name, p, n)
	RET()
}

// prefetchLoop emits a loop that prefetches n cache lines from p on, advancing p past them and
// counting n down to 0.
func prefetchLoop(label string, p, n reg.Register) {
	Label(label + "_loop")
	TESTQ(n, n)
	JZ(LabelRef(label + "_done"))
	PREFETCHT0(Mem{Base: p})
	ADDQ(U8(64), p)
	DECQ(n)
	JMP(LabelRef(label + "_loop"))
	Label(label + "_done")
}
