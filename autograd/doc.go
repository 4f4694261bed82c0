// Package autograd is zebra's define-by-run reverse-mode automatic differentiation.
//
// A Var wraps a tensor.Tensor. Every operation in this package computes its result with package
// tensor and, when gradients are enabled and an input requires them, records a node: the inputs and
// a closure that maps the output's gradient to the inputs' gradients. Backward walks those nodes in
// reverse topological order, accumulating gradients of values used more than once, and stores the
// result in the Grad of every leaf Var that requires it.
//
// Each op lives in its own file with its forward and backward side by side (add.go, conv2d.go, ...),
// and records itself with Record, which is exported so that users add ops of their own the same way
// (the counterpart of torch.autograd.Function; see ExampleRecord).
// Composite ops (Mean, Variance, Transpose) are written in terms of other ops and need no backward
// of their own. GradCheck compares every backward with central finite differences in float64;
// cmd/zebra-gradcheck runs it over every op and layer.
//
// The ops follow PyTorch's names and conventions: Neg Abs Exp Log Sqrt Square Tanh Sigmoid Relu
// LeakyRelu PowScalar Scale AddScalar (elementwise); Add Sub Mul Div Maximum Minimum (elementwise
// with NumPy broadcasting; the backward sums each gradient back to its input's shape); Sum Mean Max
// Min Variance (over any set of axes, keepdim or not; Variance is torch.var, renamed because Var is
// the type); Reshape Permute Transpose Narrow Concat Pad Expand SumTo (shapes); Matmul (batched, or
// with a weight shared by the batch) and Cast. Where an op has no derivative, the gradient is
// PyTorch's choice, checked against PyTorch's own values: 0 for ReLU and |x| at 0, slope for
// LeakyRelu at 0, half to each side of a tie in Maximum and Minimum, an even split among ties in
// Max and Min.
//
// There is no global grad mode. An op records a node only when one of its inputs requires a
// gradient, so evaluation (sampling, validation) turns its parameters' gradients off with
// SetRequiresGrad (nn.RequiresGrad does it for a whole module) and feeds constants: nothing is
// recorded and no activation is kept. The flag belongs to the Vars, so a goroutine that trains
// other parameters at the same time keeps its graph.
//
// A backward never computes a gradient that no input asks for: an op whose inputs are all constants
// records nothing, and a binary op skips the side that does not require a gradient.
package autograd
