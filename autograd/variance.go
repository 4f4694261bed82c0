package autograd

// Variance is the variance over axes (all when empty): Σ(x - mean)² / (N - correction). correction 1
// is torch.var's unbiased default, 0 the biased variance that InstanceNorm uses. It is a composite of
// Mean, Sub, Square, Sum and Scale, so its gradient, 2(x - mean)/(N - correction), needs no code of
// its own (the mean's own dependence on x contributes Σ 2(x-mean)·(-1/N) = 0, and the graph computes
// exactly that). It is PyTorch's var; the name Var belongs to the type.
func Variance(x *Var, axes []int, keepdim bool, correction int) *Var {
	dev := Sub(x, Mean(x, axes, true))
	return Scale(Sum(Square(dev), axes, keepdim), 1/float64(countOver(x.Shape(), axes)-correction))
}
