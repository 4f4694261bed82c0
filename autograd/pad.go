package autograd

import (
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// Pad pads x with a constant value. pads lists (before, after) pairs starting from the last
// dimension, as torch.nn.functional.pad: (left, right, top, bottom, ...). The padding is constant,
// so only the original elements get a gradient: the backward cuts the padding off again, one Narrow
// per padded dimension.
func Pad(x *Var, pads []int, value float64) *Var {
	pads = slices.Clone(pads) // the backward reads them later; the caller may reuse its slice
	out := tensor.Pad(x.Value, pads, value)
	return Record("pad", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		shape := x.Shape()
		for i := 0; i < len(pads); i += 2 {
			if pads[i] == 0 && pads[i+1] == 0 {
				continue
			}
			d := len(shape) - 1 - i/2
			g = tensor.Narrow(g, d, pads[i], shape[d])
		}
		return []*tensor.Tensor{g}
	})
}
