package opencl

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
)

// clAPI holds the OpenCL 1.2 entry points zebra uses, bound from the ICD loader with purego.
// Handles (cl_platform_id, cl_context, cl_mem, ...) are uintptr; every function returns a cl_int
// error code or takes a pointer to one.
type clAPI struct {
	lib *dynlib.Lib

	GetPlatformIDs          func(num uint32, platforms *uintptr, numOut *uint32) int32
	GetPlatformInfo         func(platform uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeOut *uintptr) int32
	GetDeviceIDs            func(platform uintptr, typ uint64, num uint32, devices *uintptr, numOut *uint32) int32
	GetDeviceInfo           func(device uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeOut *uintptr) int32
	CreateContext           func(props unsafe.Pointer, num uint32, devices *uintptr, notify, user uintptr, errcode *int32) uintptr
	CreateCommandQueue      func(ctx, device uintptr, props uint64, errcode *int32) uintptr
	CreateBuffer            func(ctx uintptr, flags uint64, size uintptr, host unsafe.Pointer, errcode *int32) uintptr
	ReleaseMemObject        func(mem uintptr) int32
	EnqueueWriteBuffer      func(queue, buf uintptr, blocking uint32, offset, size uintptr, ptr unsafe.Pointer, numEvents uint32, events, event unsafe.Pointer) int32
	EnqueueReadBuffer       func(queue, buf uintptr, blocking uint32, offset, size uintptr, ptr unsafe.Pointer, numEvents uint32, events, event unsafe.Pointer) int32
	CreateProgramWithSource func(ctx uintptr, count uint32, sources **byte, lengths *uintptr, errcode *int32) uintptr
	BuildProgram            func(program uintptr, numDevices uint32, devices *uintptr, options *byte, notify, user uintptr) int32
	GetProgramBuildInfo     func(program, device uintptr, param uint32, size uintptr, value unsafe.Pointer, sizeOut *uintptr) int32
	CreateKernel            func(program uintptr, name *byte, errcode *int32) uintptr
	SetKernelArg            func(kernel uintptr, index uint32, size uintptr, value unsafe.Pointer) int32
	EnqueueNDRangeKernel    func(queue, kernel uintptr, dims uint32, offset, global, local *uintptr, numEvents uint32, events, event unsafe.Pointer) int32
	Finish                  func(queue uintptr) int32
}

// OpenCL constants (CL/cl.h).
const (
	clSuccess = 0

	clPlatformName = 0x0902

	clDeviceTypeAll         = 0xFFFFFFFF
	clDeviceType            = 0x1000
	clDeviceMaxComputeUnits = 0x1002
	clDeviceMaxWorkGroup    = 0x1004
	clDeviceMaxMemAlloc     = 0x1010
	clDeviceSingleFPConfig  = 0x101B
	clDeviceGlobalMemSize   = 0x101F
	clDeviceLocalMemSize    = 0x1023
	clDeviceName            = 0x102B
	clDeviceVendor          = 0x102C
	clDeviceVersion         = 0x102F
	clDeviceExtensions      = 0x1030

	clFPCorrectlyRoundedDivideSqrt = 1 << 7

	clMemReadWrite    = 1
	clProgramBuildLog = 0x1183
)

// libNames are the ICD loader's names: the versioned one that runtime packages install first,
// then the development symlink.
var libNames = []string{"libOpenCL.so.1", "libOpenCL.so"}

// libDirs are searched after the dynamic linker's own search.
var libDirs = []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
	"/usr/local/cuda/lib64", "/opt/rocm/lib"}

var (
	loadOnce sync.Once
	loadAPI  *clAPI
	loadErr  error
)

// api opens the ICD loader and binds every entry point, once per process.
func api() (*clAPI, error) {
	loadOnce.Do(func() {
		lib, err := dynlib.Open("the OpenCL ICD loader", libNames, libDirs)
		if err != nil {
			loadErr = err
			return
		}
		a := &clAPI{lib: lib}
		b := dynlib.Binder{Lib: lib}
		b.Bind(&a.GetPlatformIDs, "clGetPlatformIDs")
		b.Bind(&a.GetPlatformInfo, "clGetPlatformInfo")
		b.Bind(&a.GetDeviceIDs, "clGetDeviceIDs")
		b.Bind(&a.GetDeviceInfo, "clGetDeviceInfo")
		b.Bind(&a.CreateContext, "clCreateContext")
		b.Bind(&a.CreateCommandQueue, "clCreateCommandQueue")
		b.Bind(&a.CreateBuffer, "clCreateBuffer")
		b.Bind(&a.ReleaseMemObject, "clReleaseMemObject")
		b.Bind(&a.EnqueueWriteBuffer, "clEnqueueWriteBuffer")
		b.Bind(&a.EnqueueReadBuffer, "clEnqueueReadBuffer")
		b.Bind(&a.CreateProgramWithSource, "clCreateProgramWithSource")
		b.Bind(&a.BuildProgram, "clBuildProgram")
		b.Bind(&a.GetProgramBuildInfo, "clGetProgramBuildInfo")
		b.Bind(&a.CreateKernel, "clCreateKernel")
		b.Bind(&a.SetKernelArg, "clSetKernelArg")
		b.Bind(&a.EnqueueNDRangeKernel, "clEnqueueNDRangeKernel")
		b.Bind(&a.Finish, "clFinish")
		loadAPI, loadErr = a, b.Err
	})
	return loadAPI, loadErr
}

// clError is a failed OpenCL call.
type clError struct {
	call string
	code int32
}

func (e *clError) Error() string {
	return fmt.Sprintf("opencl: %s failed: %s (%d)", e.call, errorName(e.code), e.code)
}

func check(call string, code int32) error {
	if code == clSuccess {
		return nil
	}
	return &clError{call, code}
}

// errorName is the CL_* name of an error code.
func errorName(code int32) string {
	names := map[int32]string{
		-1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE", -3: "CL_COMPILER_NOT_AVAILABLE",
		-4: "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5: "CL_OUT_OF_RESOURCES", -6: "CL_OUT_OF_HOST_MEMORY",
		-7: "CL_PROFILING_INFO_NOT_AVAILABLE", -8: "CL_MEM_COPY_OVERLAP", -11: "CL_BUILD_PROGRAM_FAILURE",
		-30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE", -32: "CL_INVALID_PLATFORM",
		-33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT", -36: "CL_INVALID_COMMAND_QUEUE",
		-38: "CL_INVALID_MEM_OBJECT", -43: "CL_INVALID_BUILD_OPTIONS", -44: "CL_INVALID_PROGRAM",
		-45: "CL_INVALID_PROGRAM_EXECUTABLE", -46: "CL_INVALID_KERNEL_NAME", -48: "CL_INVALID_KERNEL",
		-49: "CL_INVALID_ARG_INDEX", -50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE",
		-52: "CL_INVALID_KERNEL_ARGS", -53: "CL_INVALID_WORK_DIMENSION", -54: "CL_INVALID_WORK_GROUP_SIZE",
		-55: "CL_INVALID_WORK_ITEM_SIZE", -56: "CL_INVALID_GLOBAL_OFFSET", -61: "CL_INVALID_BUFFER_SIZE",
		-63: "CL_INVALID_GLOBAL_WORK_SIZE", -1001: "CL_PLATFORM_NOT_FOUND_KHR",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return "unknown OpenCL error"
}

// infoString reads a string-valued clGet*Info parameter.
func infoString(get func(param uint32, size uintptr, value unsafe.Pointer, sizeOut *uintptr) int32, param uint32) string {
	var size uintptr
	if get(param, 0, nil, &size) != clSuccess || size == 0 {
		return ""
	}
	buf := make([]byte, size)
	if get(param, size, unsafe.Pointer(&buf[0]), nil) != clSuccess {
		return ""
	}
	return dynlib.GoString(buf)
}

// infoUint reads an integer-valued (cl_uint, cl_ulong or size_t) clGet*Info parameter.
func infoUint(get func(param uint32, size uintptr, value unsafe.Pointer, sizeOut *uintptr) int32, param uint32, size uintptr) uint64 {
	var v uint64
	if get(param, size, unsafe.Pointer(&v), nil) != clSuccess {
		return 0
	}
	return v
}
