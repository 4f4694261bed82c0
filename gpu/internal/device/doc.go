// Package device implements tensor.Backend once for every GPU API. A GPU API (OpenCL, CUDA)
// provides a small Driver: raw memory, copies to and from the host, and launching a named kernel
// from the shared kernel source (kernels/*.cl) compiled for a dtype. Everything else, argument
// checks, launch geometry, dimension collapsing, the caching allocator and garbage collection of
// device memory, lives here and is tested through whichever driver the test machine has.
//
// This is tinygrad's split (an allocator, a compiler, a program launcher per device) and it keeps
// the CUDA backend, which CI cannot run, down to driver glue around the same kernels and the same
// host code that the OpenCL tests exercise on PoCL.
package device
