// Package autograd is zebra's define-by-run reverse-mode automatic differentiation.
//
// A Var wraps a tensor.Tensor. Every operation in this package computes its result with package
// tensor and, when gradients are enabled and an input requires them, records a node: the inputs and
// a closure that maps the output's gradient to the inputs' gradients. Backward walks those nodes in
// reverse topological order, accumulating gradients of values used more than once, and stores the
// result in the Grad of every leaf Var that requires it.
//
// Each op lives in its own file with its forward and backward side by side (add.go, conv2d.go, ...).
// Composite ops are written in terms of other ops and need no backward of their own. GradCheck
// compares every backward with central finite differences in float64.
package autograd
