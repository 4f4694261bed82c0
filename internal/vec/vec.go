package vec

import (
	"fmt"
	"math"
	"slices"
)

// checkLen panics unless every length in lens is want. The message formats a copy of lens, so
// that the variadic slice does not escape and a kernel call allocates nothing.
func checkLen(op string, want int, names string, lens ...int) {
	for _, l := range lens {
		if l != want {
			panic(fmt.Sprintf("vec: %s: lengths of %s differ: %v", op, names, slices.Clone(lens)))
		}
	}
}

// LeakyRelu sets dst[i] = x[i] if x[i] > 0, else slope*x[i]. Slope 0 gives ReLU; NaN stays NaN.
// dst and x must have the same length; dst may be x.
func LeakyRelu(dst, x []float32, slope float32) {
	checkLen("LeakyRelu", len(dst), "dst, x", len(x))
	done := leakyReluBulk(dst, x, slope)
	leakyReluGo(dst[done:], x[done:], slope)
}

// LeakyReluBackward sets dx[i] = dy[i] if x[i] > 0, else slope*dy[i]: the gradient of
// LeakyRelu, taking the slope branch at x == 0 as PyTorch does. dx may be dy.
func LeakyReluBackward(dx, dy, x []float32, slope float32) {
	checkLen("LeakyReluBackward", len(dx), "dx, dy, x", len(dy), len(x))
	done := leakyReluBackwardBulk(dx, dy, x, slope)
	leakyReluBackwardGo(dx[done:], dy[done:], x[done:], slope)
}

// Relu sets dst[i] = max(x[i], 0) as Go's max does: NaN stays NaN and -0 becomes 0, as in
// PyTorch. dst may be x.
func Relu(dst, x []float32) {
	checkLen("Relu", len(dst), "dst, x", len(x))
	done := reluBulk(dst, x)
	reluGo(dst[done:], x[done:])
}

// Tanh sets dst[i] = tanh(x[i]). The Go twin rounds math.Tanh to float32; the AVX2 loop
// evaluates tanh in float64 lanes (see _asm/vec) and agrees with it to within an ulp, exactly
// in all but rare near-ties. dst may be x.
func Tanh(dst, x []float32) {
	checkLen("Tanh", len(dst), "dst, x", len(x))
	done := tanhBulk(dst, x)
	tanhGo(dst[done:], x[done:])
}

// Add sets dst[i] = a[i] + b[i]. dst may be a or b.
func Add(dst, a, b []float32) {
	checkLen("Add", len(dst), "dst, a, b", len(a), len(b))
	done := binaryBulk(opAdd, dst, a, b)
	addGo(dst[done:], a[done:], b[done:])
}

// Sub sets dst[i] = a[i] - b[i]. dst may be a or b.
func Sub(dst, a, b []float32) {
	checkLen("Sub", len(dst), "dst, a, b", len(a), len(b))
	done := binaryBulk(opSub, dst, a, b)
	subGo(dst[done:], a[done:], b[done:])
}

// Mul sets dst[i] = a[i] * b[i]. dst may be a or b.
func Mul(dst, a, b []float32) {
	checkLen("Mul", len(dst), "dst, a, b", len(a), len(b))
	done := binaryBulk(opMul, dst, a, b)
	mulGo(dst[done:], a[done:], b[done:])
}

// binaryOp selects one of the binary kernels.
type binaryOp uint8

const (
	opAdd binaryOp = iota
	opSub
	opMul
)

// Sum64 returns the sum of x in float64 (a float32 sum of a 256×256 plane would lose about
// three digits).
func Sum64(x []float32) float64 {
	done, s := sum64Bulk(x)
	return s + sum64Go(x[done:])
}

// SumSqDev64 returns Σ (x[i] - mu)² in float64: the second pass of a two-pass variance.
func SumSqDev64(x []float32, mu float64) float64 {
	done, s := sumSqDev64Bulk(x, mu)
	return s + sumSqDev64Go(x[done:], mu)
}

// Normalize64 sets y[i] = float32((x[i] - mu) * r), computed in float64: InstanceNorm's output.
func Normalize64(y, x []float32, mu, r float64) {
	checkLen("Normalize64", len(y), "y, x", len(x))
	done := normalize64Bulk(y, x, mu, r)
	normalize64Go(y[done:], x[done:], mu, r)
}

// NormGradSums64 returns Σ dy[i] and Σ dy[i]·(x[i] - mu)·r in float64: the two means of
// InstanceNorm's backward, before the division by the plane's size.
func NormGradSums64(dy, x []float32, mu, r float64) (sumG, sumGX float64) {
	checkLen("NormGradSums64", len(dy), "dy, x", len(x))
	done, sg, sgx := normGradSums64Bulk(dy, x, mu, r)
	tg, tgx := normGradSums64Go(dy[done:], x[done:], mu, r)
	return sg + tg, sgx + tgx
}

// NormGradApply64 sets dx[i] = float32(r · (dy[i] − mg − x̂·mgx)), x̂ = (x[i] − mu)·r, in
// float64: InstanceNorm's input gradient given the two means mg and mgx.
func NormGradApply64(dx, dy, x []float32, mu, r, mg, mgx float64) {
	checkLen("NormGradApply64", len(dx), "dx, dy, x", len(dy), len(x))
	done := normGradApply64Bulk(dx, dy, x, mu, r, mg, mgx)
	normGradApply64Go(dx[done:], dy[done:], x[done:], mu, r, mg, mgx)
}

// GatherEven sets dst[i] = src[2*i]: a stride-2 convolution's im2col row. src must hold at least
// 2*len(dst)-1 elements.
func GatherEven(dst, src []float32) {
	checkStride2("GatherEven", len(dst), len(src))
	done := gatherEvenBulk(dst, src)
	gatherEvenGo(dst[done:], src[min(2*done, len(src)):])
}

// ScatterAddEven sets dst[2*i] += src[i], leaving the odd elements of dst alone: a stride-2
// col2im row. dst must hold at least 2*len(src)-1 elements.
func ScatterAddEven(dst, src []float32) {
	checkStride2("ScatterAddEven", len(src), len(dst))
	done := scatterAddEvenBulk(dst, src)
	scatterAddEvenGo(dst[min(2*done, len(dst)):], src[done:])
}

// checkStride2 panics unless a strided slice of length strided covers packed elements.
func checkStride2(op string, packed, strided int) {
	if packed > 0 && strided < 2*packed-1 {
		panic(fmt.Sprintf("vec: %s: %d elements at stride 2 need %d, have %d", op, packed, 2*packed-1, strided))
	}
}

// Axpy sets y[i] += alpha*x[i] (the BLAS axpy): gradient accumulation and scaled adds.
func Axpy(y, x []float32, alpha float32) {
	checkLen("Axpy", len(y), "y, x", len(x))
	done := axpyBulk(y, x, alpha)
	axpyGo(y[done:], x[done:], alpha)
}

// Adam applies one Adam step (Kingma & Ba, without weight decay) to parameters p with gradient
// g, updating the moment estimates m and v in place. step counts from 1. As in PyTorch:
//
//	m = beta1*m + (1-beta1)*g
//	v = beta2*v + (1-beta2)*g*g
//	p -= ((lr/bc1) * m) / (sqrt(v)/sqrt(bc2) + eps),   bc1 = 1-beta1^step, bc2 = 1-beta2^step
//
// The hyperparameters are float64, like PyTorch's Python floats: 1-beta1, lr/bc1, sqrt(bc2)
// and the rest are computed in float64 and rounded to float32 once, as PyTorch does.
func Adam(p, g, m, v []float32, lr, beta1, beta2, eps float64, step int) {
	if step < 1 {
		panic(fmt.Sprintf("vec: Adam: step %d, want >= 1", step))
	}
	AdamCorrected(p, g, m, v, lr, beta1, beta2, eps, 1-math.Pow(beta1, float64(step)), 1-math.Pow(beta2, float64(step)))
}

// AdamCorrected is Adam with the bias corrections bc1 and bc2 given instead of the step (the
// form of tensor.AdamHyper).
func AdamCorrected(p, g, m, v []float32, lr, beta1, beta2, eps, bc1, bc2 float64) {
	checkLen("Adam", len(p), "p, g, m, v", len(g), len(m), len(v))
	c := newAdamScalars(lr, beta1, beta2, eps, bc1, bc2)
	done := adamBulk(p, g, m, v, c)
	adamGo(p[done:], g[done:], m[done:], v[done:], c)
}

func newAdamScalars(lr, beta1, beta2, eps, bc1, bc2 float64) adamScalars {
	return adamScalars{
		beta1: float32(beta1), oneMinusBeta1: float32(1 - beta1),
		beta2: float32(beta2), oneMinusBeta2: float32(1 - beta2),
		stepSize: float32(lr / bc1), sqrtBC2: float32(math.Sqrt(bc2)), eps: float32(eps),
	}
}

// adamScalars are the per-step constants of the Adam update, rounded to float32.
type adamScalars struct {
	beta1, oneMinusBeta1, beta2, oneMinusBeta2 float32
	stepSize, sqrtBC2, eps                     float32
}
