package vec

import "math"

// The plain Go twins: the specification of each kernel, the path on machines without AVX2,
// and the remainder loop after the assembly.

func leakyReluGo(dst, x []float32, slope float32) {
	dst = dst[:len(x)]
	for i, xi := range x {
		if xi > 0 {
			dst[i] = xi
		} else {
			dst[i] = slope * xi
		}
	}
}

func leakyReluBackwardGo(dx, dy, x []float32, slope float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, xi := range x {
		if xi > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = slope * dy[i]
		}
	}
}

func axpyGo(y, x []float32, alpha float32) {
	y = y[:len(x)]
	for i, xi := range x {
		y[i] = y[i] + alpha*xi
	}
}

func adamGo(p, g, m, v []float32, c adamScalars) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		gi := g[i]
		mi := m[i]*c.beta1 + gi*c.oneMinusBeta1
		vi := v[i]*c.beta2 + (gi*c.oneMinusBeta2)*gi
		m[i], v[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))/c.sqrtBC2 + c.eps
		p[i] = p[i] - (c.stepSize*mi)/denom
	}
}

func reluGo(dst, x []float32) {
	dst = dst[:len(x)]
	for i, xi := range x {
		dst[i] = max(xi, 0)
	}
}

func addGo(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, ai := range a {
		dst[i] = ai + b[i]
	}
}

func subGo(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, ai := range a {
		dst[i] = ai - b[i]
	}
}

func mulGo(dst, a, b []float32) {
	dst, b = dst[:len(a)], b[:len(a)]
	for i, ai := range a {
		dst[i] = ai * b[i]
	}
}

func sum64Go(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

func sumSqDev64Go(x []float32, mu float64) float64 {
	var s float64
	for _, v := range x {
		d := float64(v) - mu
		s += d * d
	}
	return s
}

func normalize64Go(y, x []float32, mu, r float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32((float64(v) - mu) * r)
	}
}

func normGradSums64Go(dy, x []float32, mu, r float64) (sumG, sumGX float64) {
	dy = dy[:len(x)]
	for i, v := range x {
		g := float64(dy[i])
		sumG += g
		sumGX += g * (float64(v) - mu) * r
	}
	return sumG, sumGX
}

func normGradApply64Go(dx, dy, x []float32, mu, r, mg, mgx float64) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, v := range x {
		xhat := (float64(v) - mu) * r
		dx[i] = float32(r * (float64(dy[i]) - mg - xhat*mgx))
	}
}

func gatherEvenGo(dst, src []float32) {
	for i := range dst {
		dst[i] = src[2*i]
	}
}

func scatterAddEvenGo(dst, src []float32) {
	for i, v := range src {
		dst[2*i] += v
	}
}

func tanhGo(dst, x []float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = float32(math.Tanh(float64(v)))
	}
}
