// Package backendtest is the conformance suite of the tensor.Backend kernel contract. A backend's
// test file calls it in one line,
//
//	func TestConformance(t *testing.T) { backendtest.Run(t, mybackend) }
//
// and Run compares every kernel of the backend with tensor.CPU, the specification, on the same
// inputs: random and ragged sizes (0, 1, odd, large enough to split across goroutines), broadcasting
// and permuted strides, offsets, guard bands around every destination (elements a kernel must not
// touch are filled with values it must leave alone), destinations that start out full of garbage
// (every kernel overwrites), and aliasing where the contract allows it.
//
// Each comparison passes when |got − want| ≤ atol + rtol·scale for every element, where scale is
// |want| for most kernels and the sum of the magnitudes of the terms for sums (Reduce sum, Gemm,
// Col2im), so that a different but sound summation order passes and a wrong term does not.
// Tolerances, float32 / float64:
//
//	Upload, Download, Fill, Cast, Copy, Im2col, ReflectPad, max/min reductions,
//	Unary neg abs sign square relu leaky_relu scale add_scalar,
//	Binary add sub mul maximum minimum greater equal leaky_relu_backward   exact
//	Binary div, Unary sqrt                                            rtol 4e-7 (3 ulp) / 1e-15
//	Unary exp log tanh sigmoid pow                                    rtol 1e-5, atol 1e-6 / 1e-13, 1e-15
//	Reduce sum, Col2im, ReflectPadBackward (scale Σ|terms|)            rtol 1e-5 / 1e-13
//	Gemm (scale |α|·Σ|a||b| + |β|·|c|)                                 rtol 1e-5 / 1e-13
//	InstanceNormForward y, mean, rstd                                  rtol 1e-4, atol 1e-5 / 1e-11, 1e-12
//	InstanceNormBackward dx                                            rtol 1e-4, atol 1e-5 / 1e-11, 1e-12
//	AdamStep param, m, v                                               rtol 1e-6, atol 1e-7 / 1e-14, 1e-15
//
// float32 tolerances allow a GPU's fused multiply-adds, float32 accumulation in a tree order and
// OpenCL's 3-ulp division; they do not allow a one-pass variance or a dropped term. float64 is
// checked too unless the backend says it has none (NoFloat64).
//
// Inputs are finite: NaN and infinity propagation is specified by the CPU backend's own tests but
// not demanded of every device.
package backendtest
