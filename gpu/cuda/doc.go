// Package cuda is zebra's CUDA backend. It opens the CUDA driver (libcuda.so.1), NVRTC and, when
// present, cuBLAS at run time with purego, without cgo, so a CGO_ENABLED=0 binary built on a
// machine without a GPU runs on one that has a driver, and reports gpu.ErrUnavailable, naming
// every library path it tried, where there is none.
//
// Open(i) returns CUDA device i in its primary context. Every CUDA call of the process runs on one
// goroutine locked to one OS thread (the driver binds contexts to threads), and all work is
// queued in order on the legacy default stream, so Download sees every earlier kernel's result.
//
// The kernels are gpu/internal/device's shared source, the same the OpenCL backend runs, compiled
// by NVRTC for the device's compute capability on first use of each dtype (machine code for the
// device where NVRTC can produce it, PTX otherwise), cached under os.UserCacheDir()/zebra/ptx keyed
// by a hash of the source, options and NVRTC version and the target. float32 GEMMs go through cublasSgemmStridedBatched when cuBLAS is installed, the
// own tiled kernel otherwise (and for float64). Device memory comes from a caching allocator with
// size-bucketed free lists, so a training step stops calling cuMemAlloc after its first
// iteration; tensors that become garbage return their memory to it (see gpu/internal/device).
//
// SetTF32 lets cuBLAS use the tensor cores with TF32 operands, as cuDNN does for PyTorch's
// convolutions by default (faster, about 1e-3 off float32); StartKernelProfile and
// StopKernelProfile time every kernel and cuBLAS call with CUDA events (zebra-bench train
// -kernel-times prints the table).
//
// Errors carry the driver's cuGetErrorName and cuGetErrorString.
package cuda
