//go:build amd64 && !purego

package vec

import "github.com/zebra-go/zebra/internal/cpu"

// useAVX2 selects the assembly loops; tests turn it off to run the Go twins alone.
var useAVX2 = cpu.Active() >= cpu.AVX2 && cpu.Has(cpu.AVX2)

// leakyReluAVX2 computes leakyReluGo on the first n elements, n % 8 == 0.
//
//go:noescape
func leakyReluAVX2(dst, x *float32, n int, slope float32)

// leakyReluBackwardAVX2 computes leakyReluBackwardGo on the first n elements, n % 8 == 0.
//
//go:noescape
func leakyReluBackwardAVX2(dx, dy, x *float32, n int, slope float32)

// reluAVX2 computes reluGo on the first n elements, n % 8 == 0.
//
//go:noescape
func reluAVX2(dst, x *float32, n int)

// addAVX2 computes addGo on the first n elements, n % 8 == 0.
//
//go:noescape
func addAVX2(dst, a, b *float32, n int)

// subAVX2 computes subGo on the first n elements, n % 8 == 0.
//
//go:noescape
func subAVX2(dst, a, b *float32, n int)

// mulAVX2 computes mulGo on the first n elements, n % 8 == 0.
//
//go:noescape
func mulAVX2(dst, a, b *float32, n int)

// tanhF64AVX2 computes tanhGo on the first n elements (n % 8 == 0), within an ulp.
//
//go:noescape
func tanhF64AVX2(dst, x *float32, n int)

// sumF64AVX2 computes sum64Go of the first n elements (n % 8 == 0), summing in another order.
//
//go:noescape
func sumF64AVX2(x *float32, n int) float64

// sumSqDevF64AVX2 computes sumSqDev64Go of the first n elements (n % 8 == 0), in another order.
//
//go:noescape
func sumSqDevF64AVX2(x *float32, n int, mu float64) float64

// normalizeF64AVX2 computes normalize64Go on the first n elements, n % 8 == 0.
//
//go:noescape
func normalizeF64AVX2(y, x *float32, n int, mu, r float64)

// normGradSumsF64AVX2 computes normGradSums64Go of the first n elements (n % 8 == 0), in
// another order.
//
//go:noescape
func normGradSumsF64AVX2(dy, x *float32, n int, mu, r float64) (sumG, sumGX float64)

// normGradApplyF64AVX2 computes normGradApply64Go on the first n elements, n % 8 == 0.
//
//go:noescape
func normGradApplyF64AVX2(dx, dy, x *float32, n int, mu, r, mg, mgx float64)

// gatherEvenAVX2 computes gatherEvenGo on the first n elements of dst, n % 8 == 0, reading
// src[:2*n].
//
//go:noescape
func gatherEvenAVX2(dst, src *float32, n int)

// scatterAddEvenAVX2 computes scatterAddEvenGo on the first n elements of src, n % 8 == 0,
// touching dst[:2*n].
//
//go:noescape
func scatterAddEvenAVX2(dst, src *float32, n int)

// axpyAVX2 computes axpyGo on the first n elements, n % 8 == 0.
//
//go:noescape
func axpyAVX2(y, x *float32, n int, alpha float32)

// adamAVX2 computes adamGo on the first n elements, n % 8 == 0.
//
//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, sqrtBC2, eps float32)

// bulk returns how many leading elements of an n-element operation the assembly takes.
func bulk(n int) int {
	if !useAVX2 {
		return 0
	}
	return n &^ 7
}

// The *Bulk functions run the assembly over the first bulk(n) elements (lengths are already
// checked equal) and return that count.

func leakyReluBulk(dst, x []float32, slope float32) int {
	n := bulk(len(x))
	if n > 0 {
		leakyReluAVX2(&dst[0], &x[0], n, slope)
	}
	return n
}

func leakyReluBackwardBulk(dx, dy, x []float32, slope float32) int {
	n := bulk(len(x))
	if n > 0 {
		leakyReluBackwardAVX2(&dx[0], &dy[0], &x[0], n, slope)
	}
	return n
}

func reluBulk(dst, x []float32) int {
	n := bulk(len(x))
	if n > 0 {
		reluAVX2(&dst[0], &x[0], n)
	}
	return n
}

func binaryBulk(op binaryOp, dst, a, b []float32) int {
	n := bulk(len(a))
	if n > 0 {
		switch op {
		case opAdd:
			addAVX2(&dst[0], &a[0], &b[0], n)
		case opSub:
			subAVX2(&dst[0], &a[0], &b[0], n)
		case opMul:
			mulAVX2(&dst[0], &a[0], &b[0], n)
		}
	}
	return n
}

func sum64Bulk(x []float32) (int, float64) {
	n := bulk(len(x))
	if n == 0 {
		return 0, 0
	}
	return n, sumF64AVX2(&x[0], n)
}

func sumSqDev64Bulk(x []float32, mu float64) (int, float64) {
	n := bulk(len(x))
	if n == 0 {
		return 0, 0
	}
	return n, sumSqDevF64AVX2(&x[0], n, mu)
}

func tanhBulk(dst, x []float32) int {
	n := bulk(len(x))
	if n > 0 {
		tanhF64AVX2(&dst[0], &x[0], n)
	}
	return n
}

func normalize64Bulk(y, x []float32, mu, r float64) int {
	n := bulk(len(x))
	if n > 0 {
		normalizeF64AVX2(&y[0], &x[0], n, mu, r)
	}
	return n
}

func normGradSums64Bulk(dy, x []float32, mu, r float64) (int, float64, float64) {
	n := bulk(len(x))
	if n == 0 {
		return 0, 0, 0
	}
	sg, sgx := normGradSumsF64AVX2(&dy[0], &x[0], n, mu, r)
	return n, sg, sgx
}

func normGradApply64Bulk(dx, dy, x []float32, mu, r, mg, mgx float64) int {
	n := bulk(len(x))
	if n > 0 {
		normGradApplyF64AVX2(&dx[0], &dy[0], &x[0], n, mu, r, mg, mgx)
	}
	return n
}

// The stride-2 kernels' vectors read or write 16 elements of the strided side for 8 of the
// packed side, so the bulk stops where the strided slice has fewer than 2n elements.

func gatherEvenBulk(dst, src []float32) int {
	n := bulk(min(len(dst), len(src)/2))
	if n > 0 {
		gatherEvenAVX2(&dst[0], &src[0], n)
	}
	return n
}

func scatterAddEvenBulk(dst, src []float32) int {
	n := bulk(min(len(src), len(dst)/2))
	if n > 0 {
		scatterAddEvenAVX2(&dst[0], &src[0], n)
	}
	return n
}

func axpyBulk(y, x []float32, alpha float32) int {
	n := bulk(len(x))
	if n > 0 {
		axpyAVX2(&y[0], &x[0], n, alpha)
	}
	return n
}

func adamBulk(p, g, m, v []float32, c adamScalars) int {
	n := bulk(len(p))
	if n > 0 {
		adamAVX2(&p[0], &g[0], &m[0], &v[0], n, c.beta1, c.oneMinusBeta1, c.beta2, c.oneMinusBeta2, c.stepSize, c.sqrtBC2, c.eps)
	}
	return n
}
