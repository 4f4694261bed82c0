package tensor

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/internal/vec"
)

// elementwiseGrain is the least number of elements one goroutine of a split kernel gets: a kernel
// over fewer than 2*elementwiseGrain elements runs on one. Handing a chunk to a polling worker
// of internal/parallel's pool costs about a microsecond. A float32 Add split in two against one
// goroutine (internal/parallel's TestTuneGrain: medians of 200 interleaved rounds, in the quieter
// moments of a shared 2-vCPU EPYC Zen 4): 16384 elements 1.71 µs serial, 2.06-2.38 µs split;
// 32768: 3.41 µs, 2.90-3.58 µs (faster in 4 of 6 runs); 65536: 7.2-7.5 µs, 4.9-6.2 µs.
const elementwiseGrain = 1 << 14

func (cpuBackend) Unary(op UnaryOp, dst, src Storage, param float64) {
	if dst.Len() != src.Len() || dst.DType() != src.DType() {
		panic(fmt.Sprintf("tensor: cpu.Unary %s: %s[%d] into %s[%d]", op, src.DType(), src.Len(), dst.DType(), dst.Len()))
	}
	switch dst.DType() {
	case Float32:
		d, s := cpuData[float32](dst), cpuData[float32](src)
		parallelFor(len(d), elementwiseGrain, func(lo, hi int) { unary32(op, d[lo:hi], s[lo:hi], float32(param)) })
	case Float64:
		d, s := cpuData[float64](dst), cpuData[float64](src)
		parallelFor(len(d), elementwiseGrain, func(lo, hi int) { unary(op, d[lo:hi], s[lo:hi], param) })
	}
}

// unary32 runs the float32 ops that training spends time in through internal/vec's SIMD loops
// (bit for bit the same results as unary's, except Tanh: within an ulp) and the rest through
// unary.
func unary32(op UnaryOp, dst, src []float32, p float32) {
	switch op {
	case OpRelu:
		vec.Relu(dst, src)
	case OpLeakyRelu:
		vec.LeakyRelu(dst, src, p)
	case OpTanh:
		vec.Tanh(dst, src)
	default:
		unary(op, dst, src, p)
	}
}

// unary is the reference loop of every unary op; each case is a plain loop so the compiler can keep
// it tight. Transcendental functions go through float64, which is exact enough for float32.
func unary[T float](op UnaryOp, dst, src []T, p T) {
	switch op {
	case OpNeg:
		for i, x := range src {
			dst[i] = -x
		}
	case OpAbs:
		for i, x := range src {
			dst[i] = T(math.Abs(float64(x)))
		}
	case OpSign:
		for i, x := range src {
			switch {
			case x > 0:
				dst[i] = 1
			case x < 0:
				dst[i] = -1
			default:
				dst[i] = 0 // at ±0 and, as in PyTorch ((0 < x) - (x < 0)), at NaN
			}
		}
	case OpExp:
		for i, x := range src {
			dst[i] = T(math.Exp(float64(x)))
		}
	case OpLog:
		for i, x := range src {
			dst[i] = T(math.Log(float64(x)))
		}
	case OpSqrt:
		for i, x := range src {
			dst[i] = T(math.Sqrt(float64(x)))
		}
	case OpSquare:
		for i, x := range src {
			dst[i] = x * x
		}
	case OpTanh:
		for i, x := range src {
			dst[i] = T(math.Tanh(float64(x)))
		}
	case OpSigmoid:
		for i, x := range src {
			dst[i] = T(sigmoid(float64(x)))
		}
	case OpRelu:
		// Go's max propagates NaN, as PyTorch's relu does (a diverging run must not look
		// healthy), maps -0 to 0, and compiles without a branch on the sign of random data.
		for i, x := range src {
			dst[i] = max(x, 0)
		}
	case OpLeakyRelu:
		for i, x := range src {
			if x > 0 {
				dst[i] = x
			} else {
				dst[i] = p * x
			}
		}
	case OpPow:
		// PyTorch computes x^0.5 as √x and x^-0.5 as 1/√x; math.Pow agrees everywhere except at
		// -Inf, where it follows C's pow (+Inf, 0) and PyTorch gives NaN.
		switch p {
		case 0.5:
			for i, x := range src {
				dst[i] = T(math.Sqrt(float64(x)))
			}
		case -0.5:
			for i, x := range src {
				dst[i] = T(1 / math.Sqrt(float64(x)))
			}
		default:
			for i, x := range src {
				dst[i] = T(math.Pow(float64(x), float64(p)))
			}
		}
	case OpScale:
		for i, x := range src {
			dst[i] = p * x
		}
	case OpAddScalar:
		for i, x := range src {
			dst[i] = x + p
		}
	default:
		panic(fmt.Sprintf("tensor: cpu.Unary: unknown op %d", op))
	}
}

// sigmoid is written in two branches so that neither overflows: for x < 0, e^x is small.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func (cpuBackend) Binary(op BinaryOp, dst, a, b Storage, shape, aStrides, bStrides []int, param float64) {
	if dst.Len() != Numel(shape) || a.DType() != dst.DType() || b.DType() != dst.DType() {
		panic(fmt.Sprintf("tensor: cpu.Binary %s: dst %s[%d] for shape %v, operands %s and %s", op, dst.DType(), dst.Len(), shape, a.DType(), b.DType()))
	}
	if Numel(shape) == 0 {
		return
	}
	shape, st := CollapseDims(shape, ContiguousStrides(shape), aStrides, bStrides)
	switch dst.DType() {
	case Float32:
		binaryStrided(op, cpuData[float32](dst), cpuData[float32](a), cpuData[float32](b), shape, st[1], st[2], float32(param))
	case Float64:
		binaryStrided(op, cpuData[float64](dst), cpuData[float64](a), cpuData[float64](b), shape, st[1], st[2], param)
	}
}

// binaryStrided splits the elements of the (collapsed) shape across goroutines in row-major order
// (a contiguous operation collapses to a single row, which is then split too) and runs each run
// within a row through binaryLoop.
func binaryStrided[T float](op BinaryOp, dst, a, b []T, shape, as, bs []int, p T) {
	sa, sb := as[len(as)-1], bs[len(bs)-1]
	parallelFor(len(dst), elementwiseGrain, func(lo, hi int) {
		forEachRun(shape, [][]int{as, bs}, lo, hi, func(e, n int, offs []int) {
			binaryLoop(op, dst[e:e+n], a[offs[0]:], sa, b[offs[1]:], sb, p)
		})
	})
}

// binaryLoop computes dst[i] = op(a[i*sa], b[i*sb]) for i < len(dst).
func binaryLoop[T float](op BinaryOp, dst, a []T, sa int, b []T, sb int, p T) {
	if sa == 1 && sb == 1 {
		if d, ok := any(dst).([]float32); ok {
			n := len(d)
			if binaryContiguous32(op, d, any(a).([]float32)[:n], any(b).([]float32)[:n], float32(p)) {
				return
			}
		}
	}
	switch op {
	case OpAdd:
		for i := range dst {
			dst[i] = a[i*sa] + b[i*sb]
		}
	case OpSub:
		for i := range dst {
			dst[i] = a[i*sa] - b[i*sb]
		}
	case OpMul:
		for i := range dst {
			dst[i] = a[i*sa] * b[i*sb]
		}
	case OpDiv:
		for i := range dst {
			dst[i] = a[i*sa] / b[i*sb]
		}
	case OpMaximum:
		for i := range dst {
			dst[i] = T(maxPropagateNaN(float64(a[i*sa]), float64(b[i*sb])))
		}
	case OpMinimum:
		for i := range dst {
			dst[i] = T(-maxPropagateNaN(-float64(a[i*sa]), -float64(b[i*sb])))
		}
	case OpGreater:
		for i := range dst {
			dst[i] = boolTo[T](a[i*sa] > b[i*sb])
		}
	case OpEqual:
		for i := range dst {
			dst[i] = boolTo[T](a[i*sa] == b[i*sb])
		}
	case OpLeakyReluBackward:
		for i := range dst {
			if b[i*sb] > 0 {
				dst[i] = a[i*sa]
			} else {
				dst[i] = p * a[i*sa]
			}
		}
	default:
		panic(fmt.Sprintf("tensor: cpu.Binary: unknown op %d", op))
	}
}

// binaryContiguous32 runs the contiguous float32 ops that training spends time in through
// internal/vec's SIMD loops, with results bit for bit those of binaryLoop's, and reports whether
// it handled op.
func binaryContiguous32(op BinaryOp, dst, a, b []float32, p float32) bool {
	switch op {
	case OpAdd:
		vec.Add(dst, a, b)
	case OpSub:
		vec.Sub(dst, a, b)
	case OpMul:
		vec.Mul(dst, a, b)
	case OpLeakyReluBackward:
		// a is the incoming gradient, b the input x.
		vec.LeakyReluBackward(dst, a, b, p)
	default:
		return false
	}
	return true
}

// maxPropagateNaN is torch.maximum: NaN if either operand is NaN.
func maxPropagateNaN(x, y float64) float64 {
	if x != x || y != y {
		return math.NaN()
	}
	return math.Max(x, y)
}

func boolTo[T float](b bool) T {
	if b {
		return 1
	}
	return 0
}
