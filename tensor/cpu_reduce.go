package tensor

import (
	"fmt"
	"math"
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
	grain := max(1, elementwiseGrain/max(mid*inner, 1))
	if inner == 1 {
		// A reduction over the last axes (a whole plane, a whole tensor) is one contiguous
		// run per output; reduceRun keeps it a tight loop.
		parallelFor(outer, grain, func(lo, hi int) {
			for o := lo; o < hi; o++ {
				dst[o] = T(reduceRun(op, src[o*mid:(o+1)*mid]))
			}
		})
		return
	}
	parallelFor(outer, grain, func(lo, hi int) {
		acc := make([]float64, inner)
		for o := lo; o < hi; o++ {
			block := src[o*mid*inner : (o+1)*mid*inner]
			for j := range inner {
				acc[j] = float64(block[j])
			}
			for m := 1; m < mid; m++ {
				row := block[m*inner : (m+1)*inner]
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
			for j := range inner {
				dst[o*inner+j] = T(acc[j])
			}
		}
	})
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
