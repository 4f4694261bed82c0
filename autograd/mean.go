package autograd

// Mean is the arithmetic mean over axes (all when empty), a composite: Sum scaled by 1/N, where N
// is the number of elements averaged into each output element.
func Mean(x *Var, axes []int, keepdim bool) *Var {
	return Scale(Sum(x, axes, keepdim), 1/float64(countOver(x.Shape(), axes)))
}
