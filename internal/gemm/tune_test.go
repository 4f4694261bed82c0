//go:build linux && amd64 && !purego

// Tuning experiments for block sizes and layouts, timed in thread CPU time so that other
// processes on a shared machine distort them less. Skipped unless ZEBRA_TUNE=1:
//
//	ZEBRA_TUNE=1 go test -v -run Tune ./internal/gemm

package gemm

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func threadCPU() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0) // CLOCK_THREAD_CPUTIME_ID
	return time.Duration(ts.Nano())
}

// cpuRate runs f reps times and returns best flops per CPU-second of this thread.
func cpuRate(flops float64, reps int, f func()) (best float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
	for r := 0; r < reps; r++ {
		t0 := threadCPU()
		w0 := time.Now()
		f()
		d := threadCPU() - t0
		_ = w0
		if d > 0 {
			best = max(best, flops/d.Seconds())
		}
	}
	return best / 1e9
}

func TestTuneKernel(t *testing.T) {
	skipUnlessTuning(t)
	const k = 256
	a := make([]float32, 6*k)
	bb := make([]float32, 16*k)
	c := make([]float32, 6*16)
	const calls = 20000
	fl := float64(2 * 6 * 16 * k * calls)
	fmt.Printf("peak  %.1f\n", cpuRate(12*8*2*1e6, 20, func() { fmaPeakAVX2(1e6) }))
	fmt.Printf("strip %.1f\n", cpuRate(fl, 20, func() {
		for i := 0; i < calls; i++ {
			sgemmKernel6x16AVX2(k, &a[0], 6, &bb[0], 16, &c[0], 16, 1, 1)
		}
	}))
	fmt.Printf("rows  %.1f\n", cpuRate(fl, 20, func() {
		for i := 0; i < calls; i++ {
			sgemmKernelRows6x16AVX2(k, &a[0], k, &bb[0], 16, &c[0], 16, 1, 1)
		}
	}))
}

func TestTuneShapes(t *testing.T) {
	skipUnlessTuning(t)
	im := paths[1].s
	for _, s := range [][3]int{{4096, 2304, 256}, {65536, 147, 64}, {16384, 576, 128}, {4096, 1152, 256}, {1024, 1024, 1024}, {2048, 2048, 2048}} {
		m, k, n := s[0], s[1], s[2]
		a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range a {
			a[i] = float32(i % 7)
		}
		for i := range b {
			b[i] = float32(i % 5)
		}
		fl := 2 * float64(m*n*k)
		r := cpuRate(fl, 3, func() { gemm(im, 1, false, false, m, n, k, 1, a, k, b, n, 0, c, n) })
		fmt.Printf("%v %.1f\n", s, r)
	}
}

func TestTunePack(t *testing.T) {
	skipUnlessTuning(t)
	const kc, ld = 256, 2304
	for _, w := range []int{6, 16} {
		src := filled(w * ld)
		dst := make([]float32, w*kc)
		const reps = 20000
		r := cpuRate(float64(w*kc*reps), 5, func() {
			for i := 0; i < reps; i++ {
				transpose32(dst, w, src, ld, w, kc)
			}
		})
		fmt.Printf("pack %d rows: %.3f ns/elt\n", w, 1/r)
	}
}

func TestTuneKernelL2(t *testing.T) {
	skipUnlessTuning(t)
	for _, kc := range []int{128, 192, 256, 384} {
		for _, slivers := range []int{8, 32, 64} {
			a := make([]float32, 6*kc*slivers)
			bb := make([]float32, 16*kc)
			c := make([]float32, 6*16*slivers)
			calls := 2000000 / kc
			fl := float64(2 * 6 * 16 * kc * calls)
			r := cpuRate(fl, 5, func() {
				for i := 0; i < calls; i++ {
					s := i % slivers
					sgemmKernel6x16AVX2(kc, &a[s*6*kc], 6, &bb[0], 16, &c[s*96], 16, 1, 1)
				}
			})
			fmt.Printf("kc=%d slivers=%d (A %d KB): %.1f\n", kc, slivers, len(a)*4/1024, r)
		}
	}
}

func TestTuneBlocks(t *testing.T) {
	skipUnlessTuning(t)
	base := paths[1].s
	for _, s := range [][3]int{{2048, 2048, 2048}, {4096, 2304, 256}} {
		m, k, n := s[0], s[1], s[2]
		a, b, c := filled(m*k), filled(k*n), filled(m*n)
		fl := 2 * float64(m*n*k)
		for _, kc := range []int{128, 256, 384} {
			for _, mc := range []int{48, 96, 192, 384} {
				for _, nc := range []int{256, 1024, 4096} {
					tu := base.tuning
					tu.mc, tu.kc, tu.kcDirect, tu.nc = mc, kc, kc, nc
					im := base.tuned(tu)
					im.column, im.prefetch = nil, nil
					r := cpuRate(fl, 2, func() { gemm(im, 1, false, false, m, n, k, 1, a, k, b, n, 0, c, n) })
					fmt.Printf("%v kc=%d mc=%d nc=%d %.1f\n", s, kc, mc, nc, r)
				}
			}
		}
	}
}

func TestTuneDirect(t *testing.T) {
	skipUnlessTuning(t)
	base := paths[1].s
	for _, s := range [][3]int{{4096, 2304, 256}, {65536, 147, 64}, {16384, 576, 128}, {4096, 1152, 256}, {1024, 1024, 1024}, {2048, 2048, 2048}} {
		m, k, n := s[0], s[1], s[2]
		a, b, c := filled(m*k), filled(k*n), filled(m*n)
		fl := 2 * float64(m*n*k)
		best := map[string]float64{}
		for rep := 0; rep < 4; rep++ {
			for _, mode := range []struct {
				name   string
				at, bt int
			}{{"packed", 0, 0}, {"directA", 1 << 30, 0}, {"directAB", 1 << 30, 1 << 30}, {"directB", 0, 1 << 30}} {
				tu := base.tuning
				tu.directATiles, tu.directBTiles = mode.at, mode.bt
				im := base.tuned(tu)
				r := cpuRate(fl, 1, func() { gemm(im, 1, false, false, m, n, k, 1, a, k, b, n, 0, c, n) })
				best[mode.name] = max(best[mode.name], r)
			}
		}
		fmt.Printf("%v packed %.1f directA %.1f directB %.1f directAB %.1f\n", s, best["packed"], best["directA"], best["directB"], best["directAB"])
	}
}

func TestTuneCStride(t *testing.T) {
	skipUnlessTuning(t)
	const kc, slivers = 256, 32
	a := make([]float32, 6*kc*slivers)
	bb := make([]float32, 16*kc*128)
	for _, beta := range []float32{0, 1} {
		for _, ldc := range []int{16, 256, 2048, 2048 + 16, 2304} {
			c := make([]float32, 6*ldc*slivers*2+4096)
			calls := 4000
			fl := float64(2 * 6 * 16 * kc * calls)
			best := 0.0
			for rep := 0; rep < 5; rep++ {
				r := cpuRate(fl, 1, func() {
					for i := 0; i < calls; i++ {
						s := i % slivers
						j := (i / slivers) % 128
						sgemmKernel6x16AVX2(kc, &a[s*6*kc], 6, &bb[j*16*kc], 16, &c[s*6*ldc+(j%(ldc/16))*16], ldc, 1, beta)
					}
				})
				best = max(best, r)
			}
			fmt.Printf("beta=%v ldc=%d: %.1f\n", beta, ldc, best)
		}
	}
}

func skipUnlessTuning(t *testing.T) {
	if os.Getenv("ZEBRA_TUNE") == "" {
		t.Skip("tuning experiment; set ZEBRA_TUNE=1")
	}
}

// filled returns n nonzero values: untouched memory from make maps every page to the kernel's
// one zero page, which makes reads of a large operand look like cache hits.
func filled(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i%13) - 6
	}
	return s
}

func TestTuneOne(t *testing.T) {
	skipUnlessTuning(t)
	var m, k, n int
	fmt.Sscanf(os.Getenv("ZEBRA_TUNE_SHAPE"), "%d,%d,%d", &m, &k, &n)
	a, b, c := filled(m*k), filled(k*n), filled(m*n)
	fl := 2 * float64(m*n*k)
	base := paths[1].s
	tu := base.tuning
	fmt.Sscanf(os.Getenv("ZEBRA_TUNE_DIRECT"), "%d,%d", &tu.directATiles, &tu.directBTiles)
	tu.alongRows = os.Getenv("ZEBRA_TUNE_NOROWS") == ""
	fmt.Sscanf(os.Getenv("ZEBRA_TUNE_BLOCKS"), "%d,%d,%d,%d", &tu.mc, &tu.kc, &tu.nc, &tu.kcDirect)
	im := base.tuned(tu)
	im.column, im.prefetch = nil, nil
	ta, tb := os.Getenv("ZEBRA_TUNE_TA") != "", os.Getenv("ZEBRA_TUNE_TB") != ""
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	r := cpuRate(fl, 10, func() { gemm(im, 1, ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n) })
	fmt.Printf("ta=%v tb=%v %d,%d,%d mc,kc,nc=%d,%d,%d alongRows=%v: %.1f\n", ta, tb, m, k, n, im.mc, im.kc, im.nc, im.alongRows, r)
}

func TestTuneBlocks2(t *testing.T) {
	skipUnlessTuning(t)
	base := paths[1].s
	m, k, n := 2048, 2048, 2048
	a, b, c := filled(m*k), filled(k*n), filled(m*n)
	fl := 2 * float64(m*n*k)
	cfgs := [][3]int{{256, 192, 3072}, {384, 120, 3072}, {512, 96, 3072}, {512, 48, 3072}, {768, 48, 3072}, {384, 240, 3072}}
	best := make([]float64, len(cfgs))
	for rep := 0; rep < 4; rep++ {
		for i, cf := range cfgs {
			tu := base.tuning
			tu.kc, tu.kcDirect, tu.mc, tu.nc = cf[0], cf[0], cf[1], cf[2]
			im := base.tuned(tu)
			im.column, im.prefetch = nil, nil
			best[i] = max(best[i], cpuRate(fl, 1, func() { gemm(im, 1, false, false, m, n, k, 1, a, k, b, n, 0, c, n) }))
		}
	}
	for i, cf := range cfgs {
		fmt.Printf("kc=%d mc=%d nc=%d: %.1f\n", cf[0], cf[1], cf[2], best[i])
	}
}

func TestTuneLdc(t *testing.T) {
	skipUnlessTuning(t)
	im := paths[1].s
	m, k, n := 2048, 2048, 2048
	a, b := filled(m*k), filled(k*n)
	fl := 2 * float64(m*n*k)
	pads := []int{0, 16, 64}
	best := make([]float64, len(pads))
	for rep := 0; rep < 4; rep++ {
		for i, pad := range pads {
			ldc := n + pad
			c := filled(m * ldc)
			best[i] = max(best[i], cpuRate(fl, 1, func() { gemm(im, 1, false, false, m, n, k, 1, a, k, b, n, 0, c, ldc) }))
		}
	}
	fmt.Println("ldc pad", pads, best)
}

func TestTuneDeal(t *testing.T) {
	skipUnlessTuning(t)
	const kc, width = 64, 1024
	src := filled(kc * width)
	dst := make([]float32, kc*width)
	const reps = 2000
	r := cpuRate(float64(kc*width*reps), 5, func() {
		for i := 0; i < reps; i++ {
			paths[1].s.deal(dst, 16, src, width, width, kc)
		}
	})
	fmt.Printf("deal: %.3f ns/elt\n", 1/r)
}
