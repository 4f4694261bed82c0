package tensor

import (
	"fmt"
	"math"
	"strings"
)

// The print options are PyTorch's defaults: 4 decimals, tensors of more than 1000 elements are
// summarized by their first and last 3 entries along each dimension, lines wrap at 80 characters.
const (
	printPrecision = 4
	printThreshold = 1000
	printEdge      = 3
	printLineWidth = 80
)

// String formats the tensor exactly as PyTorch's repr (torch/_tensor_str.py) does, so that printed
// values can be compared with a PyTorch session character by character:
//
//	tensor([[ 1.0000, -2.5000],
//	        [ 0.0000,  3.0000]], dtype=float64)
//
// One number format is chosen for all entries: integers print as "1." (integer mode), ordinary
// ranges with four decimals, and scientific notation is used when the nonzero finite magnitudes
// span more than a factor of 1000, exceed 1e8, or (outside integer mode) go below 1e-4. Large
// tensors are summarized with "...". The dtype is shown unless it is float32 (PyTorch's default),
// and named without PyTorch's "torch." prefix; the device is shown unless it is the CPU.
func (t *Tensor) String() string {
	const prefix = "tensor("
	var suffixes []string
	if name := t.Backend().Name(); name != "cpu" {
		suffixes = append(suffixes, fmt.Sprintf("device='%s'", name))
	}
	var body string
	if t.Numel() == 0 {
		body = "[]"
		if t.NDim() != 1 {
			suffixes = append(suffixes, "size="+pythonTuple(t.shape))
		}
	} else {
		vals := t.Float64s()
		summarize := len(vals) > printThreshold
		shown := vals
		if summarize {
			shown = summarizedValues(vals, t.shape)
		}
		f := newNumberFormat(shown)
		body = formatBlock(vals, t.shape, len(prefix), summarize, f)
	}
	if t.dtype != Float32 {
		suffixes = append(suffixes, "dtype="+t.dtype.String())
	}
	return addSuffixes(prefix+body, suffixes, len(prefix))
}

// numberFormat is PyTorch's _Formatter: one format and one width for every entry.
type numberFormat struct {
	intMode, sciMode bool
	width            int
}

// newNumberFormat chooses the format from the nonzero finite values (zeros, NaNs and infinities
// print in whatever format the others chose, and do not widen it).
func newNumberFormat(vals []float64) numberFormat {
	f := numberFormat{intMode: true, width: 1}
	var finite []float64
	minAbs, maxAbs := math.Inf(1), 0.0
	for _, v := range vals {
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		finite = append(finite, v)
		minAbs, maxAbs = min(minAbs, math.Abs(v)), max(maxAbs, math.Abs(v))
		if v != math.Ceil(v) {
			f.intMode = false
		}
	}
	if len(finite) == 0 {
		return f
	}
	f.sciMode = maxAbs/minAbs > 1000 || maxAbs > 1e8 || (!f.intMode && minAbs < 1e-4)
	for _, v := range finite {
		f.width = max(f.width, len(f.plain(v)))
	}
	return f
}

// plain formats v without padding.
func (f numberFormat) plain(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case f.sciMode:
		return fmt.Sprintf("%.*e", printPrecision, v)
	case f.intMode:
		return fmt.Sprintf("%.0f.", v)
	}
	return fmt.Sprintf("%.*f", printPrecision, v)
}

// format formats v right-aligned in the common width.
func (f numberFormat) format(v float64) string {
	s := f.plain(v)
	return strings.Repeat(" ", max(0, f.width-len(s))) + s
}

// summarizedValues returns the entries a summarized print shows (PyTorch's get_summarized_data):
// along each dimension longer than 2*printEdge, only the first and last printEdge.
func summarizedValues(vals []float64, shape []int) []float64 {
	if len(shape) == 0 {
		return vals
	}
	n, stride := shape[0], Numel(shape[1:])
	var out []float64
	for _, i := range shownIndices(n) {
		out = append(out, summarizedValues(vals[i*stride:(i+1)*stride], shape[1:])...)
	}
	return out
}

// shownIndices lists the indices of a dimension of size n that a summarized print shows.
func shownIndices(n int) []int {
	var idx []int
	for i := range n {
		if n <= 2*printEdge || i < printEdge || i >= n-printEdge {
			idx = append(idx, i)
		}
	}
	return idx
}

// formatBlock formats the block vals of the given shape whose opening bracket sits after indent
// characters.
func formatBlock(vals []float64, shape []int, indent int, summarize bool, f numberFormat) string {
	if len(shape) == 0 {
		return f.format(vals[0])
	}
	n, stride := shape[0], Numel(shape[1:])
	elided := summarize && n > 2*printEdge
	var parts []string
	for i := range n {
		if elided && i >= printEdge && i < n-printEdge {
			if i == printEdge {
				if len(shape) == 1 {
					parts = append(parts, " ...")
				} else {
					parts = append(parts, "...")
				}
			}
			continue
		}
		if len(shape) == 1 {
			parts = append(parts, f.format(vals[i]))
		} else {
			parts = append(parts, formatBlock(vals[i*stride:(i+1)*stride], shape[1:], indent+1, summarize, f))
		}
	}
	if len(shape) > 1 {
		sep := "," + strings.Repeat("\n", len(shape)-1) + strings.Repeat(" ", indent+1)
		return "[" + strings.Join(parts, sep) + "]"
	}
	// A row wraps so that each line holds as many entries (plus ", ") as fit in the line width.
	perLine := max(1, (printLineWidth-indent)/(f.width+2))
	var lines []string
	for lo := 0; lo < len(parts); lo += perLine {
		lines = append(lines, strings.Join(parts[lo:min(lo+perLine, len(parts))], ", "))
	}
	return "[" + strings.Join(lines, ",\n"+strings.Repeat(" ", indent+1)) + "]"
}

// addSuffixes appends ", dtype=..." and the like, starting a new line when the current one would
// grow past the line width (PyTorch's _add_suffixes, whose line length counts two extra).
func addSuffixes(s string, suffixes []string, indent int) string {
	var b strings.Builder
	b.WriteString(s)
	lineLen := len(s) - strings.LastIndex(s, "\n") + 1
	for _, suf := range suffixes {
		if lineLen+len(suf)+2 > printLineWidth {
			b.WriteString(",\n" + strings.Repeat(" ", indent) + suf)
			lineLen = indent + len(suf)
		} else {
			b.WriteString(", " + suf)
			lineLen += len(suf) + 2
		}
	}
	b.WriteString(")")
	return b.String()
}

// pythonTuple formats a shape as Python prints a tuple: (2, 0), (3,), ().
func pythonTuple(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	if len(shape) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
