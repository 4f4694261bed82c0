package cuda

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
)

// driverAPI holds the CUDA driver API entry points zebra uses (cuda.h), bound with purego.
// CUresult is int32; CUdevice is int32; contexts, modules and functions are uintptr handles;
// device pointers are uint64.
type driverAPI struct {
	lib *dynlib.Lib

	Init                   func(flags uint32) int32
	DriverGetVersion       func(version *int32) int32
	DeviceGetCount         func(count *int32) int32
	DeviceGet              func(dev *int32, ordinal int32) int32
	DeviceGetName          func(name *byte, size int32, dev int32) int32
	DeviceGetAttribute     func(value *int32, attr int32, dev int32) int32
	DeviceTotalMem         func(bytes *uint64, dev int32) int32
	DevicePrimaryCtxRetain func(ctx *uintptr, dev int32) int32
	CtxSetCurrent          func(ctx uintptr) int32
	CtxSynchronize         func() int32
	MemAlloc               func(ptr *uint64, bytes uintptr) int32
	MemFree                func(ptr uint64) int32
	MemcpyHtoD             func(dst uint64, src unsafe.Pointer, bytes uintptr) int32
	MemcpyDtoH             func(dst unsafe.Pointer, src uint64, bytes uintptr) int32
	ModuleLoadData         func(module *uintptr, image unsafe.Pointer) int32
	ModuleGetFunction      func(fn *uintptr, module uintptr, name *byte) int32
	LaunchKernel           func(fn uintptr, gx, gy, gz, bx, by, bz, sharedBytes uint32, stream uintptr, params, extra unsafe.Pointer) int32
	GetErrorName           func(code int32, name **byte) int32
	GetErrorString         func(code int32, text **byte) int32

	// Optional, for the kernel profile (see profile.go): nil where the library lacks them.
	EventCreate      func(event *uintptr, flags uint32) int32
	EventRecord      func(event uintptr, stream uintptr) int32
	EventSynchronize func(event uintptr) int32
	EventElapsedTime func(ms *float32, start, end uintptr) int32
}

// Device attributes (CUdevice_attribute).
const (
	attrMultiprocessorCount = 16
	attrComputeCapMajor     = 75
	attrComputeCapMinor     = 76
)

// cudaDirs are the usual folders of CUDA libraries, searched after the dynamic linker's own
// search: a toolkit install, Debian/Ubuntu multiarch, RHEL, WSL, the driver folder of NVIDIA's
// container toolkit, and the wheels that pip installs with PyTorch, which often are the only copy
// of NVRTC and cuBLAS on a machine that has a driver but no toolkit. CUDA 12's wheels put each
// library in nvidia/<wheel>/lib (nvidia-cuda-nvrtc-cu12, nvidia-cublas-cu12); CUDA 13's put them
// all in nvidia/cu13/lib.
func cudaDirs(wheel string) []string {
	var dirs []string
	for _, env := range []string{"CUDA_PATH", "CUDA_HOME"} {
		if root := os.Getenv(env); root != "" {
			dirs = append(dirs, filepath.Join(root, "lib64"), filepath.Join(root, "lib"))
		}
	}
	dirs = append(dirs, "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
		"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib", "/usr/local/lib", "/usr/local/nvidia/lib64")
	if wheel == "" {
		return dirs
	}
	home, _ := os.UserHomeDir()
	sitePackages := []string{
		"/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"/opt/conda/lib/python3*/site-packages",
		"/opt/*/.venv/lib/python3*/site-packages",
		filepath.Join(home, ".local/lib/python3*/site-packages"),
	}
	if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
		sitePackages = append([]string{filepath.Join(venv, "lib/python3*/site-packages")}, sitePackages...)
	}
	for _, site := range sitePackages {
		for _, lib := range []string{"nvidia/" + wheel + "/lib", "nvidia/cu13/lib"} {
			matches, _ := filepath.Glob(filepath.Join(site, lib))
			dirs = append(dirs, matches...)
		}
	}
	return dirs
}

var (
	driverOnce sync.Once
	driverLib  *driverAPI
	driverErr  error
)

// loadDriver opens libcuda and binds the driver API, once per process.
func loadDriver() (*driverAPI, error) {
	driverOnce.Do(func() {
		lib, err := dynlib.Open("the CUDA driver", []string{"libcuda.so.1", "libcuda.so"}, cudaDirs(""))
		if err != nil {
			driverErr = err
			return
		}
		a := &driverAPI{lib: lib}
		b := dynlib.Binder{Lib: lib}
		b.Bind(&a.Init, "cuInit")
		b.Bind(&a.DriverGetVersion, "cuDriverGetVersion")
		b.Bind(&a.DeviceGetCount, "cuDeviceGetCount")
		b.Bind(&a.DeviceGet, "cuDeviceGet")
		b.Bind(&a.DeviceGetName, "cuDeviceGetName")
		b.Bind(&a.DeviceGetAttribute, "cuDeviceGetAttribute")
		b.Bind(&a.DeviceTotalMem, "cuDeviceTotalMem_v2")
		b.Bind(&a.DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
		b.Bind(&a.CtxSetCurrent, "cuCtxSetCurrent")
		b.Bind(&a.CtxSynchronize, "cuCtxSynchronize")
		b.Bind(&a.MemAlloc, "cuMemAlloc_v2")
		b.Bind(&a.MemFree, "cuMemFree_v2")
		b.Bind(&a.MemcpyHtoD, "cuMemcpyHtoD_v2")
		b.Bind(&a.MemcpyDtoH, "cuMemcpyDtoH_v2")
		b.Bind(&a.ModuleLoadData, "cuModuleLoadData")
		b.Bind(&a.ModuleGetFunction, "cuModuleGetFunction")
		b.Bind(&a.LaunchKernel, "cuLaunchKernel")
		b.Bind(&a.GetErrorName, "cuGetErrorName")
		b.Bind(&a.GetErrorString, "cuGetErrorString")
		if lib.Has("cuEventCreate") && lib.Has("cuEventRecord") && lib.Has("cuEventSynchronize") && lib.Has("cuEventElapsedTime") {
			b.Bind(&a.EventCreate, "cuEventCreate")
			b.Bind(&a.EventRecord, "cuEventRecord")
			b.Bind(&a.EventSynchronize, "cuEventSynchronize")
			b.Bind(&a.EventElapsedTime, "cuEventElapsedTime")
		}
		driverLib, driverErr = a, b.Err
	})
	return driverLib, driverErr
}

// cudaError is a failed driver call, with the driver's name and description of the code.
type cudaError struct {
	call       string
	code       int32
	name, text string
}

func (e *cudaError) Error() string {
	return fmt.Sprintf("cuda: %s failed: %s (%d): %s", e.call, e.name, e.code, e.text)
}

// check turns a CUresult into an error carrying cuGetErrorName and cuGetErrorString.
func (a *driverAPI) check(call string, code int32) error {
	if code == 0 {
		return nil
	}
	var name, text *byte
	a.GetErrorName(code, &name)
	a.GetErrorString(code, &text)
	return &cudaError{call: call, code: code, name: goString(name), text: goString(text)}
}

// goString copies a NUL-terminated C string (owned by the library) into Go memory.
func goString(p *byte) string {
	if p == nil {
		return "?"
	}
	var n int
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
