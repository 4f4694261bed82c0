// Package gputest holds the helpers that the GPU backends' tests share beyond the kernel
// conformance suite (tensor/backendtest): host transfers in float64, child processes for the
// "library missing" cases, and the GEMM benchmark against the CPU. The CycleGAN step compared
// with the CPU lives beside the model, in models/cyclegan/cyclegantest, which runs it on every
// GPU backend: the GPU packages never import the model, not even in tests.
package gputest
