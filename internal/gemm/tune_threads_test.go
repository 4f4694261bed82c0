//go:build linux && amd64 && !purego

package gemm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/zebra-go/zebra/internal/parallel"
)

// TestTuneThreads times small products (the demo model's: 16 to 128 channels at 7 to 64 pixels,
// and the shapes around minParallelWork) on one thread and split in two by splitC, in wall time,
// interleaved round by round, and prints the median of the ratios: where the split wins, a
// product of that size is worth the handoff to a worker.
func TestTuneThreads(t *testing.T) {
	skipUnlessTuning(t)
	shapes := []tuneShape{
		{m: 16, n: 16, k: 64}, {m: 32, n: 32, k: 32}, {m: 128, n: 16, k: 16}, {m: 48, n: 49, k: 49}, {m: 128, n: 49, k: 16},
		{m: 64, n: 64, k: 32}, {m: 64, n: 64, k: 64}, {m: 32, n: 256, k: 64}, {m: 64, n: 64, k: 512}, {m: 64, n: 256, k: 288},
		{m: 16, n: 1024, k: 48}, {m: 288, n: 256, k: 64}, {m: 128, n: 49, k: 1024},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	im := active.s
	for _, sh := range shapes {
		m, n, k := sh.m, sh.n, sh.k
		a, b, c := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n), make([]float32, m*n)
		pr := newProduct(im, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		rects := splitC(m, n, im.mr, im.nr, 2)
		whole := rect{0, m, 0, n}
		reps := max(1, 1<<21/(m*n*k))
		var ratios []float64
		var one, two []float64
		for range 200 {
			start := time.Now()
			for range reps {
				pr.run(whole)
			}
			t1 := time.Since(start).Seconds() / float64(reps)
			start = time.Now()
			for range reps {
				parallel.Run(len(rects), func(i int) { pr.run(rects[i]) })
			}
			t2 := time.Since(start).Seconds() / float64(reps)
			ratios, one, two = append(ratios, t1/t2), append(one, t1), append(two, t2)
		}
		slices.Sort(ratios)
		slices.Sort(one)
		slices.Sort(two)
		fmt.Printf("m=%4d n=%5d k=%5d (%7d MACs, %d parts): 1 thread %6.1f µs, 2 threads %6.1f µs, speed-up median %.2f (p10 %.2f, p90 %.2f)\n",
			m, n, k, m*n*k, len(rects), one[100]*1e6, two[100]*1e6, ratios[100], ratios[20], ratios[180])
	}
}

// TestTuneSplitDim times products that split cuts along n because whole tiles share m out
// unevenly, cut along m instead and along n, in wall time on two threads, interleaved.
func TestTuneSplitDim(t *testing.T) {
	skipUnlessTuning(t)
	rng := rand.New(rand.NewPCG(2, 2))
	im := active.s
	for _, sh := range []tuneShape{{m: 64, n: 64, k: 64}, {m: 64, n: 64, k: 512}, {m: 64, n: 96, k: 576}, {m: 64, n: 128, k: 1024}} {
		m, n, k := sh.m, sh.n, sh.k
		a, b, c := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n), make([]float32, m*n)
		pr := newProduct(im, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		var alongM []rect
		for _, p := range cut(m, im.mr, 2) {
			alongM = append(alongM, rect{p[0], p[1], 0, n})
		}
		alongN := splitC(m, n, im.mr, im.nr, 2)
		reps := max(1, 1<<22/(m*n*k))
		var ratios []float64
		for range 200 {
			var d [2]float64
			for i, rects := range [][]rect{alongM, alongN} {
				start := time.Now()
				for range reps {
					parallel.Run(len(rects), func(i int) { pr.run(rects[i]) })
				}
				d[i] = time.Since(start).Seconds()
			}
			ratios = append(ratios, d[0]/d[1])
		}
		slices.Sort(ratios)
		fmt.Printf("m=%d n=%d k=%d: along m %v, along n %v: along n faster by a median %.3f (p10 %.3f, p90 %.3f)\n",
			m, n, k, alongM, alongN, ratios[100], ratios[20], ratios[180])
	}
}
