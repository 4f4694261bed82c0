//go:build linux && amd64 && !purego

// More tuning experiments (see tune_test.go; skipped unless ZEBRA_TUNE=1): where the kernel
// loses speed inside the product (A from L2, strided C, B slivers from L3), what packing costs
// against a plain copy, and the B sliver prefetch on and off.

package gemm

import (
	"fmt"
	"os"
	"slices"
	"testing"
)

// TestTuneSlivers times the kernel with A from one sliver (L1) or 32 (L2) and C tiles packed
// together or a row of a 2048-wide matrix apart.
func TestTuneSlivers(t *testing.T) {
	skipUnlessTuning(t)
	const kc = 256
	type cfg struct{ slivers, ldc int }
	cfgs := []cfg{{1, 16}, {32, 16}, {32, 2048}, {32, 2064}}
	best := make([]float64, len(cfgs))
	bb := filled(16 * kc)
	for rep := 0; rep < 8; rep++ {
		for i, cf := range cfgs {
			a := filled(6 * kc * cf.slivers)
			c := filled(6 * cf.slivers * cf.ldc)
			calls := 4000000 / kc
			fl := float64(2 * 6 * 16 * kc * calls)
			best[i] = max(best[i], cpuRate(fl, 1, func() {
				for i := 0; i < calls; i++ {
					s := i % cf.slivers
					sgemmKernel6x16AVX2(kc, &a[s*6*kc], 6, &bb[0], 16, &c[s*6*cf.ldc], cf.ldc, 1, 1)
				}
			}))
		}
	}
	for i, cf := range cfgs {
		fmt.Printf("%+v: %.1f\n", cf, best[i])
	}
}

// TestTuneBSlivers runs the product's inner loops (B sliver outer, 32 A slivers inner) with one
// B sliver reused or a panel of 128 that does not fit L2.
func TestTuneBSlivers(t *testing.T) {
	skipUnlessTuning(t)
	const kc, aSl = 256, 32
	type cfg struct{ bSl, ldc int }
	cfgs := []cfg{{1, 2048}, {8, 2048}, {128, 2048}, {128, 2064}}
	best := make([]float64, len(cfgs))
	a := filled(6 * kc * aSl)
	for rep := 0; rep < 8; rep++ {
		for i, cf := range cfgs {
			bb := filled(16 * kc * cf.bSl)
			c := filled(6 * aSl * cf.ldc)
			const rounds = 128
			fl := float64(2 * 6 * 16 * kc * aSl * rounds)
			best[i] = max(best[i], cpuRate(fl, 1, func() {
				for r := 0; r < rounds; r++ {
					s := r % cf.bSl
					for t := 0; t < aSl; t++ {
						sgemmKernel6x16AVX2(kc, &a[t*6*kc], 6, &bb[s*16*kc], 16, &c[t*6*cf.ldc+16*s], cf.ldc, 1, 1)
					}
				}
			}))
		}
	}
	for i, cf := range cfgs {
		fmt.Printf("%+v: %.1f\n", cf, best[i])
	}
}

// BenchmarkTuneShape runs one product for profiling:
//
//	ZEBRA_TUNE_SHAPE=m,k,n [ZEBRA_TUNE_THREADS=2] [ZEBRA_TUNE_TB=1] go test -bench TuneShape -cpuprofile cpu.prof
func BenchmarkTuneShape(b *testing.B) {
	if os.Getenv("ZEBRA_TUNE_SHAPE") == "" {
		b.Skip("set ZEBRA_TUNE_SHAPE=m,k,n (and ZEBRA_TUNE_THREADS)")
	}
	var m, k, n int
	threads := 1
	fmt.Sscanf(os.Getenv("ZEBRA_TUNE_SHAPE"), "%d,%d,%d", &m, &k, &n)
	fmt.Sscanf(os.Getenv("ZEBRA_TUNE_THREADS"), "%d", &threads)
	tb := os.Getenv("ZEBRA_TUNE_TB") != ""
	ldb := n
	if tb {
		ldb = k
	}
	x, y, c := filled(m*k), filled(k*n), filled(m*n)
	for b.Loop() {
		gemm(paths[1].s, threads, false, tb, m, n, k, 1, x, k, y, ldb, 0, c, n)
	}
}

// TestTunePackB compares packing a B panel from memory with a plain copy of the same bytes.
func TestTunePackB(t *testing.T) {
	skipUnlessTuning(t)
	const k, n, kc, nc = 2304, 4096, 256, 3072
	src := filled(k * n)
	dst := make([]float32, kc*nc)
	big := make([]float32, k*n)
	im := paths[1].s
	for rep := 0; rep < 3; rep++ {
		r := cpuRate(float64(k*n), 2, func() { copy(big, src) })
		fmt.Printf("memcpy %.3f ns/elt  ", 1/r)
		r = cpuRate(float64(k*nc), 2, func() {
			for pc := 0; pc < k; pc += kc {
				im.deal(dst, 16, src[pc*n:], n, nc, kc)
			}
		})
		fmt.Printf("packB %.3f ns/elt\n", 1/r)
	}
}

// TestTuneNextB compares products with and without the next-sliver prefetch of tiles.
func TestTuneNextB(t *testing.T) {
	skipUnlessTuning(t)
	compareKnob([]tuneShape{{m: 2048, k: 2048, n: 2048}, {m: 256, k: 2304, n: 4096}, {m: 256, k: 1152, n: 4096}, {m: 1024, k: 1024, n: 1024}},
		[2]string{"no prefetch", "prefetch"}, knobOff(func(t *tuning) { t.prefetchNextSliver = false }))
}

// TestTuneKeepA compares products that keep their packed A across B panels (keepsA) with
// products that pack it again for every panel.
func TestTuneKeepA(t *testing.T) {
	skipUnlessTuning(t)
	compareKnob([]tuneShape{{m: 128, k: 576, n: 16384}, {m: 64, k: 147, n: 65536}, {m: 147, k: 64, n: 65536, transA: true}, {m: 128, k: 1152, n: 4096}},
		[2]string{"pack again", "keep A"}, knobOff(func(t *tuning) { t.keepPackedA = false }))
}

// tuneShape is one product of a tuning experiment.
type tuneShape struct {
	m, k, n        int
	transA, transB bool
}

// knobOff returns the AVX2 path's float32 kernels with its tuning changed by off.
func knobOff(off func(t *tuning)) *impl[float32] {
	t := paths[1].s.tuning
	off(&t)
	return paths[1].s.tuned(t)
}

// compareKnob times each product (one thread) on impl without, a variant of the AVX2 path with
// a knob of the driver off, and on the path itself, interleaved (see compareRates).
// ZEBRA_TUNE_SHAPE=m,k,n replaces the shapes; ZEBRA_TUNE_ROUNDS sets the number of rounds
// (default 9).
func compareKnob(shapes []tuneShape, names [2]string, without *impl[float32]) {
	var s [3]int
	if n, _ := fmt.Sscanf(os.Getenv("ZEBRA_TUNE_SHAPE"), "%d,%d,%d", &s[0], &s[1], &s[2]); n == 3 {
		shapes = []tuneShape{{m: s[0], k: s[1], n: s[2]}}
	}
	rounds := 9
	fmt.Sscanf(os.Getenv("ZEBRA_TUNE_ROUNDS"), "%d", &rounds)
	for _, sh := range shapes {
		lda, ldb := sh.k, sh.n
		if sh.transA {
			lda = sh.m
		}
		if sh.transB {
			ldb = sh.k
		}
		a, b, c := filled(sh.m*sh.k), filled(sh.k*sh.n), filled(sh.m*sh.n)
		run := func(im *impl[float32]) func() {
			return func() { gemm(im, 1, sh.transA, sh.transB, sh.m, sh.n, sh.k, 1, a, lda, b, ldb, 0, c, sh.n) }
		}
		fmt.Printf("%+v:\n", sh)
		compareRates(names[:], 2*float64(sh.m*sh.n*sh.k), rounds, []func(){run(without), run(paths[1].s)})
	}
}

// compareRates times fs round-robin, reps rounds, and prints each one's best rate (GFLOP per
// CPU-second) and the median, min and max over the rounds of its rate divided by the first
// one's in the same round: on a shared machine whose speed drifts by 10-20% from minute to
// minute, the ratio within a round is the steadier figure.
func compareRates(names []string, flops float64, reps int, fs []func()) {
	rates := make([][]float64, len(fs))
	for r := 0; r < reps; r++ {
		for i, f := range fs {
			rates[i] = append(rates[i], cpuRate(flops, 1, f))
		}
	}
	for i := range fs {
		ratios := make([]float64, reps)
		best := 0.0
		for r := range ratios {
			ratios[r] = rates[i][r] / rates[0][r]
			best = max(best, rates[i][r])
		}
		slices.Sort(ratios)
		fmt.Printf("  %-12s best %5.1f  ratio to %s: median %.3f (min %.3f, max %.3f)\n",
			names[i], best, names[0], ratios[reps/2], ratios[0], ratios[reps-1])
	}
}

// TestTunePadC compares products computed in place with products computed through a padded
// copy of C (padsC), on shapes whose C rows are a multiple of 4 KiB apart.
func TestTunePadC(t *testing.T) {
	skipUnlessTuning(t)
	compareKnob([]tuneShape{{m: 2048, k: 2048, n: 2048}, {m: 1024, k: 1024, n: 1024}, {m: 256, k: 2304, n: 4096}, {m: 256, k: 1152, n: 4096}},
		[2]string{"in place", "padded"}, knobOff(func(t *tuning) { t.padC = false }))
}

// TestTuneColumn compares the column walk with a strip kernel call per tile and with the
// column kernel.
func TestTuneColumn(t *testing.T) {
	skipUnlessTuning(t)
	perTile := paths[1].s.tuned(paths[1].s.tuning)
	perTile.column = nil
	compareKnob([]tuneShape{{m: 2048, k: 2048, n: 2048}, {m: 1024, k: 1024, n: 1024}, {m: 256, k: 2304, n: 4096}, {m: 4096, k: 2304, n: 256}},
		[2]string{"per tile", "column"}, perTile)
}

// TestTuneEdgeTiles compares products whose ragged tiles run on the full kernel with products
// that compute them with the path's edge kernels (edgeTile), on the AVX-512 path (the one with
// edge kernels), one thread, interleaved: the demo model's shapes (ngf 16: m = 16, 32 and 64
// channels) and two with ragged rows of every kind.
func TestTuneEdgeTiles(t *testing.T) {
	skipUnlessTuning(t)
	p := findPath("avx512")
	if p == nil {
		t.Skip("this CPU has no AVX-512")
	}
	off := p.s.tuning
	off.edgeTiles = false
	fullOnly := p.s.tuned(off)
	shapes := []tuneShape{{m: 16, k: 147, n: 4096}, {m: 16, k: 4096, n: 147, transB: true}, {m: 32, k: 144, n: 1024},
		{m: 32, k: 1024, n: 144, transB: true}, {m: 16, k: 48, n: 1024}, {m: 64, k: 64, n: 64}, {m: 147, k: 16, n: 4096, transA: true}}
	for _, sh := range shapes {
		lda, ldb := sh.k, sh.n
		if sh.transA {
			lda = sh.m
		}
		if sh.transB {
			ldb = sh.k
		}
		a, b, c := filled(sh.m*sh.k), filled(sh.k*sh.n), filled(sh.m*sh.n)
		reps := max(1, int(2e7/float64(sh.m*sh.n*sh.k)))
		run := func(im *impl[float32]) func() {
			return func() {
				for range reps {
					gemm(im, 1, sh.transA, sh.transB, sh.m, sh.n, sh.k, 1, a, lda, b, ldb, 0, c, sh.n)
				}
			}
		}
		fmt.Printf("%+v:\n", sh)
		compareRates([]string{"full kernel", "edge tiles"}, 2*float64(sh.m*sh.n*sh.k*reps), 15, []func(){run(fullOnly), run(p.s)})
	}
}
