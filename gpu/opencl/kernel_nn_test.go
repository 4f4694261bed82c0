package opencl

import (
	"fmt"
	"math"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

func TestGemmMatchesCPU(t *testing.T) {
	dev := openOrSkip(t)
	type shape struct{ m, n, k int }
	// Sizes at the tile edges (64, 16) and ragged ones.
	shapes := []shape{{1, 1, 1}, {63, 65, 17}, {64, 64, 16}, {5, 130, 1}, {70, 3, 33}, {2, 2, 0}}
	for _, dt := range dtypes(dev) {
		for _, sh := range shapes {
			for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
				for _, ab := range [][2]float64{{1, 0}, {0.5, -1.5}} {
					// Leading dimensions one over the minimum and a guard of 3 elements between
					// batch matrices: nothing outside the matrices may change.
					rowsA, colsA := sh.m, sh.k
					if tr[0] {
						rowsA, colsA = sh.k, sh.m
					}
					rowsB, colsB := sh.k, sh.n
					if tr[1] {
						rowsB, colsB = sh.n, sh.k
					}
					lda, ldb, ldc := colsA+1, colsB+1, sh.n+2
					batch := 3
					strideA, strideB, strideC := rowsA*lda+3, 0, sh.m*ldc+3 // B shared across the batch
					g := tensor.GemmArgs{TransA: tr[0], TransB: tr[1], M: sh.m, N: sh.n, K: sh.k, Alpha: ab[0], Beta: ab[1], Batch: batch,
						OffA: 2, LDA: lda, StrideA: strideA, OffB: 1, LDB: ldb, StrideB: strideB, OffC: 5, LDC: ldc, StrideC: strideC}
					sizes := []int{2 + batch*strideA, 1 + rowsB*ldb, 5 + batch*strideC + 4}
					c := kernelCase{name: fmt.Sprintf("gemm %v trans %v alpha,beta %v", sh, tr, ab), dtype: dt, sizes: sizes, tol: 4 * tolFor(dt) * math.Sqrt(float64(sh.k+1)),
						fill: func(i int, v []float64) {
							if i == 2 && ab[1] == 0 {
								for j := range v {
									v[j] = math.NaN() // beta 0 must overwrite NaNs
								}
							}
						},
						run: func(b tensor.Backend, s []tensor.Storage) {
							g.A, g.B, g.C = s[0], s[1], s[2]
							b.Gemm(g)
						}}
					c.check(t, dev)
				}
			}
		}
	}
}

func TestGemmSharedOutputAccumulates(t *testing.T) {
	dev := openOrSkip(t)
	// StrideC 0 with beta 1: every batch adds into the same C (a weight gradient summed over images).
	for _, dt := range dtypes(dev) {
		c := kernelCase{name: "gemm stride C 0", dtype: dt, sizes: []int{4 * 6 * 5, 4 * 5 * 7, 6 * 7}, tol: 1e-5,
			run: func(b tensor.Backend, s []tensor.Storage) {
				b.Gemm(tensor.GemmArgs{M: 6, N: 7, K: 5, Alpha: 1, Beta: 1, Batch: 4,
					A: s[0], LDA: 5, StrideA: 30, B: s[1], LDB: 7, StrideB: 35, C: s[2], LDC: 7, StrideC: 0})
			}}
		c.check(t, dev)
	}
}

func TestConvKernelsMatchCPU(t *testing.T) {
	dev := openOrSkip(t)
	geoms := []tensor.ConvGeom{
		tensor.NewConvGeom(2, 3, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1),
		tensor.NewConvGeom(1, 2, 9, 8, 4, 4, 2, 2, 1, 1, 1, 1),
		tensor.NewConvGeom(1, 2, 9, 9, 3, 2, 2, 3, 0, 2, 2, 1),
		tensor.NewConvGeom(1, 1, 5, 5, 7, 7, 1, 1, 3, 3, 1, 1),
	}
	for _, dt := range dtypes(dev) {
		for _, g := range geoms {
			img, cols := g.N*g.C*g.H*g.W, g.N*g.C*g.KH*g.KW*g.OH*g.OW
			c := kernelCase{name: fmt.Sprintf("im2col col2im %+v", g), dtype: dt, sizes: []int{img, cols, cols, img}, tol: tolFor(dt),
				run: func(b tensor.Backend, s []tensor.Storage) {
					b.Im2col(s[1], s[0], g)
					b.Col2im(s[3], s[2], g)
				}}
			c.check(t, dev)
		}
		for _, p := range []tensor.Pad2d{{Left: 3, Right: 3, Top: 3, Bottom: 3}, {Left: 1, Top: 2, Bottom: 1}, {}, {Left: 4, Right: 1, Bottom: 4}} {
			planes, h, w := 3, 5, 6
			padded := planes * (h + p.Top + p.Bottom) * (w + p.Left + p.Right)
			c := kernelCase{name: fmt.Sprintf("reflect pad %+v", p), dtype: dt, sizes: []int{planes * h * w, padded, padded, planes * h * w}, tol: tolFor(dt),
				run: func(b tensor.Backend, s []tensor.Storage) {
					b.ReflectPad(s[1], s[0], planes, h, w, p)
					b.ReflectPadBackward(s[3], s[2], planes, h, w, p)
				}}
			c.check(t, dev)
		}
	}
}

func TestNormAndAdamMatchCPU(t *testing.T) {
	dev := openOrSkip(t)
	for _, dt := range dtypes(dev) {
		for _, size := range []int{1, 255, 257, 4096} {
			planes := 3
			n := planes * size
			c := kernelCase{name: fmt.Sprintf("instance norm size %d", size), dtype: dt, sizes: []int{n, n, planes, planes, n, n}, tol: 20 * tolFor(dt),
				fill: func(i int, v []float64) {
					if i == 0 { // a large mean relative to the spread
						for j := range v {
							v[j] = 10 + v[j]
						}
					}
				},
				run: func(b tensor.Backend, s []tensor.Storage) {
					b.InstanceNormForward(s[1], s[2], s[3], s[0], planes, size, 1e-5)
					b.InstanceNormBackward(s[5], s[4], s[0], s[2], s[3], planes, size)
				}}
			c.check(t, dev)
		}
		h := tensor.AdamHyper{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01,
			BiasCorrection1: 1 - math.Pow(0.5, 3), BiasCorrection2: 1 - math.Pow(0.999, 3)}
		c := kernelCase{name: "adam", dtype: dt, sizes: []int{1000, 1000, 1000, 1000}, tol: tolFor(dt),
			fill: func(i int, v []float64) {
				if i == 3 {
					for j := range v {
						v[j] = math.Abs(v[j])
					}
				}
			},
			run: func(b tensor.Backend, s []tensor.Storage) {
				b.AdamStep(s[0], s[1], s[2], s[3], h)
				b.AdamStep(s[0], s[1], s[2], s[3], h)
			}}
		c.check(t, dev)
	}
}

func TestCast(t *testing.T) {
	dev := openOrSkip(t)
	if !dev.Device.FP64 {
		t.Skip("the device has no float64")
	}
	x := tensor.Uniform(tensor.NewRNG(1), tensor.Float64, -1, 1, 300)
	want := tensor.Cast(x, tensor.Float32).Float32s()
	got := tensor.Cast(tensor.Cast(x.To(dev), tensor.Float32), tensor.Float64).Float32s()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("cast element %d: %g, want %g", i, got[i], want[i])
		}
	}
}
