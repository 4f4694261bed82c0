package cuda

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/zebra-go/zebra/gpu/internal/device"
	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/tensor"

	_ "embed"
)

// prelude defines the kernel dialect of gpu/internal/device/kernels for CUDA C++.
//
//go:embed prelude.cu
var prelude string

// Device describes one CUDA device.
type Device struct {
	Index           int // CUDA's ordinal: Open(Index), the name "cuda:Index"
	Name            string
	Major, Minor    int   // compute capability
	Multiprocessors int   // streaming multiprocessors
	GlobalMem       int64 // bytes
	DriverVersion   int   // e.g. 12040 for CUDA 12.4
}

func (d Device) String() string {
	return fmt.Sprintf("cuda:%d  %s (compute capability %d.%d, %d SMs, %.1f GiB, driver %d.%d)", d.Index, d.Name,
		d.Major, d.Minor, d.Multiprocessors, float64(d.GlobalMem)/(1<<30), d.DriverVersion/1000, d.DriverVersion%1000/10)
}

// initDriver loads libcuda and calls cuInit on the CUDA thread, once per process.
var initDriver = sync.OnceValues(func() (*driverAPI, error) {
	cu, err := loadDriver()
	if err != nil {
		return nil, err
	}
	var code int32
	cudaThread().do(func() { code = cu.Init(0) })
	if err := cu.check("cuInit", code); err != nil {
		// Whatever the reason (no device, a driver older than the library, no permission on
		// /dev/nvidia*), this machine cannot run CUDA.
		return nil, fmt.Errorf("%w: %s: %v", dynlib.ErrUnavailable, cu.lib.Path, err)
	}
	return cu, nil
})

// Devices lists the CUDA devices. The error wraps gpu.ErrUnavailable when there is no driver or no
// device.
func Devices() ([]Device, error) {
	cu, err := initDriver()
	if err != nil {
		return nil, err
	}
	var devices []Device
	var callErr error
	cudaThread().do(func() {
		var count, version int32
		if callErr = cu.check("cuDeviceGetCount", cu.DeviceGetCount(&count)); callErr != nil {
			return
		}
		cu.DriverGetVersion(&version)
		for i := range count {
			var dev int32
			if callErr = cu.check("cuDeviceGet", cu.DeviceGet(&dev, i)); callErr != nil {
				return
			}
			name := make([]byte, 256)
			cu.DeviceGetName(&name[0], int32(len(name)), dev)
			var major, minor, sms int32
			var mem uint64
			cu.DeviceGetAttribute(&major, attrComputeCapMajor, dev)
			cu.DeviceGetAttribute(&minor, attrComputeCapMinor, dev)
			cu.DeviceGetAttribute(&sms, attrMultiprocessorCount, dev)
			cu.DeviceTotalMem(&mem, dev)
			devices = append(devices, Device{Index: int(i), Name: dynlib.GoString(name), Major: int(major), Minor: int(minor),
				Multiprocessors: int(sms), GlobalMem: int64(mem), DriverVersion: int(version)})
		}
	})
	if callErr != nil {
		return nil, callErr
	}
	if len(devices) == 0 {
		return nil, fmt.Errorf("%w: %s reports no CUDA devices", dynlib.ErrUnavailable, cu.lib.Path)
	}
	return devices, nil
}

// Backend is a CUDA device as a tensor.Backend.
type Backend struct {
	*device.Backend
	Device Device
}

var backends device.Registry[*Backend]

// The optional capabilities a GPU backend has beyond tensor.Backend (see tensor/capabilities.go).
var (
	_ tensor.Releaser         = (*Backend)(nil)
	_ tensor.EmptyAllocator   = (*Backend)(nil)
	_ tensor.Synchronizer     = (*Backend)(nil)
	_ tensor.Compiler         = (*Backend)(nil)
	_ tensor.NonFiniteFlagger = (*Backend)(nil)
)

// Open returns the backend of CUDA device index. Opening the same index again returns the same
// backend. The error wraps gpu.ErrUnavailable when there is no driver, no such device or no NVRTC.
func Open(index int) (*Backend, error) {
	return backends.Open(index, func() (*Backend, error) {
		devices, err := Devices()
		if err != nil {
			return nil, err
		}
		if index < 0 || index >= len(devices) {
			return nil, fmt.Errorf("%w: no CUDA device %d (found %d)", dynlib.ErrUnavailable, index, len(devices))
		}
		nv, err := loadNVRTC()
		if err != nil {
			return nil, fmt.Errorf("cuda:%d has a driver but cannot compile kernels: %w", index, err)
		}
		drv, err := newDriver(devices[index], nv)
		if err != nil {
			return nil, err
		}
		b := &Backend{Device: devices[index]}
		b.Backend = device.New(drv, b)
		return b, nil
	})
}

// UsesCUBLAS reports whether float32 GEMMs go through cuBLAS.
func (b *Backend) UsesCUBLAS() bool { return b.Driver().(*driver).blas != nil }

// SetTF32 lets cuBLAS compute float32 products on the tensor cores with TF32 operands (10 bits of
// mantissa instead of 23, CUBLAS_TF32_TENSOR_OP_MATH), as cuDNN does for PyTorch's convolutions by
// default, or restores full float32 (the default). With TF32 a product is about 1e-3 off in
// relative terms instead of 1e-6: the conformance suite and the comparison with the CPU expect
// float32 and fail with it on.
func (b *Backend) SetTF32(on bool) error {
	d := b.Driver().(*driver)
	if d.blas == nil || d.blas.SetMathMode == nil {
		return errors.New(d.Name() + ": TF32 needs cuBLAS 11 or later, and there is none")
	}
	mode := int32(0) // CUBLAS_DEFAULT_MATH
	if on {
		mode = 3 // CUBLAS_TF32_TENSOR_OP_MATH
	}
	var status int32
	d.do(func() { status = d.blas.SetMathMode(d.blasHandle, mode) })
	if status != 0 {
		return fmt.Errorf("%s: cublasSetMathMode(%d) failed with status %d", d.Name(), mode, status)
	}
	return nil
}

// Synchronize implements tensor.Synchronizer: it waits until every queued kernel has run, for
// benchmarks.
func (b *Backend) Synchronize() {
	d := b.Driver().(*driver)
	d.do(func() { d.must("cuCtxSynchronize", d.cu.CtxSynchronize()) })
}

// driver is device.Driver for one CUDA device.
type driver struct {
	cu      *driverAPI
	nv      *nvrtcAPI
	dev     Device
	ctx     uintptr
	targets []target // what NVRTC compiles for, best first
	ptx     ptxCache

	blas       *cublasAPI
	blasHandle uintptr

	// Touched only on the CUDA thread.
	modules map[tensor.DType]*module
	prof    *kernelProfile // nil unless a kernel profile is on
}

type module struct {
	handle    uintptr
	functions map[string]uintptr
}

func newDriver(dev Device, nv *nvrtcAPI) (*driver, error) {
	cu, err := initDriver()
	if err != nil {
		return nil, err
	}
	d := &driver{cu: cu, nv: nv, dev: dev, ptx: defaultPTXCache(), modules: map[tensor.DType]*module{}}
	d.targets = targets(dev.Major*10+dev.Minor, nv.supportedArchs(), nv.GetCUBIN != nil)
	var callErr error
	cudaThread().do(func() {
		var cudev int32
		if callErr = cu.check("cuDeviceGet", cu.DeviceGet(&cudev, int32(dev.Index))); callErr != nil {
			return
		}
		if callErr = cu.check("cuDevicePrimaryCtxRetain", cu.DevicePrimaryCtxRetain(&d.ctx, cudev)); callErr != nil {
			return
		}
		callErr = d.makeCurrent()
	})
	if callErr != nil {
		return nil, fmt.Errorf("cuda:%d (%s): %w", dev.Index, dev.Name, callErr)
	}
	// cuBLAS is optional: without it the own GEMM kernel runs.
	if blas, err := loadCUBLAS(); err == nil {
		var status int32
		d.do(func() { status = blas.Create(&d.blasHandle) })
		if status == 0 {
			d.blas = blas
		}
	}
	return d, nil
}

// makeCurrent makes the driver's context current on the CUDA thread, which it shares with every
// other CUDA device of the process. It runs on the CUDA thread.
func (d *driver) makeCurrent() error {
	w := cudaThread()
	if w.current == d.ctx {
		return nil
	}
	if err := d.cu.check("cuCtxSetCurrent", d.cu.CtxSetCurrent(d.ctx)); err != nil {
		return err
	}
	w.current = d.ctx
	return nil
}

// do runs f on the CUDA thread with this device's context current and waits for it.
func (d *driver) do(f func()) { cudaThread().do(d.current(f)) }

// post queues f on the CUDA thread with this device's context current (see worker.post).
func (d *driver) post(f func()) { cudaThread().post(d.current(f)) }

func (d *driver) current(f func()) func() {
	return func() {
		if err := d.makeCurrent(); err != nil {
			panic(fmt.Sprintf("%s: %v", d.Name(), err))
		}
		f()
	}
}

// must panics with the driver's description of a failed call (see device.Driver).
func (d *driver) must(call string, code int32) {
	if err := d.cu.check(call, code); err != nil {
		panic(fmt.Sprintf("%s (%s): %v", d.Name(), d.dev.Name, err))
	}
}

func (d *driver) Name() string    { return "cuda:" + strconv.Itoa(d.dev.Index) }
func (d *driver) FP64() bool      { return true }
func (d *driver) MemBytes() int64 { return d.dev.GlobalMem }

func (d *driver) Alloc(bytes int) (device.Mem, error) {
	var ptr uint64
	var err error
	d.do(func() { err = d.cu.check("cuMemAlloc", d.cu.MemAlloc(&ptr, uintptr(bytes))) })
	return device.Mem(ptr), err
}

func (d *driver) Free(m device.Mem) {
	d.do(func() { d.cu.MemFree(uint64(m)) })
}

func (d *driver) Write(dst device.Mem, src unsafe.Pointer, bytes int) {
	d.do(func() { d.must("cuMemcpyHtoD", d.cu.MemcpyHtoD(uint64(dst), src, uintptr(bytes))) })
}

func (d *driver) Read(dst unsafe.Pointer, src device.Mem, bytes int) {
	d.do(func() { d.must("cuMemcpyDtoH", d.cu.MemcpyDtoH(dst, uint64(src), uintptr(bytes))) })
}

func (d *driver) Compile(dt tensor.DType) error {
	var err error
	d.do(func() { _, err = d.module(dt) })
	return err
}

// module returns dt's module, compiling it (or reading the cache) and loading it on first use,
// trying each target in turn: a driver older than NVRTC refuses its PTX but may take its CUBIN.
// It runs on the CUDA thread.
func (d *driver) module(dt tensor.DType) (*module, error) {
	if m, ok := d.modules[dt]; ok {
		return m, nil
	}
	src := prelude + "\n" + device.Source
	var options []string
	if dt == tensor.Float64 {
		options = append(options, "-DREAL_DOUBLE")
	}
	var major, minor int32
	d.nv.Version(&major, &minor)
	key := fmt.Sprintf("%s\x00%q\x00nvrtc %d.%d", src, options, major, minor)
	m := &module{functions: map[string]uintptr{}}
	var failures []string
	for _, t := range d.targets {
		code := d.ptx.load(key, t)
		if code == nil {
			var err error
			if code, err = d.nv.compile(src, t, options); err != nil {
				failures = append(failures, err.Error())
				continue
			}
			d.ptx.store(key, t, code)
		}
		err := d.cu.check("cuModuleLoadData", d.cu.ModuleLoadData(&m.handle, unsafe.Pointer(&code[0])))
		if err == nil {
			break
		}
		failures = append(failures, fmt.Sprintf("%s: %v", t, err))
		m.handle = 0
	}
	if m.handle == 0 {
		return nil, fmt.Errorf("%s: cannot build the %s kernels with NVRTC %d.%d (%s): %s",
			d.Name(), dt, major, minor, d.nv.lib.Path, strings.Join(failures, "; "))
	}
	d.modules[dt] = m
	return m, nil
}

// Launch queues the launch and returns; a failure panics at the next call that waits (see
// worker.post). args is not reused by the caller, so the closure may keep it.
func (d *driver) Launch(dt tensor.DType, name string, groups, local [3]int, args [][]byte) {
	d.post(func() {
		m, err := d.module(dt)
		if err != nil {
			panic(err.Error())
		}
		fn, ok := m.functions[name]
		if !ok {
			cname := dynlib.CString(name)
			d.must("cuModuleGetFunction "+name, d.cu.ModuleGetFunction(&fn, m.handle, &cname[0]))
			m.functions[name] = fn
		}
		params := make([]unsafe.Pointer, len(args))
		for i, a := range args {
			params[i] = unsafe.Pointer(&a[0])
		}
		start := d.beginTimed()
		d.must("cuLaunchKernel "+name, d.cu.LaunchKernel(fn,
			uint32(groups[0]), uint32(groups[1]), uint32(groups[2]),
			uint32(local[0]), uint32(local[1]), uint32(local[2]),
			0, 0, unsafe.Pointer(&params[0]), nil))
		if start != nil {
			d.endTimed(start, name)
		}
	})
}

// Gemm runs float32 products on cuBLAS (see toColMajor for the row-major translation).
func (d *driver) Gemm(g tensor.GemmArgs, a, b, c device.Mem) bool {
	if d.blas == nil || g.C.DType() != tensor.Float32 {
		return false
	}
	cm, ok := toColMajor(g)
	if !ok {
		return false
	}
	a, b = b, a // see toColMajor
	op := func(t bool) int32 {
		if t {
			return 1 // CUBLAS_OP_T
		}
		return 0 // CUBLAS_OP_N
	}
	alpha, beta := float32(g.Alpha), float32(g.Beta)
	// A batch that writes one C every time runs as a sequence of single products.
	calls, batch := 1, g.Batch
	if g.StrideC == 0 && g.Batch > 1 {
		calls, batch = g.Batch, 1
	}
	const f32 = 4
	d.post(func() {
		for i := range calls {
			start := d.beginTimed()
			status := d.blas.SgemmStridedBatched(d.blasHandle, op(cm.TransA), op(cm.TransB),
				int32(cm.M), int32(cm.N), int32(cm.K), &alpha,
				uint64(a)+uint64(cm.OffA+i*cm.StrideA)*f32, int32(cm.LDA), int64(cm.StrideA),
				uint64(b)+uint64(cm.OffB+i*cm.StrideB)*f32, int32(cm.LDB), int64(cm.StrideB), &beta,
				uint64(c)+uint64(cm.OffC+i*cm.StrideC)*f32, int32(cm.LDC), int64(cm.StrideC), int32(batch))
			if start != nil {
				d.endTimed(start, cublasName(cm, batch))
			}
			if status != 0 {
				panic(fmt.Sprintf("%s: cublasSgemmStridedBatched failed with status %d for %+v", d.Name(), status, cm))
			}
		}
	})
	return true
}
