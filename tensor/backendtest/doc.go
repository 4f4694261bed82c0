// Package backendtest is the conformance suite of the tensor.Backend kernel contract. A backend's
// test file calls it in one line,
//
//	func TestConformance(t *testing.T) { backendtest.Run(t, mybackend) }
//
// (with backendtest.NoFloat64() for a device without float64), and Run compares every kernel of the
// backend with tensor.CPU, the specification, on the same inputs: random and ragged sizes (0, 1,
// odd, large enough to split across goroutines), broadcasting, permuted and zero strides, offsets
// and leading dimensions, guard bands around every destination (elements a kernel must not touch
// hold values it must leave alone), destinations that start out full of garbage or NaN (every
// kernel overwrites), aliasing where the contract allows it, and inputs that must be left intact.
// A last subtest, Ops, runs package tensor's composite operations on the backend end to end.
// The optional capabilities of tensor/capabilities.go are checked when the backend implements
// them (Run logs which it does): GemmIm2col, Convolver, ReflectConvolver, Release (a kernel queued before it still
// reads the data; Alloc after it is zeroed), AllocEmpty, Synchronize, Compile and AllFinite
// (FiniteChecker; on a backend without it, tensor.AllFinite's composed Σ x·0 is checked instead).
//
// Each comparison passes when |got − want| ≤ atol + rtol·scale for every element, where scale is
// |want| for most kernels and the sum of the magnitudes of the terms for sums (Reduce sum, Gemm,
// Col2im, ReflectPadBackward), so that a different but sound summation order passes and a wrong
// term does not. Tolerances, float32 / float64:
//
//	Upload, Download, Fill, Cast, Copy, Im2col, ReflectPad, Reduce max and min,
//	Unary neg abs sign square relu leaky_relu scale add_scalar,
//	Binary add sub mul maximum minimum greater equal leaky_relu_backward      exact
//	Binary div, Unary sqrt                                    rtol 3.6e-7 (3 ulp) / 1e-15
//	Unary exp log tanh sigmoid pow                            atol 1e-6, rtol 1e-5 / 1e-15, 1e-13
//	Reduce sum, Col2im, ReflectPadBackward (scale Σ|terms|)    rtol 1e-5 / 1e-13
//	Gemm (scale |α|·Σ|a·b| + |β|·|c|)                          rtol 1e-5 / 1e-13
//	Convolver, ReflectConvolver (scale: the pass on |operands|) rtol 1e-5 / 1e-13
//	InstanceNormForward y, mean, rstd                          atol 1e-5, rtol 1e-4 / 1e-12, 1e-11
//	InstanceNormBackward dx (scale rstd·max|dy| of the plane)  atol 1e-5, rtol 1e-4 / 1e-12, 1e-11
//	AdamStep param, m, v                                       atol 1e-7, rtol 1e-6 / 1e-15, 1e-14
//	Ops (composites)                                           atol 1e-5, rtol 1e-4 / 1e-12, 1e-12
//
// "Exact" assumes what the CPU does: a kernel's scalar parameter (a LeakyRelu slope, a Scale
// factor) is first rounded to the dtype, and each result is one correctly rounded operation. The
// float32 tolerances allow a GPU's fused multiply-adds, float32 accumulation in tree order and
// OpenCL's 3-ulp division and square root; they do not allow a one-pass E[x²]−E[x]² variance or a
// dropped term (the package's own tests prove that the suite fails on such bugs).
//
// Inputs are finite, except AllFinite's: NaN and infinity propagation is specified by the CPU
// backend's own tests against PyTorch but not demanded of every device, beyond x·0 being NaN for
// a NaN or an infinity x and a sum with a NaN term being NaN, which tensor.AllFinite relies on.
package backendtest
