// Package opencl is zebra's OpenCL backend. It opens the OpenCL ICD loader (libOpenCL.so.1) at run
// time with purego, without cgo, so one CGO_ENABLED=0 binary runs wherever a vendor driver is
// installed and reports gpu.ErrUnavailable where none is.
//
// Open(i) returns device i, counting every device of every platform in the order the loader lists
// them (see Devices). The backend implements the whole tensor.Backend contract with the kernels of
// gpu/internal/device, compiled by the driver from source on first use of each dtype (one program
// per dtype and context, compiled once per process; Compile does it ahead of time and returns the
// build log on failure). float64 works where the device reports cl_khr_fp64 (PoCL on a CPU does);
// elsewhere a float64 tensor panics, naming the dtype.
//
// Device memory returns to a caching allocator when a tensor becomes garbage, and the allocator
// runs the garbage collector itself when device memory runs short (see gpu/internal/device).
// Kernels are queued in order on one command queue; Download waits for them.
//
// On a machine without a GPU, Debian's pocl-opencl-icd provides an OpenCL device on the CPU,
// which is how CI tests this package.
package opencl
