package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// InterpolateBilinear resizes every [H, W] plane of x ([N, C, H, W] or [C, H, W]) to oh×ow by
// bilinear interpolation, as torch.nn.functional.interpolate(x, size=(oh, ow),
// mode="bilinear", align_corners=False). Output row i samples the input at
//
//	src = (i + 0.5)·H/oh − 0.5, clamped below at 0,
//
// (pixel centres aligned, not corners), mixing rows ⌊src⌋ and ⌊src⌋ + 1 (the last row with
// itself) with weights 1 − frac and frac, and likewise for columns. There is no antialiasing:
// shrinking reads two rows per output row whatever the factor, as PyTorch does by default.
// Interpolation is a separable linear map (Separable2d), so its gradient is the transposed
// map and needs no code of its own.
//
// Shape: output [N, C, oh, ow].
func InterpolateBilinear(x *Var, oh, ow int) *Var {
	shape := x.Shape()
	if nd := len(shape); (nd != 3 && nd != 4) || oh < 1 || ow < 1 {
		panic(fmt.Sprintf("autograd.InterpolateBilinear: input %v to %dx%d: want [N, C, H, W] or [C, H, W] and a positive output size", shape, oh, ow))
	}
	dt := x.DType()
	return Separable2d(x, bilinearMap(dt, shape[len(shape)-2], oh), bilinearMap(dt, shape[len(shape)-1], ow))
}

// bilinearMap is the [out, in] matrix of linear interpolation along one axis, with PyTorch's
// align_corners=False source index (area_pixel_compute_source_index).
func bilinearMap(dt tensor.DType, in, out int) *tensor.Tensor {
	m := make([]float64, out*in)
	scale := float64(in) / float64(out)
	for i := range out {
		src := max((float64(i)+0.5)*scale-0.5, 0)
		lo := int(src) // floor, src ≥ 0
		hi := lo
		if lo < in-1 {
			hi = lo + 1
		}
		frac := src - float64(lo)
		m[i*in+lo] += 1 - frac
		m[i*in+hi] += frac
	}
	return tensor.Cast(tensor.FromFloat64(m, out, in), dt)
}
