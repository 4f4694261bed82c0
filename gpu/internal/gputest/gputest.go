package gputest

import (
	"fmt"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// BenchGemm times dev's GEMM and the CPU's on two squares and CycleGAN's largest im2col product,
// in GFLOP/s. sync waits for dev's queued work.
func BenchGemm(b *testing.B, dev tensor.Backend, sync func()) {
	for _, s := range []struct{ m, n, k int }{{1024, 1024, 1024}, {4096, 4096, 4096}, {4096, 256, 2304}} {
		rng := tensor.NewRNG(1)
		x := tensor.Uniform(rng, tensor.Float32, -1, 1, s.m, s.k)
		y := tensor.Uniform(rng, tensor.Float32, -1, 1, s.k, s.n)
		for _, be := range []tensor.Backend{dev, tensor.CPU} {
			xb, yb := x.To(be), y.To(be)
			c := tensor.New(be, tensor.Float32, s.m, s.n)
			g := tensor.GemmArgs{M: s.m, N: s.n, K: s.k, Alpha: 1, Batch: 1,
				A: xb.Storage(), LDA: s.k, B: yb.Storage(), LDB: s.n, C: c.Storage(), LDC: s.n}
			b.Run(fmt.Sprintf("%s/%dx%dx%d", be.Name(), s.m, s.n, s.k), func(b *testing.B) {
				be.Gemm(g)
				sync()
				b.ResetTimer()
				for range b.N {
					be.Gemm(g)
				}
				sync()
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
