//go:build amd64 && !purego

package gemm

import "testing"

// BenchmarkKernelAVX2 times the micro-kernel alone on L1-resident operands, and the FMA peak
// loop beside it, to separate kernel quality from blocking and packing.
func BenchmarkKernelAVX2(b *testing.B) {
	if cpuMissing(paths[1]) != "" {
		b.Skip("no AVX2")
	}
	const k = 256
	a := make([]float32, 6*k)
	bb := make([]float32, 16*k)
	c := make([]float32, 6*16)
	b.Run("strip", func(b *testing.B) {
		for b.Loop() {
			sgemmKernel6x16AVX2(k, &a[0], 6, &bb[0], 16, &c[0], 16, 1, 1)
		}
		b.ReportMetric(2*6*16*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	ar := make([]float32, 6*k)
	b.Run("rows", func(b *testing.B) {
		for b.Loop() {
			sgemmKernelRows6x16AVX2(k, &ar[0], k, &bb[0], 16, &c[0], 16, 1, 1)
		}
		b.ReportMetric(2*6*16*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	b.Run("peak", func(b *testing.B) {
		for b.Loop() {
			fmaPeakAVX2(1000)
		}
		b.ReportMetric(12*8*2*1000*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
