package tensor

import (
	"fmt"
	"slices"
)

// Numel is the number of elements of a tensor of the given shape (1 for a scalar).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// ContiguousStrides are the row-major strides, in elements, of a tensor of the given shape.
func ContiguousStrides(shape []int) []int {
	strides := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		strides[i] = s
		s *= shape[i]
	}
	return strides
}

// checkShape panics when a shape has a negative dimension.
func checkShape(op string, shape []int) {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("%s: negative dimension in shape %v", op, shape))
		}
	}
}

// normAxis turns a possibly negative axis into an index in [0, ndim).
func normAxis(op string, axis, ndim int) int {
	a := axis
	if a < 0 {
		a += ndim
	}
	if a < 0 || a >= ndim {
		panic(fmt.Sprintf("%s: axis %d out of range for %d dimensions", op, axis, ndim))
	}
	return a
}

// BroadcastShapes returns the NumPy broadcast of two shapes: they are aligned at the right, and each
// pair of dimensions must be equal or contain a 1. It panics, naming op and both shapes, otherwise.
func BroadcastShapes(op string, a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			panic(fmt.Sprintf("%s: shapes %v and %v do not broadcast", op, a, b))
		}
	}
	return out
}

// broadcastStrides gives the strides with which a contiguous tensor of shape `from` is read as if it
// had shape `to` (which must be a broadcast of it): broadcast dimensions get stride 0.
func broadcastStrides(from, to []int) []int {
	src := ContiguousStrides(from)
	out := make([]int, len(to))
	off := len(to) - len(from)
	for i := range to {
		j := i - off
		if j < 0 || from[j] == 1 {
			out[i] = 0
		} else {
			out[i] = src[j]
		}
	}
	return out
}

// sameShape reports whether two shapes are identical.
func sameShape(a, b []int) bool { return slices.Equal(a, b) }

// CollapseDims drops dimensions of size 1 and merges neighbours that are contiguous with each other
// in every operand (one stride list per operand), so that strided loops run over as few, as long,
// dimensions as possible. Backends use it before the Copy and Binary kernels.
func CollapseDims(shape []int, strides ...[]int) ([]int, [][]int) {
	var outShape []int
	outStrides := make([][]int, len(strides))
	for d := range shape {
		if shape[d] == 1 && len(shape) > 1 {
			continue
		}
		last := len(outShape) - 1
		mergeable := last >= 0
		for k := range strides {
			if mergeable && outStrides[k][last] != strides[k][d]*shape[d] {
				mergeable = false
			}
		}
		if mergeable {
			outShape[last] *= shape[d]
			for k := range strides {
				outStrides[k][last] = strides[k][d]
			}
			continue
		}
		outShape = append(outShape, shape[d])
		for k := range strides {
			outStrides[k] = append(outStrides[k], strides[k][d])
		}
	}
	if len(outShape) == 0 { // every dimension was 1
		outShape = []int{1}
		for k := range strides {
			outStrides[k] = []int{1}
		}
	}
	return outShape, outStrides
}
