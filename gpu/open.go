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
// a kernel call as soon as the kernel is queued (they are tensor.Synchronizers), so a timing must
// end with Synchronize (or with a copy back to the host, which waits too). It does nothing for
// the CPU.
func Synchronize(b tensor.Backend) {
	if s, ok := b.(tensor.Synchronizer); ok {
		s.Synchronize()
	}
}
