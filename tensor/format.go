package tensor

import (
	"fmt"
	"math"
	"strings"
)

// printThreshold and printEdge follow PyTorch: tensors of more than 1000 elements show only the
// first and last three entries of each dimension.
const (
	printThreshold = 1000
	printEdge      = 3
)

// String formats the tensor like PyTorch's repr:
//
//	tensor([[ 1.0000, -2.5000],
//	        [ 0.0000,  3.0000]], dtype=float64)
//
// Large tensors are summarized with "...". The dtype is shown unless it is float32 (PyTorch's
// default) and the device unless it is the CPU.
func (t *Tensor) String() string {
	vals := t.Float64s()
	summarize := len(vals) > printThreshold
	fmtNum := numberFormat(vals)
	var b strings.Builder
	b.WriteString("tensor(")
	writeNested(&b, vals, t.shape, 0, 0, summarize, fmtNum)
	var extras []string
	if t.NDim() > 0 && t.Numel() == 0 {
		extras = append(extras, fmt.Sprintf("size=%v", t.shape))
	}
	if t.dtype != Float32 {
		extras = append(extras, "dtype="+t.dtype.String())
	}
	if name := t.Backend().Name(); name != "cpu" {
		extras = append(extras, fmt.Sprintf("device='%s'", name))
	}
	for _, e := range extras {
		b.WriteString(", " + e)
	}
	b.WriteString(")")
	return b.String()
}

// numberFormat picks one format for all entries, as PyTorch does: integers print without decimals
// ("1.", "-2."), ordinary ranges with four decimals, very large or small ranges in scientific form.
func numberFormat(vals []float64) func(float64) string {
	allInt, maxAbs, minAbs := true, 0.0, math.Inf(1)
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if v != math.Trunc(v) {
			allInt = false
		}
		a := math.Abs(v)
		maxAbs = max(maxAbs, a)
		if a != 0 {
			minAbs = min(minAbs, a)
		}
	}
	width := 0
	var f func(float64) string
	switch {
	case allInt && maxAbs < 1e8:
		f = func(v float64) string { return fmt.Sprintf("%.0f.", v) }
	case maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs != math.Inf(1)):
		f = func(v float64) string { return fmt.Sprintf("%.4e", v) }
	default:
		f = func(v float64) string { return fmt.Sprintf("%.4f", v) }
	}
	for _, v := range vals {
		width = max(width, len(special(v, f)))
	}
	return func(v float64) string {
		s := special(v, f)
		return strings.Repeat(" ", width-len(s)) + s
	}
}

func special(v float64, f func(float64) string) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return f(v)
}

// writeNested prints dimension dim of the block starting at element off.
func writeNested(b *strings.Builder, vals []float64, shape []int, dim, off int, summarize bool, f func(float64) string) {
	if len(shape) == 0 {
		b.WriteString(strings.TrimSpace(f(vals[0])))
		return
	}
	n := shape[dim]
	stride := numel(shape[dim+1:])
	b.WriteString("[")
	indent := strings.Repeat(" ", len("tensor(")+dim+1)
	for i := 0; i < n; i++ {
		if summarize && n > 2*printEdge && i == printEdge {
			if dim == len(shape)-1 {
				b.WriteString("..., ")
			} else {
				b.WriteString("...,\n" + indent)
			}
			i = n - printEdge
		}
		if dim == len(shape)-1 {
			b.WriteString(f(vals[off+i]))
		} else {
			writeNested(b, vals, shape, dim+1, off+i*stride, summarize, f)
		}
		if i < n-1 {
			if dim == len(shape)-1 {
				b.WriteString(", ")
			} else {
				b.WriteString("," + strings.Repeat("\n", len(shape)-1-dim) + indent)
			}
		}
	}
	b.WriteString("]")
}
