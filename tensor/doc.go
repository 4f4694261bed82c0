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
// Convolution is planned here, not in autograd: Conv2d, Conv2dInput (its input gradient, which is
// also ConvTranspose2d's forward) and Conv2dWeight (its weight gradient, summed over the batch)
// take one geometry, ConvGeom. Each pass picks its form (a stride-1 convolution from many
// channels to few runs as the transposed convolution of a flipped kernel, whose columns are
// smaller) and then runs on the backend's Convolver when it has one, or else on the composed path
// of Im2col, Gemm and Col2im, in strips of output rows when the columns would be large. The CPU
// backend is a Convolver: its GEMM forms the im2col columns block by block where it packs them
// (Im2colGemmer, through internal/gemm's SgemmSource), and ConvAlgorithm (ZEBRA_CONV) says when
// it uses Winograd's algorithm instead.
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
