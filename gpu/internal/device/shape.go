package device

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	return st
}

// collapseDims drops dimensions of size 1 and merges neighbours that are contiguous with each other
// in every operand, so that kernels walk as few dimensions as possible (the same algorithm as the
// CPU backend's).
func collapseDims(shape []int, strides ...[]int) ([]int, [][]int) {
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
