package device

import (
	"embed"
	"strings"
	"unsafe"

	"github.com/zebra-go/zebra/tensor"
)

// Mem is a device allocation as the driver names it: a cl_mem handle or a CUdeviceptr.
type Mem uintptr

// Driver is what a GPU API provides to Backend. Methods other than Alloc and Compile panic on
// failure: they are called from tensor.Backend methods, which have no error results, and a failure
// there is a lost device or a bug, not something a caller can handle.
type Driver interface {
	// Name is the device's name in zebra, e.g. "opencl:0".
	Name() string
	// FP64 reports whether the device computes in double precision.
	FP64() bool
	// MemBytes is the device memory the allocator may plan to fill.
	MemBytes() int64

	// Alloc returns a new allocation of bytes bytes (contents undefined), or an error, typically
	// out of memory.
	Alloc(bytes int) (Mem, error)
	// Free releases an allocation. It may be called from any goroutine.
	Free(m Mem)
	// Write copies bytes bytes from host memory at src to the start of dst and returns when src
	// may be reused.
	Write(dst Mem, src unsafe.Pointer, bytes int)
	// Read copies bytes bytes from the start of src to host memory at dst, after every kernel
	// launched before it has finished.
	Read(dst unsafe.Pointer, src Mem, bytes int)

	// Compile builds the kernel program for dtype dt (Source with REAL_DOUBLE defined for
	// Float64) unless it is built already. A build failure returns the compiler's log.
	Compile(dt tensor.DType) error
	// Launch runs kernel name of dt's program (compiling it first if need be) on groups
	// work-groups of local work-items each, in launch order after every earlier launch. Each
	// argument is the bytes of one kernel parameter: a Mem as 8 bytes, an int as 4, a real as 4
	// or 8, a struct as its C layout.
	Launch(dt tensor.DType, name string, groups, local [3]int, args [][]byte)

	// Gemm may run g on a vendor BLAS and report true, or report false to use the own kernel.
	// a, b and c are g.A, g.B and g.C's allocations.
	Gemm(g tensor.GemmArgs, a, b, c Mem) bool
}

//go:embed kernels/*.cl
var kernelFiles embed.FS

// kernelOrder is the order in which the kernel files are concatenated: common.cl holds the types
// and helpers the others use.
var kernelOrder = []string{"common.cl", "elementwise.cl", "reduce.cl", "gemm.cl", "conv.cl", "norm.cl"}

// Source is the kernel program, written against the macros that a driver's prelude defines (see
// kernels/common.cl) and the op codes generated from package tensor (opCodes). A driver compiles
// prelude + Source once per dtype.
var Source = func() string {
	var sb strings.Builder
	sb.WriteString(opCodes())
	for _, name := range kernelOrder {
		b, err := kernelFiles.ReadFile("kernels/" + name)
		if err != nil {
			panic(err)
		}
		sb.WriteString("// ---- " + name + "\n")
		sb.Write(b)
		sb.WriteString("\n")
	}
	return sb.String()
}()
