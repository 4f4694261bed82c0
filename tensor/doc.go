// Package tensor holds zebra's numbers: dense, contiguous, row-major tensors of float32 (for training)
// or float64 (for gradient checking), the Backend interface that every device implements, and the CPU
// backend, which is the specification the other backends are tested against.
//
// A Tensor is a shape, a dtype and a Storage owned by a Backend. Every operation in this package checks
// shapes, dtypes and devices, allocates its result on the inputs' backend and calls one or a few
// Backend kernels; the package knows nothing about gradients (see package autograd for that).
//
// Tensors are always contiguous. Reshape shares storage (like a PyTorch view of a contiguous tensor);
// every other shape operation (Permute, Narrow, Concat, Pad, Expand) copies through the backend's
// strided Copy kernel. This keeps every kernel simple enough to write for a GPU in an afternoon.
//
// Besides the Backend kernels, a backend may implement Im2colGemmer: a GEMM whose B is the im2col
// matrix of an image, formed block by block where the GEMM packs it instead of being built whole.
// The CPU backend does (through internal/gemm's SgemmSource); package autograd's convolutions use
// it when it is there and Im2col followed by Gemm when it is not.
//
// Programmer errors (mismatched shapes or dtypes, tensors on two devices) panic with a message that
// names the operation and the shapes involved, as PyTorch raises.
//
// How the CPU backend earns the name of specification: every forward op is compared with PyTorch
// on golden files (testdata, written by scripts/golden/tensor_ops.py; String too, character by
// character), and every kernel with an independent, obviously correct reference in the tests
// (naive index math, a convolution from its definition, adjoint identities, finite differences).
// Other backends are then compared with the CPU by the conformance suite in tensor/backendtest.
package tensor
