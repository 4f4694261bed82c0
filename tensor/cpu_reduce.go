package tensor

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/internal/vec"
)

func (cpuBackend) Reduce(op ReduceOp, dst, src Storage, outer, mid, inner int) {
	if src.Len() != outer*mid*inner || dst.Len() != outer*inner || dst.DType() != src.DType() {
		panic(fmt.Sprintf("tensor: cpu.Reduce %s: [%d %d %d] from %d into %d elements", op, outer, mid, inner, src.Len(), dst.Len()))
	}
	if op > ReduceMin {
		panic(fmt.Sprintf("tensor: cpu.Reduce: unknown op %d", op))
	}
	switch dst.DType() {
	case Float32:
		reduceKernel(op, cpuData[float32](dst), cpuData[float32](src), outer, mid, inner)
	case Float64:
		reduceKernel(op, cpuData[float64](dst), cpuData[float64](src), outer, mid, inner)
	}
}

// reduceKernel accumulates sums in float64 whatever T is: a float32 sum of a 256×256 image plane would
// otherwise lose about three digits.
func reduceKernel[T float](op ReduceOp, dst, src []T, outer, mid, inner int) {
	if mid == 0 {
		var v T
		switch op {
		case ReduceMax:
			v = T(math.Inf(-1))
		case ReduceMin:
			v = T(math.Inf(1))
		}
		fill(dst, v)
		return
	}
	if inner == 1 {
		// A reduction over the last axes (a whole plane, a whole tensor) is one contiguous
		// run per output; reduceRun keeps it a tight loop. Each output is reduced on one
		// goroutine, so only whole outputs are split among goroutines.
		parallelFor(outer, max(1, elementwiseGrain/mid), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				dst[o] = T(reduceContiguous(op, src[o*mid:(o+1)*mid]))
			}
		})
		return
	}
	// The outputs [outer, inner] are split in row-major order (a reduction over the first
	// axis, outer == 1, is split along inner); each output still adds its mid inputs in order.
	parallelFor(outer*inner, max(1, elementwiseGrain/mid), func(lo, hi int) {
		acc := make([]float64, min(inner, hi-lo))
		for e := lo; e < hi; {
			o, j0 := e/inner, e%inner
			n := min(inner-j0, hi-e)
			reduceColumns(op, dst[e:e+n], acc[:n], src[o*mid*inner+j0:], mid, inner)
			e += n
		}
	})
}

// reduceColumns reduces n = len(dst) adjacent columns of a [mid, ld] block that starts at src,
// row by row in float64 (acc holds n partial results).
func reduceColumns[T float](op ReduceOp, dst []T, acc []float64, src []T, mid, ld int) {
	n := len(dst)
	for j, x := range src[:n] {
		acc[j] = float64(x)
	}
	for m := 1; m < mid; m++ {
		row := src[m*ld:][:n]
		switch op {
		case ReduceSum:
			for j, x := range row {
				acc[j] += float64(x)
			}
		case ReduceMax:
			for j, x := range row {
				acc[j] = maxPropagateNaN(acc[j], float64(x))
			}
		case ReduceMin:
			for j, x := range row {
				acc[j] = -maxPropagateNaN(-acc[j], -float64(x))
			}
		}
	}
	for j := range dst {
		dst[j] = T(acc[j])
	}
}

// reduceContiguous is reduceRun, except that a float32 sum goes through vec.Sum64: the same
// float64 additions in another order (a partial sum per vector lane), which rounds alike up to
// that order, as InstanceNorm's means do. reduceRun's one chain of dependent additions waits on
// each add's latency; the lanes do not (a 64×64 plane of a loss or a bias gradient: 4096 adds
// of about a nanosecond each, most of a reduction that the training step runs by the hundred).
func reduceContiguous[T float](op ReduceOp, xs []T) float64 {
	if x32, ok := any(xs).([]float32); ok && op == ReduceSum {
		return vec.Sum64(x32)
	}
	return reduceRun(op, xs)
}

// reduceRun reduces one contiguous, non-empty run in float64.
func reduceRun[T float](op ReduceOp, xs []T) float64 {
	acc := float64(xs[0])
	switch op {
	case ReduceSum:
		for _, x := range xs[1:] {
			acc += float64(x)
		}
	case ReduceMax:
		for _, x := range xs[1:] {
			acc = maxPropagateNaN(acc, float64(x))
		}
	case ReduceMin:
		for _, x := range xs[1:] {
			acc = -maxPropagateNaN(-acc, -float64(x))
		}
	}
	return acc
}
