package vec

import (
	"fmt"
	"math"
)

func checkLen(op string, want int, names string, lens ...int) {
	for _, l := range lens {
		if l != want {
			panic(fmt.Sprintf("vec: %s: lengths of %s differ: %v", op, names, lens))
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
//	p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps),   bc1 = 1-beta1^step, bc2 = 1-beta2^step
//
// The hyperparameters are float64, like PyTorch's Python floats: 1-beta1, lr/bc1, sqrt(bc2)
// and the rest are computed in float64 and rounded to float32 once, as PyTorch does.
func Adam(p, g, m, v []float32, lr, beta1, beta2, eps float64, step int) {
	checkLen("Adam", len(p), "p, g, m, v", len(g), len(m), len(v))
	if step < 1 {
		panic(fmt.Sprintf("vec: Adam: step %d, want >= 1", step))
	}
	c := newAdamScalars(lr, beta1, beta2, eps, step)
	done := adamBulk(p, g, m, v, c)
	adamGo(p[done:], g[done:], m[done:], v[done:], c)
}

func newAdamScalars(lr, beta1, beta2, eps float64, step int) adamScalars {
	bc1 := 1 - math.Pow(beta1, float64(step))
	bc2 := 1 - math.Pow(beta2, float64(step))
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
