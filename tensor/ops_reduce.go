package tensor

import (
	"fmt"
	"slices"
)

// reduceAxes normalizes and sorts axes; no axes means all of them.
func reduceAxes(op string, axes []int, ndim int) []int {
	if len(axes) == 0 {
		out := make([]int, ndim)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, len(axes))
	for i, a := range axes {
		out[i] = normAxis(op, a, ndim)
	}
	slices.Sort(out)
	if len(slices.Compact(slices.Clone(out))) != len(out) {
		panic(fmt.Sprintf("%s: repeated axis in %v", op, axes))
	}
	return out
}

// reduceOver reduces t over axes (all when empty) through the backend's [outer, mid, inner]
// kernel, one call per run of adjacent axes (so a sum over H and W, or over everything, is a single
// pass) and from the last run to the first, so that no permutation copy is ever needed.
func reduceOver(name string, op ReduceOp, t *Tensor, axes []int, keepdim bool) *Tensor {
	ax := reduceAxes(name, axes, t.NDim())
	if op != ReduceSum {
		for _, a := range ax {
			if t.shape[a] == 0 {
				panic(fmt.Sprintf("%s: %s over an empty axis %d of shape %v", name, op, a, t.shape))
			}
		}
	}
	cur := t
	shape := slices.Clone(t.shape)
	for last := len(ax) - 1; last >= 0; {
		first := last
		for first > 0 && ax[first-1] == ax[first]-1 {
			first--
		}
		lo, hi := ax[first], ax[last]+1 // the run of axes [lo, hi)
		outer, mid, inner := Numel(shape[:lo]), Numel(shape[lo:hi]), Numel(shape[hi:])
		for d := lo; d < hi; d++ {
			shape[d] = 1
		}
		out := New(t.Backend(), t.dtype, shape...)
		t.Backend().Reduce(op, out.storage, cur.storage, outer, mid, inner)
		cur = out
		last = first - 1
	}
	if cur == t { // a 0-d tensor has no axes to reduce; the result is still a new tensor
		cur = t.Clone()
	}
	if !keepdim {
		final := make([]int, 0, len(shape))
		for d, n := range shape {
			if !slices.Contains(ax, d) {
				final = append(final, n)
			}
		}
		cur = Reshape(cur, final...)
	}
	return cur
}

// Sum sums over the given axes (all when none), keeping them as size 1 when keepdim is set.
func Sum(t *Tensor, axes []int, keepdim bool) *Tensor {
	return reduceOver("tensor.Sum", ReduceSum, t, axes, keepdim)
}

// Max is the maximum over the given axes (all when none).
func Max(t *Tensor, axes []int, keepdim bool) *Tensor {
	return reduceOver("tensor.Max", ReduceMax, t, axes, keepdim)
}

// Min is the minimum over the given axes (all when none).
func Min(t *Tensor, axes []int, keepdim bool) *Tensor {
	return reduceOver("tensor.Min", ReduceMin, t, axes, keepdim)
}

// countOver is the number of elements that a reduction over axes combines into one.
func countOver(t *Tensor, axes []int) int {
	n := 1
	for _, a := range reduceAxes("tensor.count", axes, t.NDim()) {
		n *= t.shape[a]
	}
	return n
}

// Mean is the arithmetic mean over the given axes (all when none).
func Mean(t *Tensor, axes []int, keepdim bool) *Tensor {
	return Scale(Sum(t, axes, keepdim), 1/float64(countOver(t, axes)))
}

// Var is the variance over the given axes (all when none): the sum of squared deviations divided by
// max(0, N - correction), as torch.var (correction 1 is its unbiased default, 0 the biased variance
// that InstanceNorm uses). Too few elements give NaN or Inf, as in PyTorch.
func Var(t *Tensor, axes []int, keepdim bool, correction int) *Tensor {
	dev := Sub(t, Mean(t, axes, true))
	return Scale(Sum(Square(dev), axes, keepdim), 1/float64(max(0, countOver(t, axes)-correction)))
}

// SumTo sums t down to shape, which t's shape must broadcast from; it is the adjoint of
// broadcasting, used by the backward of every broadcasting op.
func SumTo(t *Tensor, shape []int) *Tensor {
	if sameShape(t.shape, shape) {
		return t
	}
	if b := BroadcastShapes("tensor.SumTo", shape, t.shape); !sameShape(b, t.shape) {
		panic(fmt.Sprintf("tensor.SumTo: %v is not a broadcast of %v", t.shape, shape))
	}
	lead := t.NDim() - len(shape)
	var axes []int
	for d := range t.NDim() {
		if d < lead || shape[d-lead] == 1 && t.shape[d] != 1 {
			axes = append(axes, d)
		}
	}
	if len(axes) == 0 {
		return Reshape(t, shape...)
	}
	return Reshape(Sum(t, axes, true), shape...)
}
