package backendtest

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/tensor"
)

// gemmSizes are (M, N, K): empty products, a 1×1, ragged sizes around typical register-block
// edges (4, 8, 16, 32, 64), and a conv-like shape (Cout × OH·OW × C·KH·KW).
var gemmSizes = [][3]int{
	{0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {1, 1, 1}, {5, 7, 3}, {17, 9, 33}, {64, 65, 63}, {2, 130, 7},
	{16, 100, 27},
}

// gemmScalars are (alpha, beta) pairs: the plain product, accumulation, and general scalars.
var gemmScalars = [][2]float64{{1, 0}, {1, 1}, {-0.5, 0.25}, {2, -1}}

func testGemm(h *harness) {
	tl := h.pick(tol{rtol: 1e-5}, tol{rtol: 1e-13})
	i := 0
	for _, s := range gemmSizes {
		for _, transA := range []bool{false, true} {
			for _, transB := range []bool{false, true} {
				sc := gemmScalars[i%len(gemmScalars)]
				i++
				g := tensor.GemmArgs{TransA: transA, TransB: transB, M: s[0], N: s[1], K: s[2],
					Alpha: sc[0], Beta: sc[1], Batch: 1 + i%3}
				// Leading dimensions larger than the rows, offsets, and gaps between batch
				// matrices, some of which are shared by the whole batch (stride 0).
				g.LDA = max(1, h.stored(transA, g.M, g.K)) + i%3
				g.LDB = max(1, h.stored(transB, g.K, g.N)) + (i+1)%2
				g.LDC = max(1, g.N) + i%2
				g.OffA, g.OffB, g.OffC = i%4, (i+1)%3, (i+2)%5
				g.StrideA = h.rows(transA, g.M, g.K)*g.LDA + 1
				g.StrideB = h.rows(transB, g.K, g.N)*g.LDB + 2
				g.StrideC = g.M*g.LDC + 3
				switch i % 4 {
				case 1:
					g.StrideA = 0
				case 2:
					g.StrideB = 0
				}
				h.gemmOnce(g, tl)
			}
		}
	}
	// beta = 0 must overwrite C even where it holds NaN, as in BLAS.
	g := tensor.GemmArgs{M: 5, N: 6, K: 7, Alpha: 1, Beta: 0, Batch: 2, LDA: 7, LDB: 6, LDC: 6,
		StrideA: 35, StrideB: 42, StrideC: 30}
	h.gemmOnce(g, tl)
}

// stored returns the number of columns of the stored (row-major) matrix op(X) = rows×cols reads.
func (h *harness) stored(trans bool, rows, cols int) int {
	if trans {
		return rows
	}
	return cols
}

// rows returns the number of rows of the stored matrix.
func (h *harness) rows(trans bool, rows, cols int) int {
	if trans {
		return cols
	}
	return rows
}

func (h *harness) gemmOnce(g tensor.GemmArgs, tl tol) {
	h.t.Helper()
	lenA := g.OffA + g.Batch*g.StrideA + h.rows(g.TransA, g.M, g.K)*g.LDA + 2
	lenB := g.OffB + g.Batch*g.StrideB + h.rows(g.TransB, g.K, g.N)*g.LDB + 2
	lenC := g.OffC + g.Batch*g.StrideC + g.M*g.LDC + 2
	a, b, c := h.normal(lenA, 0, 1), h.normal(lenB, 0, 1), h.normal(lenC, 0, 1)
	if g.Beta == 0 {
		for i := range c {
			c[i] = math.NaN()
		}
	}
	// The scale of each element's error: the same product over |A|, |B|, |C| with |α|, |β|.
	mag := g
	mag.Alpha, mag.Beta = math.Abs(g.Alpha), math.Abs(g.Beta)
	mag.A, mag.B = upload(tensor.CPU, tensor.Float64, absAll(a)), upload(tensor.CPU, tensor.Float64, absAll(b))
	mag.C = upload(tensor.CPU, tensor.Float64, absAll(c))
	tensor.CPU.Gemm(mag)
	scale := download(tensor.CPU, mag.C)
	for i := range scale {
		if math.IsNaN(scale[i]) { // untouched guard entries of a NaN-filled C
			scale[i] = 0
		}
	}

	pa, pb, pc := h.pair(a), h.pair(b), h.pair(c)
	ref, got := g, g
	ref.A, ref.B, ref.C = pa.ref, pb.ref, pc.ref
	got.A, got.B, got.C = pa.got, pb.got, pc.got
	tensor.CPU.Gemm(ref)
	h.b.Gemm(got)
	what := fmt.Sprintf("Gemm M=%d N=%d K=%d transA=%v transB=%v alpha=%g beta=%g batch=%d LD=%d,%d,%d off=%d,%d,%d stride=%d,%d,%d",
		g.M, g.N, g.K, g.TransA, g.TransB, g.Alpha, g.Beta, g.Batch, g.LDA, g.LDB, g.LDC,
		g.OffA, g.OffB, g.OffC, g.StrideA, g.StrideB, g.StrideC)
	h.check(what, pc, tl, scale)
	h.intact(what, pa, pb)
}
