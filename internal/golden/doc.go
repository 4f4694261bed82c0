// Package golden reads the JSON golden files that the generators in scripts/golden write with
// PyTorch, for the tests that compare zebra with them (tensor's ops, autograd's edge gradients).
//
// The files are plain JSON but for one thing: JSON has no NaN or infinities, and a golden value
// may be either (the gradient of sqrt at 0, the log of 0), so the generators write them as the
// strings "nan", "inf" and "-inf". Number reads those as well as ordinary numbers; Tensor is a
// tensor as the generators write it. The package imports nothing of zebra, so that package
// tensor's own tests can use it.
package golden
