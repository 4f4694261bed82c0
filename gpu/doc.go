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

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/gpu/cuda"
	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/gpu/opencl"
	"github.com/zebra-go/zebra/tensor"
)

// ErrUnavailable is wrapped by every error that means "this machine has no such device": a
// library, platform or device that is not there. Test for it with errors.Is.
var ErrUnavailable = dynlib.ErrUnavailable

// LibraryPathEnv is the environment variable that replaces the library search (see the package
// documentation).
const LibraryPathEnv = dynlib.PathEnv

// Open returns the backend named by device: "cpu", "opencl" or "opencl:N" (the N-th OpenCL device,
// counted over all platforms, see opencl.Devices), "cuda" or "cuda:N". The name is what
// tensor.Backend.Name reports, so Open(b.Name()) returns b again.
func Open(device string) (tensor.Backend, error) {
	kind, indexText, hasIndex := strings.Cut(device, ":")
	index := 0
	if hasIndex {
		n, err := strconv.Atoi(indexText)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("gpu: device %q: index %q is not a number ≥ 0", device, indexText)
		}
		index = n
	}
	switch kind {
	case "cpu":
		if hasIndex {
			return nil, fmt.Errorf("gpu: device %q: the cpu takes no index", device)
		}
		return tensor.CPU, nil
	case "opencl":
		b, err := opencl.Open(index)
		if err != nil {
			return nil, err
		}
		return b, nil
	case "cuda":
		b, err := cuda.Open(index)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, fmt.Errorf("gpu: unknown device %q (want cpu, opencl[:N] or cuda[:N])", device)
}

// Synchronize waits until the device has run all the work queued on it: GPU backends return from
// a kernel call as soon as the kernel is queued, so a timing must end with Synchronize (or with a
// copy back to the host, which waits too). It does nothing for the CPU.
func Synchronize(b tensor.Backend) {
	if s, ok := b.(interface{ Synchronize() }); ok {
		s.Synchronize()
	}
}
