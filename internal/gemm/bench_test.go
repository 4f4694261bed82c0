package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the im2col GEMMs of CycleGAN at 256x256 (M, K, N as in issue 4) and squares.
var benchShapes = [][3]int{
	{4096, 2304, 256}, {65536, 147, 64}, {16384, 576, 128}, {4096, 1152, 256},
	{1024, 1024, 1024}, {2048, 2048, 2048},
}

// BenchmarkSgemm times Sgemm on the active path with the default thread count; run with
// -cpu 1,2 to vary GOMAXPROCS. cmd/zebra-bench gemm prints the same shapes against the FMA peak.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("m=%d,k=%d,n=%d", m, k, n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
			c := make([]float32, m*n)
			for b.Loop() {
				Sgemm(false, false, m, n, k, 1, x, k, y, n, 0, c, n)
			}
			b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDgemm times Dgemm on a square, for gradient-checking workloads.
func BenchmarkDgemm(b *testing.B) {
	const n = 512
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randSlice[float64](rng, n*n), randSlice[float64](rng, n*n)
	c := make([]float64, n*n)
	b.Run(fmt.Sprintf("m=%d,k=%d,n=%d", n, n, n), func(b *testing.B) {
		for b.Loop() {
			Dgemm(false, false, n, n, n, 1, x, n, y, n, 0, c, n)
		}
		b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
