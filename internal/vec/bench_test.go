package vec

import (
	"fmt"
	"testing"
)

// BenchmarkKernels reports each kernel's throughput on a 1M-element vector (about the size of
// a CycleGAN activation) with the assembly on and off.
func BenchmarkKernels(b *testing.B) {
	const n = 1 << 20
	x, y, z, w, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], y[i] = float32(i%7)-3, float32(i%5)
	}
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, asm := range []bool{true, false} {
		if asm && !saved {
			continue
		}
		useAVX2 = asm
		path := map[bool]string{true: "avx2", false: "generic"}[asm]
		run := func(name string, bytes int, f func()) {
			b.Run(fmt.Sprintf("%s/%s", name, path), func(b *testing.B) {
				b.SetBytes(int64(bytes))
				for b.Loop() {
					f()
				}
			})
		}
		run("LeakyRelu", 8*n, func() { LeakyRelu(z, x, 0.2) })
		run("Tanh", 8*n, func() { Tanh(z, x) })
		run("Axpy", 12*n, func() { Axpy(y, x, 0.5) })
		run("Adam", 28*n, func() { Adam(w, x, y, v, 2e-4, 0.5, 0.999, 1e-8, 10) })
	}
}
