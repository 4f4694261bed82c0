// Package gpu opens zebra's compute devices by name. The GPU backends themselves live in
// gpu/opencl and gpu/cuda; both load their vendor libraries at run time with purego, so one
// CGO_ENABLED=0 binary built anywhere runs on whatever the machine it lands on offers, and both
// implement tensor.Backend with the same kernel source (gpu/internal/device/kernels), compiled by
// the OpenCL driver or by NVRTC on first use.
//
// A missing library, platform or device is reported as an error that wraps ErrUnavailable and
// names everything that was tried; it is never a crash or a hang. Tensors move between devices
// explicitly with Tensor.To, and an operation on tensors of two devices panics naming both.
//
// Device memory: a GPU tensor returns its buffer to a caching allocator (size-bucketed free lists)
// when the garbage collector finds it unreachable, so a training loop reuses the same buffers
// every iteration instead of asking the driver. Because Go's collector paces itself on the Go heap,
// where a GPU tensor weighs a few dozen bytes, the allocator also watches device memory itself: it
// starts a collection when live device memory grows fast, and collects, waits for the freed
// buffers and retries before it reports that the device is out of memory (a panic naming the
// device and the sizes).
//
// Library search: each backend first lets the dynamic linker find its library by name
// (LD_LIBRARY_PATH, ld.so.cache) and then looks in the usual folders. Setting
// ZEBRA_GPU_LIBRARY_PATH to a ':'-separated list of folders replaces that search.
package gpu
