package winograd

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/zebra-go/zebra/internal/gemm"
)

// cycleGAN is the layer that dominates a CycleGAN generator: a residual block's 3x3
// convolution, 256 channels at 64x64 after an explicit reflection pad (so pad 0 on 66x66).
var cycleGAN = shape{1, 256, 66, 66, 256, 0}

// directFLOPs is the cost of direct convolution, 2·N·Cout·C·9·OH·OW, which both the GFLOP/s
// of Winograd (an "effective" rate) and of the direct path are quoted in.
func (g shape) directFLOPs() float64 {
	return 2 * float64(g.outputSize()) * float64(g.c) * 9
}

// run returns a closure that runs one pass of one shape with fresh random operands.
func (g shape) run(p pass, tile Tile) func() {
	rng := rand.New(rand.NewPCG(3, 4))
	x, w := random(rng, g.n*g.c*g.h*g.w), random(rng, g.cout*g.c*9)
	y, bias := random(rng, g.outputSize()), random(rng, g.cout)
	dw := make([]float32, len(w))
	switch p {
	case passConv:
		ws := make([]float32, ConvWorkspace(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
		return func() { Conv(tile, y, x, w, bias, g.n, g.c, g.h, g.w, g.cout, g.pad, ws) }
	case passInput:
		ws := make([]float32, ConvInputWorkspace(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
		return func() { ConvInput(tile, x, y, w, g.n, g.c, g.h, g.w, g.cout, g.pad, ws) }
	}
	ws := make([]float32, ConvWeightWorkspace(tile, g.n, g.c, g.h, g.w, g.cout, g.pad))
	return func() { ConvWeight(tile, dw, y, x, g.n, g.c, g.h, g.w, g.cout, g.pad, ws) }
}

// direct returns the GEMM of the direct implicit-GEMM path for one pass, on an explicitly
// built im2col matrix col (C·9 × OH·OW): forward Y = W·col, input gradient col = Wᵀ·dY (the
// col2im that would follow is not timed), weight gradient dW = dY·colᵀ. For N = 1 only.
func (g shape) direct(p pass) func() {
	rng := rand.New(rand.NewPCG(5, 6))
	k, pixels := g.c*9, g.outputSize()/g.cout
	col, w, y := random(rng, k*pixels), random(rng, g.cout*k), random(rng, g.cout*pixels)
	switch p {
	case passConv:
		return func() { gemm.Sgemm(false, false, g.cout, pixels, k, 1, w, k, col, pixels, 0, y, pixels) }
	case passInput:
		return func() { gemm.Sgemm(true, false, k, pixels, g.cout, 1, w, k, y, pixels, 0, col, pixels) }
	}
	return func() { gemm.Sgemm(false, true, g.cout, k, pixels, 1, y, pixels, col, pixels, 0, w, k) }
}

// BenchmarkCycleGAN times every pass of the 256-channel 64x64 layer with F2, F4 and the direct
// path's GEMM, reporting ms and effective GFLOP/s (direct-equivalent FLOPs).
func BenchmarkCycleGAN(b *testing.B) {
	g := cycleGAN
	for p := passConv; p <= passWeight; p++ {
		for _, algo := range []string{"direct", "F2", "F4"} {
			var f func()
			switch algo {
			case "direct":
				f = g.direct(p)
			case "F2":
				f = g.run(p, F2)
			default:
				f = g.run(p, F4)
			}
			b.Run(passNames[p]+"/"+algo, func(b *testing.B) {
				f()
				b.ResetTimer()
				for range b.N {
					f()
				}
				s := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(s*1e3, "ms")
				b.ReportMetric(g.directFLOPs()/s/1e9, "GFLOP/s")
			})
		}
	}
}

// TestCompareDirect prints interleaved timings of direct GEMM, F2 and F4 for each pass on the
// CycleGAN layers: 256 channels at 64x64 and at 32x32 (the 128x128 model), and the demo
// model's 64 channels at 16x16. On a shared, noisy machine the ratios within one run are what
// counts. It skips unless ZEBRA_TUNE=1 (go test -run CompareDirect -v).
func TestCompareDirect(t *testing.T) {
	skipUnlessTuning(t)
	for _, g := range []shape{cycleGAN, {1, 256, 34, 34, 256, 0}, {1, 64, 18, 18, 64, 0}} {
		for p := passConv; p <= passWeight; p++ {
			fs := []func(){g.direct(p), g.run(p, F2), g.run(p, F4)}
			best := interleave(5, fs)
			t.Logf("%s %-10s direct %6.2f ms (%5.1f GFLOP/s)  F2 %6.2f ms (%.2fx)  F4 %6.2f ms (%.2fx)",
				g, passNames[p], best[0]*1e3, g.directFLOPs()/best[0]/1e9,
				best[1]*1e3, best[0]/best[1], best[2]*1e3, best[0]/best[2])
		}
	}
}

// interleave runs the functions round-robin rounds times (after one warm-up round) and returns
// each one's best time in seconds.
func interleave(rounds int, fs []func()) []float64 {
	best := make([]float64, len(fs))
	for r := -1; r < rounds; r++ {
		for i, f := range fs {
			start := time.Now()
			f()
			s := time.Since(start).Seconds()
			if r >= 0 && (best[i] == 0 || s < best[i]) {
				best[i] = s
			}
		}
	}
	return best
}

func skipUnlessTuning(t *testing.T) {
	if testing.Short() || os.Getenv("ZEBRA_TUNE") != "1" {
		t.Skip("tuning experiment: set ZEBRA_TUNE=1")
	}
}

// TestTuneBlockTiles prints interleaved timings of the CycleGAN layer's passes with several
// limits on the tiles per block (blockTiles's measurement). It skips unless ZEBRA_TUNE=1.
func TestTuneBlockTiles(t *testing.T) {
	skipUnlessTuning(t)
	g := cycleGAN
	limits := []int{64, 128, 256, 512, 1024, 1152}
	rng := rand.New(rand.NewPCG(9, 10))
	x, w := random(rng, g.n*g.c*g.h*g.w), random(rng, g.cout*g.c*9)
	y, dw := random(rng, g.outputSize()), make([]float32, len(w))
	for _, tile := range []Tile{F2, F4} {
		for p := passConv; p <= passWeight; p++ {
			var fs []func()
			for _, limit := range limits {
				var geo geometry
				switch p {
				case passConv:
					geo = convGeometry(tile, g.n, g.c, g.h, g.w, g.cout, g.pad)
				case passInput:
					geo = convInputGeometry(tile, g.n, g.c, g.h, g.w, g.cout, g.pad)
				default:
					geo = convWeightGeometry(tile, g.n, g.c, g.h, g.w, g.cout, g.pad)
				}
				geo.setBlock(limit)
				_, size := geo.layout(nil, true)
				ws := make([]float32, size)
				switch p {
				case passConv:
					fs = append(fs, func() { geo.forward(y, x, w, false, nil, ws) })
				case passInput:
					fs = append(fs, func() { geo.forward(x, y, w, true, nil, ws) })
				default:
					fs = append(fs, func() { geo.weight(dw, y, x, ws) })
				}
			}
			best := interleave(5, fs)
			line := ""
			for i, limit := range limits {
				line += fmt.Sprintf("  %4d: %6.2f ms", limit, best[i]*1e3)
			}
			t.Logf("%-10s F%d%s", passNames[p], tile, line)
		}
	}
}

// TestTuneFused prints interleaved timings of each pass with and without the fused gather and
// scatter kernels (the active path with its gathers and scatters taken away), on the CycleGAN
// layers, the demo's and a padding-1 layer. It skips unless ZEBRA_TUNE=1 or the path has no fused kernels.
func TestTuneFused(t *testing.T) {
	skipUnlessTuning(t)
	fused := active
	if fused.gathers == nil {
		t.Skip("the active path has no fused kernels")
	}
	unfused := *fused
	unfused.gathers, unfused.scatters = nil, nil
	defer func() { active = fused }()
	// The last is a padding-1 layer, whose input planes take the padded copy.
	for _, g := range []shape{cycleGAN, {1, 256, 34, 34, 256, 0}, {1, 64, 18, 18, 64, 0}, {1, 128, 32, 32, 128, 1}} {
		for p := passConv; p <= passWeight; p++ {
			for _, tile := range []Tile{F2, F4} {
				f := g.run(p, tile)
				best := interleave(5, []func(){
					func() { active = &unfused; f() },
					func() { active = fused; f() },
				})
				t.Logf("%s %-10s F%d  gathered %6.2f ms (%5.1f GFLOP/s)  fused %6.2f ms (%5.1f GFLOP/s, %.2fx)",
					g, passNames[p], tile, best[0]*1e3, g.directFLOPs()/best[0]/1e9,
					best[1]*1e3, g.directFLOPs()/best[1]/1e9, best[0]/best[1])
			}
		}
	}
}

// TestTuneGemmThreads asks whether the α² GEMMs of a block use the machine well: it times the
// GEMM stage of the CycleGAN layer's forward (α² products of Cout×C by C×block) as the passes
// run it, each Sgemm on every thread, against each Sgemm on one thread with the α² products
// shared out among the threads, and against one thread in all. It skips unless ZEBRA_TUNE=1.
func TestTuneGemmThreads(t *testing.T) {
	skipUnlessTuning(t)
	for _, tile := range []Tile{F2, F4} {
		for _, g := range []shape{cycleGAN, {1, 256, 34, 34, 256, 0}} {
			geo := convGeometry(tile, g.n, g.c, g.h, g.w, g.cout, g.pad)
			rng := rand.New(rand.NewPCG(13, 14))
			nb := geo.block
			u, v := random(rng, geo.perTile*geo.filters), random(rng, geo.perTile*geo.ci*nb)
			mm := make([]float32, geo.perTile*geo.co*nb)
			product := func(k int) {
				gemm.Sgemm(false, false, geo.co, nb, geo.ci, 1, u[k*geo.filters:], geo.ci,
					v[k*geo.ci*nb:], nb, 0, mm[k*geo.co*nb:], nb)
			}
			threads := gemm.Threads()
			best := interleave(5, []func(){
				func() {
					for k := 0; k < geo.perTile; k++ {
						product(k)
					}
				},
				func() {
					prev := gemm.SetThreads(1)
					parallelFor(threads, geo.perTile, func(_, lo, hi int) {
						for k := lo; k < hi; k++ {
							product(k)
						}
					})
					gemm.SetThreads(prev)
				},
				func() {
					prev := gemm.SetThreads(1)
					for k := 0; k < geo.perTile; k++ {
						product(k)
					}
					gemm.SetThreads(prev)
				},
			})
			flops := 2 * float64(geo.perTile) * float64(geo.co*geo.ci*nb)
			t.Logf("F%d %s: %d GEMMs %dx%dx%d: each on %d threads %6.2f ms (%5.1f GFLOP/s)  one thread each, shared out %6.2f ms (%5.1f)  one thread %6.2f ms (%5.1f)",
				tile, g, geo.perTile, geo.co, nb, geo.ci, threads, best[0]*1e3, flops/best[0]/1e9,
				best[1]*1e3, flops/best[1]/1e9, best[2]*1e3, flops/best[2]/1e9)
		}
	}
}
