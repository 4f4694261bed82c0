package backendtest

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/tensor"
)

// reduceShapes are [outer, mid, inner] views for Reduce: empty ones, a single element, whole-tensor
// sums, InstanceNorm-like planes, reduced lengths on both sides of typical GPU work-group sizes,
// inner sizes that are not multiples of any vector width, and rows long enough for a GPU to split
// them among work-groups and reduce the partial results again (in one pass or, for 300001, two).
var reduceShapes = [][3]int{
	{1, 1, 1}, {0, 3, 2}, {2, 5, 0}, {3, 7, 5}, {4, 1, 9}, {1, 4096, 1}, {16, 256, 1},
	{4, 255, 1}, {2, 257, 3}, {3, 1025, 1}, {2, 33, 65}, {1, 3, 70001}, {1, 70001, 1}, {5, 2, 3},
	{3, 20000, 2}, {1, 300001, 1},
}

func testReduce(h *harness) {
	sumTol := h.pick(tol{rtol: 1e-5}, tol{rtol: 1e-13})
	for _, op := range []tensor.ReduceOp{tensor.ReduceSum, tensor.ReduceMax, tensor.ReduceMin} {
		shapes := reduceShapes
		if op == tensor.ReduceSum {
			shapes = append(shapes, [3]int{3, 0, 2}) // an empty sum is 0
		}
		for _, s := range shapes {
			outer, mid, inner := s[0], s[1], s[2]
			data := h.normal(outer*mid*inner, 0.5, 2)
			if op != tensor.ReduceSum {
				data = h.smallInts(outer * mid * inner) // ties
				for i := 0; i < len(data); i += 3 {
					data[i] += h.rng.Float64()
				}
				data = h.round(data)
			}
			src := h.pair(data)
			dst := h.pair(h.normal(outer*inner, 0, 1))
			tensor.CPU.Reduce(op, dst.ref, src.ref, outer, mid, inner)
			h.b.Reduce(op, dst.got, src.got, outer, mid, inner)
			what := fmt.Sprintf("Reduce %s over [%d %d %d]", op, outer, mid, inner)
			if op == tensor.ReduceSum {
				h.check(what, dst, sumTol, magnitudes(data, outer, mid, inner))
			} else {
				h.check(what, dst, exact, nil)
			}
			h.intact(what, src)
		}
	}
}

// magnitudes returns, for a reduction of src seen as [outer, mid, inner], Σ|x| over mid: the
// scale a rounding error of a sum is measured against.
func magnitudes(src []float64, outer, mid, inner int) []float64 {
	out := make([]float64, outer*inner)
	for o := range outer {
		for m := range mid {
			for i := range inner {
				out[o*inner+i] += math.Abs(src[(o*mid+m)*inner+i])
			}
		}
	}
	return out
}
