package tensor

import (
	"fmt"
	"slices"
)

// Reshape returns t with a new shape of the same number of elements, sharing its storage. One
// dimension may be -1 and is then inferred.
func Reshape(t *Tensor, shape ...int) *Tensor {
	requested := shape
	shape = slices.Clone(shape)
	infer := -1
	known := 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor.Reshape: invalid shape %v for %v", requested, t.shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 { // -1 could be anything, as PyTorch says
			panic(fmt.Sprintf("tensor.Reshape: cannot infer the -1 in %v for %v (%d elements)", requested, t.shape, t.Numel()))
		}
		shape[infer] = t.Numel() / known
	}
	if Numel(shape) != t.Numel() {
		panic(fmt.Sprintf("tensor.Reshape: shape %v does not fit %v (%d elements)", requested, t.shape, t.Numel()))
	}
	return &Tensor{shape: shape, dtype: t.dtype, storage: t.storage}
}

// Permute reorders the dimensions: output dimension i is input dimension perm[i].
func Permute(t *Tensor, perm ...int) *Tensor {
	if len(perm) != t.NDim() {
		panic(fmt.Sprintf("tensor.Permute: permutation %v for shape %v", perm, t.shape))
	}
	seen := make([]bool, len(perm))
	inStrides := ContiguousStrides(t.shape)
	shape := make([]int, len(perm))
	srcStrides := make([]int, len(perm))
	for i, p := range perm {
		p = normAxis("tensor.Permute", p, t.NDim())
		if seen[p] {
			panic(fmt.Sprintf("tensor.Permute: %v is not a permutation", perm))
		}
		seen[p] = true
		shape[i], srcStrides[i] = t.shape[p], inStrides[p]
	}
	out := New(t.Backend(), t.dtype, shape...)
	t.Backend().Copy(out.storage, 0, ContiguousStrides(shape), t.storage, 0, srcStrides, shape)
	return out
}

// Transpose swaps two dimensions.
func Transpose(t *Tensor, d0, d1 int) *Tensor {
	perm := make([]int, t.NDim())
	for i := range perm {
		perm[i] = i
	}
	d0, d1 = normAxis("tensor.Transpose", d0, t.NDim()), normAxis("tensor.Transpose", d1, t.NDim())
	perm[d0], perm[d1] = perm[d1], perm[d0]
	return Permute(t, perm...)
}

// Narrow returns elements start..start+length-1 of dimension dim, as a copy.
func Narrow(t *Tensor, dim, start, length int) *Tensor {
	dim = normAxis("tensor.Narrow", dim, t.NDim())
	if start < 0 || length < 0 || start+length > t.shape[dim] {
		panic(fmt.Sprintf("tensor.Narrow: [%d, %d) out of range for dimension %d of shape %v", start, start+length, dim, t.shape))
	}
	shape := slices.Clone(t.shape)
	shape[dim] = length
	out := New(t.Backend(), t.dtype, shape...)
	strides := ContiguousStrides(t.shape)
	t.Backend().Copy(out.storage, 0, ContiguousStrides(shape), t.storage, start*strides[dim], strides, shape)
	return out
}

// Concat joins tensors along dim; all other dimensions must agree.
func Concat(ts []*Tensor, dim int) *Tensor {
	if len(ts) == 0 {
		panic("tensor.Concat: no tensors")
	}
	sameDevice("tensor.Concat", ts...)
	sameDType("tensor.Concat", ts...)
	dim = normAxis("tensor.Concat", dim, ts[0].NDim())
	shape := slices.Clone(ts[0].shape)
	shape[dim] = 0
	for _, t := range ts {
		if t.NDim() != len(shape) {
			panic(fmt.Sprintf("tensor.Concat: shapes %v and %v have different ranks", ts[0].shape, t.shape))
		}
		for d := range shape {
			if d != dim && t.shape[d] != ts[0].shape[d] {
				panic(fmt.Sprintf("tensor.Concat: shapes %v and %v differ outside dimension %d", ts[0].shape, t.shape, dim))
			}
		}
		shape[dim] += t.shape[dim]
	}
	out := New(ts[0].Backend(), ts[0].dtype, shape...)
	outStrides := ContiguousStrides(shape)
	off := 0
	for _, t := range ts {
		t.Backend().Copy(out.storage, off*outStrides[dim], outStrides, t.storage, 0, ContiguousStrides(t.shape), t.shape)
		off += t.shape[dim]
	}
	return out
}

// Pad pads with a constant value. pads lists (before, after) pairs starting from the last
// dimension, as torch.nn.functional.pad: (left, right, top, bottom, ...). Pads must be ≥ 0.
func Pad(t *Tensor, pads []int, value float64) *Tensor {
	if len(pads)%2 != 0 || len(pads)/2 > t.NDim() {
		panic(fmt.Sprintf("tensor.Pad: pads %v for shape %v", pads, t.shape))
	}
	shape := slices.Clone(t.shape)
	outStrides := func() []int { return ContiguousStrides(shape) }
	before := make([]int, t.NDim())
	for i := 0; i < len(pads); i += 2 {
		d := t.NDim() - 1 - i/2
		if pads[i] < 0 || pads[i+1] < 0 {
			panic(fmt.Sprintf("tensor.Pad: negative pad in %v", pads))
		}
		before[d] = pads[i]
		shape[d] += pads[i] + pads[i+1]
	}
	out := FullLike(New(t.Backend(), t.dtype, shape...), value)
	strides := outStrides()
	off := 0
	for d, b := range before {
		off += b * strides[d]
	}
	t.Backend().Copy(out.storage, off, strides, t.storage, 0, ContiguousStrides(t.shape), t.shape)
	return out
}

// Expand materializes t broadcast to shape.
func Expand(t *Tensor, shape ...int) *Tensor {
	if b := BroadcastShapes("tensor.Expand", t.shape, shape); !sameShape(b, shape) {
		panic(fmt.Sprintf("tensor.Expand: %v does not broadcast to %v", t.shape, shape))
	}
	out := New(t.Backend(), t.dtype, shape...)
	t.Backend().Copy(out.storage, 0, ContiguousStrides(shape), t.storage, 0, broadcastStrides(t.shape, shape), shape)
	return out
}
