package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The InstanceNorm kernels against their Go twins. The elementwise ones (Normalize64,
// NormGradApply64) repeat the twin's float64 operations and round once, so they match to the bit
// (up to the compiler fusing the twin's multiply-adds: 2 ulps). The reductions add in another
// order; both orders are float64 sums of float32-sized terms, so they agree to about 1e-15 of the
// sum of the terms' magnitudes.
func TestNormKernels(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(8, 8))
		for _, n := range append(sizes, 4096+3) {
			x, xWhole := buffer(rng, n, rng.IntN(8), false)
			dy, dyWhole := buffer(rng, n, rng.IntN(8), false)
			for i := range x {
				x[i] = 3 + 2*x[i] // a mean away from 0, as activations have
			}
			xCopy, dyCopy := append([]float32(nil), xWhole...), append([]float32(nil), dyWhole...)
			mu, r := 2.9, 0.47

			var absX, absDev, absG, absGX float64
			for i, v := range x {
				absX += math.Abs(float64(v))
				absDev += (float64(v) - mu) * (float64(v) - mu)
				absG += math.Abs(float64(dy[i]))
				absGX += math.Abs(float64(dy[i]) * (float64(v) - mu) * r)
			}
			near := func(name string, got, want, scale float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-14*scale {
					t.Fatalf("%s n=%d: %v, twin gives %v", name, n, got, want)
				}
			}
			near("Sum64", Sum64(x), sum64Go(x), absX)
			near("SumSqDev64", SumSqDev64(x, mu), sumSqDev64Go(x, mu), absDev)
			sg, sgx := NormGradSums64(dy, x, mu, r)
			wg, wgx := normGradSums64Go(dy, x, mu, r)
			near("NormGradSums64 sumG", sg, wg, absG)
			near("NormGradSums64 sumGX", sgx, wgx, absGX)

			y, yWhole := buffer(rng, n, rng.IntN(8), false)
			Normalize64(y, x, mu, r)
			want := make([]float32, n)
			normalize64Go(want, x, mu, r)
			for i := range y {
				if !close(y[i], want[i]) {
					t.Fatalf("Normalize64 n=%d: y[%d] = %v, twin %v", n, i, y[i], want[i])
				}
				if def := float32((float64(x[i]) - mu) * r); !close(want[i], def) {
					t.Fatalf("normalize64Go: %v, definition %v", want[i], def)
				}
			}
			checkGuards(t, "Normalize64", yWhole, len(yWhole)-n-2*guard, n)

			dx, dxWhole := buffer(rng, n, rng.IntN(8), false)
			mg, mgx := 0.13, -0.41
			NormGradApply64(dx, dy, x, mu, r, mg, mgx)
			normGradApply64Go(want, dy, x, mu, r, mg, mgx)
			for i := range dx {
				if !close(dx[i], want[i]) {
					t.Fatalf("NormGradApply64 n=%d: dx[%d] = %v, twin %v", n, i, dx[i], want[i])
				}
				xhat := (float64(x[i]) - mu) * r
				if def := float32(r * (float64(dy[i]) - mg - xhat*mgx)); !close(want[i], def) {
					t.Fatalf("normGradApply64Go: %v, definition %v", want[i], def)
				}
			}
			checkGuards(t, "NormGradApply64", dxWhole, len(dxWhole)-n-2*guard, n)
			if !sameBits(xWhole, xCopy) || !sameBits(dyWhole, dyCopy) {
				t.Fatalf("n=%d: an input was modified", n)
			}
		}
	})
}
