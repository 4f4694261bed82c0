package tensor

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/internal/vec"
)

func (cpuBackend) InstanceNormForward(y, mean, rstd, x Storage, planes, size int, eps float64) {
	if x.Len() != planes*size || y.Len() != x.Len() || mean.Len() != planes || rstd.Len() != planes {
		panic(fmt.Sprintf("tensor: cpu.InstanceNormForward: %d planes of %d do not match buffers", planes, size))
	}
	switch x.DType() {
	case Float32:
		instanceNormForward32(cpuData[float32](y), cpuData[float32](mean), cpuData[float32](rstd), cpuData[float32](x), planes, size, eps)
	case Float64:
		instanceNormForward(cpuData[float64](y), cpuData[float64](mean), cpuData[float64](rstd), cpuData[float64](x), planes, size, eps)
	}
}

// instanceNormForward uses two passes (mean, then the mean of squared deviations) in float64: the
// one-pass E[x²]-E[x]² cancels badly when the mean is large relative to the spread.
func instanceNormForward[T float](y, mean, rstd, x []T, planes, size int, eps float64) {
	parallelFor(planes, max(1, elementwiseGrain/max(size, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xs := x[p*size:][:size]
			var sum float64
			for _, v := range xs {
				sum += float64(v)
			}
			mu := sum / float64(size)
			var sq float64
			for _, v := range xs {
				d := float64(v) - mu
				sq += d * d
			}
			r := 1 / math.Sqrt(sq/float64(size)+eps) // biased variance, eps inside the root, as PyTorch
			ys := y[p*size:][:size]
			for i, v := range xs {
				ys[i] = T((float64(v) - mu) * r)
			}
			mean[p], rstd[p] = T(mu), T(r)
		}
	})
}

// instanceNormForward32 is instanceNormForward for float32 through internal/vec's SIMD loops:
// the same float64 passes, with the sums added in another order.
func instanceNormForward32(y, mean, rstd, x []float32, planes, size int, eps float64) {
	parallelFor(planes, max(1, elementwiseGrain/max(size, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xs := x[p*size:][:size]
			mu := vec.Sum64(xs) / float64(size)
			r := 1 / math.Sqrt(vec.SumSqDev64(xs, mu)/float64(size)+eps)
			vec.Normalize64(y[p*size:][:size], xs, mu, r)
			mean[p], rstd[p] = float32(mu), float32(r)
		}
	})
}

// instanceNormBackward32 is instanceNormBackward for float32 through internal/vec's SIMD loops.
func instanceNormBackward32(dx, dy, x, mean, rstd []float32, planes, size int) {
	parallelFor(planes, max(1, elementwiseGrain/max(size, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xs, gs := x[p*size:][:size], dy[p*size:][:size]
			mu, r := float64(mean[p]), float64(rstd[p])
			sumG, sumGX := vec.NormGradSums64(gs, xs, mu, r)
			vec.NormGradApply64(dx[p*size:][:size], gs, xs, mu, r, sumG/float64(size), sumGX/float64(size))
		}
	})
}

func (cpuBackend) InstanceNormBackward(dx, dy, x, mean, rstd Storage, planes, size int) {
	if x.Len() != planes*size || dx.Len() != x.Len() || dy.Len() != x.Len() || mean.Len() != planes || rstd.Len() != planes {
		panic(fmt.Sprintf("tensor: cpu.InstanceNormBackward: %d planes of %d do not match buffers", planes, size))
	}
	switch x.DType() {
	case Float32:
		instanceNormBackward32(cpuData[float32](dx), cpuData[float32](dy), cpuData[float32](x), cpuData[float32](mean), cpuData[float32](rstd), planes, size)
	case Float64:
		instanceNormBackward(cpuData[float64](dx), cpuData[float64](dy), cpuData[float64](x), cpuData[float64](mean), cpuData[float64](rstd), planes, size)
	}
}

// instanceNormBackward: with x̂ = (x-μ)·r, y = x̂, the chain rule through μ and r collapses to
// dx = r·(dy − mean(dy) − x̂·mean(dy·x̂)). The two means are one fused pass over the plane.
func instanceNormBackward[T float](dx, dy, x, mean, rstd []T, planes, size int) {
	parallelFor(planes, max(1, elementwiseGrain/max(size, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			xs, gs, out := x[p*size:][:size], dy[p*size:][:size], dx[p*size:][:size]
			mu, r := float64(mean[p]), float64(rstd[p])
			var sumG, sumGX float64
			for i, v := range xs {
				g := float64(gs[i])
				sumG += g
				sumGX += g * (float64(v) - mu) * r
			}
			mg, mgx := sumG/float64(size), sumGX/float64(size)
			for i, v := range xs {
				xhat := (float64(v) - mu) * r
				out[i] = T(r * (float64(gs[i]) - mg - xhat*mgx))
			}
		}
	})
}

func (cpuBackend) AdamStep(param, grad, m, v Storage, h AdamHyper) {
	n := param.Len()
	if grad.Len() != n || m.Len() != n || v.Len() != n {
		panic(fmt.Sprintf("tensor: cpu.AdamStep: lengths %d, %d, %d, %d differ", n, grad.Len(), m.Len(), v.Len()))
	}
	switch param.DType() {
	case Float32:
		p, g, ms, vs := cpuData[float32](param), cpuData[float32](grad), cpuData[float32](m), cpuData[float32](v)
		parallelFor(n, elementwiseGrain, func(lo, hi int) {
			if h.WeightDecay == 0 {
				// internal/vec's SIMD loop does adamStep's operations in adamStep's order.
				vec.AdamCorrected(p[lo:hi], g[lo:hi], ms[lo:hi], vs[lo:hi], h.LR, h.Beta1, h.Beta2, h.Eps, h.BiasCorrection1, h.BiasCorrection2)
				return
			}
			adamStep(p[lo:hi], g[lo:hi], ms[lo:hi], vs[lo:hi], h)
		})
	case Float64:
		p, g, ms, vs := cpuData[float64](param), cpuData[float64](grad), cpuData[float64](m), cpuData[float64](v)
		parallelFor(n, elementwiseGrain, func(lo, hi int) { adamStep(p[lo:hi], g[lo:hi], ms[lo:hi], vs[lo:hi], h) })
	}
}

// adamStep follows torch.optim.Adam's single-tensor path operation by operation (step size
// lr/bc1, denominator sqrt(v)/sqrt(bc2) + eps) so that float32 results match PyTorch's closely.
func adamStep[T float](p, g, m, v []T, h AdamHyper) {
	b1, b2 := T(h.Beta1), T(h.Beta2)
	// 1-β is rounded once from float64, as PyTorch passes it to add_/addcmul_: computing it in
	// float32 from the rounded β (1 - float32(0.999) = 0.00099998713) biases v by ~100 ulps.
	c1, c2 := T(1-h.Beta1), T(1-h.Beta2)
	wd, eps := T(h.WeightDecay), T(h.Eps)
	stepSize := T(h.LR / h.BiasCorrection1)
	bc2Sqrt := T(math.Sqrt(h.BiasCorrection2))
	for i := range p {
		gi := g[i]
		if wd != 0 {
			gi += wd * p[i]
		}
		m[i] = m[i]*b1 + c1*gi
		v[i] = v[i]*b2 + c2*gi*gi
		denom := T(math.Sqrt(float64(v[i])))/bc2Sqrt + eps
		p[i] -= stepSize * m[i] / denom
	}
}
