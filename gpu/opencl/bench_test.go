package opencl

import (
	"fmt"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// BenchmarkGemm times the tiled GEMM kernel on the OpenCL device and the CPU backend's GEMM on
// the same shapes (two squares and CycleGAN's largest im2col product), in GFLOP/s.
func BenchmarkGemm(b *testing.B) {
	dev := openOrSkip(b)
	for _, s := range []struct{ m, n, k int }{{512, 512, 512}, {1024, 1024, 1024}, {4096, 256, 2304}} {
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
				dev.Finish()
				b.ResetTimer()
				for range b.N {
					be.Gemm(g)
				}
				dev.Finish()
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkCycleGANStep times one training step of a CycleGAN at 64x64 (ngf = ndf = 64, 9
// blocks, the real architecture at a small image size) on the OpenCL device and on the CPU.
func BenchmarkCycleGANStep(b *testing.B) {
	dev := openOrSkip(b)
	rng := tensor.NewRNG(2)
	realA := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, 64, 64)
	realB := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, 64, 64)
	for _, be := range []tensor.Backend{dev, tensor.CPU} {
		b.Run(be.Name(), func(b *testing.B) {
			tr := newTrainer(b, be, 64)
			if _, _, err := tr.Step(realA, realB); err != nil { // warm up: kernels, allocator
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, _, err := tr.Step(realA, realB); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
