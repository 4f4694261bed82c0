package opencl

import (
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/zebra-go/zebra/gpu/internal/device"
	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/tensor"
)

// Device describes one OpenCL device.
type Device struct {
	Index        int    // zebra's index: Open(Index), the name "opencl:Index"
	Platform     string // platform name
	Name         string
	Vendor       string
	Version      string // the device's OpenCL version string
	ComputeUnits int
	GlobalMem    int64 // bytes
	FP64         bool  // cl_khr_fp64: float64 tensors are supported

	platform, id uintptr
	maxGroup     int
	maxAlloc     int64
	fp32Rounded  bool // division and sqrt are correctly rounded on request
}

func (d Device) String() string {
	fp64 := "no float64"
	if d.FP64 {
		fp64 = "float64"
	}
	return fmt.Sprintf("opencl:%d  %s / %s (%s, %d compute units, %.1f GiB, %s)", d.Index, d.Platform, d.Name,
		d.Version, d.ComputeUnits, float64(d.GlobalMem)/(1<<30), fp64)
}

// Devices lists every device of every OpenCL platform. The error wraps gpu.ErrUnavailable when
// there is no OpenCL library, no platform or no device.
func Devices() ([]Device, error) {
	cl, err := api()
	if err != nil {
		return nil, err
	}
	var n uint32
	if code := cl.GetPlatformIDs(0, nil, &n); code != clSuccess || n == 0 {
		return nil, fmt.Errorf("%w: %s found no OpenCL platform (%s; installed drivers are listed in /etc/OpenCL/vendors)",
			dynlib.ErrUnavailable, cl.lib.Path, errorName(code))
	}
	platforms := make([]uintptr, n)
	if err := check("clGetPlatformIDs", cl.GetPlatformIDs(n, &platforms[0], nil)); err != nil {
		return nil, err
	}
	var devices []Device
	for _, p := range platforms {
		pinfo := func(param uint32, size uintptr, value unsafe.Pointer, sizeOut *uintptr) int32 {
			return cl.GetPlatformInfo(p, param, size, value, sizeOut)
		}
		pname := strings.TrimSpace(infoString(pinfo, clPlatformName))
		var nd uint32
		if cl.GetDeviceIDs(p, clDeviceTypeAll, 0, nil, &nd) != clSuccess || nd == 0 {
			continue
		}
		ids := make([]uintptr, nd)
		if cl.GetDeviceIDs(p, clDeviceTypeAll, nd, &ids[0], nil) != clSuccess {
			continue
		}
		for _, id := range ids {
			dinfo := func(param uint32, size uintptr, value unsafe.Pointer, sizeOut *uintptr) int32 {
				return cl.GetDeviceInfo(id, param, size, value, sizeOut)
			}
			devices = append(devices, Device{
				Index:        len(devices),
				Platform:     pname,
				Name:         strings.TrimSpace(infoString(dinfo, clDeviceName)),
				Vendor:       infoString(dinfo, clDeviceVendor),
				Version:      infoString(dinfo, clDeviceVersion),
				ComputeUnits: int(infoUint(dinfo, clDeviceMaxComputeUnits, 4)),
				GlobalMem:    int64(infoUint(dinfo, clDeviceGlobalMemSize, 8)),
				FP64:         strings.Contains(infoString(dinfo, clDeviceExtensions), "cl_khr_fp64"),
				platform:     p,
				id:           id,
				maxGroup:     int(infoUint(dinfo, clDeviceMaxWorkGroup, unsafe.Sizeof(uintptr(0)))),
				maxAlloc:     int64(infoUint(dinfo, clDeviceMaxMemAlloc, 8)),
				fp32Rounded:  infoUint(dinfo, clDeviceSingleFPConfig, 8)&clFPCorrectlyRoundedDivideSqrt != 0,
			})
		}
	}
	if len(devices) == 0 {
		return nil, fmt.Errorf("%w: the OpenCL platforms of %s have no devices", dynlib.ErrUnavailable, cl.lib.Path)
	}
	return devices, nil
}

// Backend is an OpenCL device as a tensor.Backend.
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

// Open returns the backend of device index (see Devices). Opening the same index again returns the
// same backend, so that tensors made through either compare as on one device and kernels are
// compiled once per process. The error wraps gpu.ErrUnavailable when there is no such device.
func Open(index int) (*Backend, error) {
	return backends.Open(index, func() (*Backend, error) {
		devices, err := Devices()
		if err != nil {
			return nil, err
		}
		if index < 0 || index >= len(devices) {
			return nil, fmt.Errorf("%w: no OpenCL device %d (found %d)", dynlib.ErrUnavailable, index, len(devices))
		}
		drv, err := newDriver(devices[index])
		if err != nil {
			return nil, err
		}
		b := &Backend{Device: devices[index]}
		b.Backend = device.New(drv, b)
		return b, nil
	})
}

// driver is device.Driver for one OpenCL device: one context, one in-order command queue.
type driver struct {
	cl    *clAPI
	dev   Device
	ctx   uintptr
	queue uintptr

	mu       sync.Mutex // one launch at a time: clSetKernelArg changes shared kernel objects
	programs map[tensor.DType]*program
	source   string // the kernel source after the prelude: device.Source, or a test's
}

type program struct {
	handle  uintptr
	kernels map[string]uintptr
}

func newDriver(dev Device) (*driver, error) {
	cl, err := api()
	if err != nil {
		return nil, err
	}
	if dev.maxGroup < 256 {
		return nil, fmt.Errorf("%w: OpenCL device %s allows work-groups of %d work-items; zebra's kernels need 256",
			dynlib.ErrUnavailable, dev.Name, dev.maxGroup)
	}
	var code int32
	id := dev.id
	ctx := cl.CreateContext(nil, 1, &id, 0, 0, &code)
	if err := check("clCreateContext", code); err != nil {
		return nil, fmt.Errorf("%w: opencl:%d (%s): %v", dynlib.ErrUnavailable, dev.Index, dev.Name, err)
	}
	queue := cl.CreateCommandQueue(ctx, dev.id, 0, &code)
	if err := check("clCreateCommandQueue", code); err != nil {
		return nil, fmt.Errorf("%w: opencl:%d (%s): %v", dynlib.ErrUnavailable, dev.Index, dev.Name, err)
	}
	return &driver{cl: cl, dev: dev, ctx: ctx, queue: queue, programs: map[tensor.DType]*program{}, source: device.Source}, nil
}

func (d *driver) Name() string    { return fmt.Sprintf("opencl:%d", d.dev.Index) }
func (d *driver) FP64() bool      { return d.dev.FP64 }
func (d *driver) MemBytes() int64 { return d.dev.GlobalMem }

func (d *driver) Alloc(bytes int) (device.Mem, error) {
	if d.dev.maxAlloc > 0 && int64(bytes) > d.dev.maxAlloc {
		return 0, fmt.Errorf("opencl: %d bytes exceed the device's largest buffer of %d bytes", bytes, d.dev.maxAlloc)
	}
	var code int32
	m := d.cl.CreateBuffer(d.ctx, clMemReadWrite, uintptr(bytes), nil, &code)
	if err := check("clCreateBuffer", code); err != nil {
		return 0, err
	}
	return device.Mem(m), nil
}

func (d *driver) Free(m device.Mem) {
	d.cl.ReleaseMemObject(uintptr(m))
}

func (d *driver) Write(dst device.Mem, src unsafe.Pointer, bytes int) {
	code := d.cl.EnqueueWriteBuffer(d.queue, uintptr(dst), 1, 0, uintptr(bytes), src, 0, nil, nil)
	d.must("clEnqueueWriteBuffer", code)
}

func (d *driver) Read(dst unsafe.Pointer, src device.Mem, bytes int) {
	code := d.cl.EnqueueReadBuffer(d.queue, uintptr(src), 1, 0, uintptr(bytes), dst, 0, nil, nil)
	d.must("clEnqueueReadBuffer", code)
}

// must panics on a failed call inside a kernel: the tensor.Backend contract has no error results,
// and a failure there is a lost device or a bug.
func (d *driver) must(call string, code int32) {
	if err := check(call, code); err != nil {
		panic(fmt.Sprintf("%s (%s): %v", d.Name(), d.dev.Name, err))
	}
}

func (d *driver) Compile(dt tensor.DType) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := d.program(dt)
	return err
}

// program returns dt's program, building it on first use. d.mu is held.
func (d *driver) program(dt tensor.DType) (*program, error) {
	if p, ok := d.programs[dt]; ok {
		return p, nil
	}
	src := prelude + "\n" + d.source
	options := ""
	if dt == tensor.Float64 {
		options = "-DREAL_DOUBLE"
	} else if d.dev.fp32Rounded {
		// Round float32 division and sqrt (Adam, InstanceNorm) as the CPU backend does.
		options = "-cl-fp32-correctly-rounded-divide-sqrt"
	}
	srcBytes := dynlib.CString(src)
	srcPtr := &srcBytes[0]
	var code int32
	handle := d.cl.CreateProgramWithSource(d.ctx, 1, &srcPtr, nil, &code)
	if err := check("clCreateProgramWithSource", code); err != nil {
		return nil, err
	}
	opts := dynlib.CString(options)
	id := d.dev.id
	if code := d.cl.BuildProgram(handle, 1, &id, &opts[0], 0, 0); code != clSuccess {
		var size uintptr
		d.cl.GetProgramBuildInfo(handle, id, clProgramBuildLog, 0, nil, &size)
		log := make([]byte, size+1)
		d.cl.GetProgramBuildInfo(handle, id, clProgramBuildLog, size, unsafe.Pointer(&log[0]), nil)
		return nil, fmt.Errorf("%s: building the %s kernels failed (%s):\n%s", d.Name(), dt, errorName(code), dynlib.GoString(log))
	}
	p := &program{handle: handle, kernels: map[string]uintptr{}}
	d.programs[dt] = p
	return p, nil
}

func (d *driver) Launch(dt tensor.DType, name string, groups, local [3]int, args [][]byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.program(dt)
	if err != nil {
		panic(err.Error())
	}
	k, ok := p.kernels[name]
	if !ok {
		var code int32
		cname := dynlib.CString(name)
		k = d.cl.CreateKernel(p.handle, &cname[0], &code)
		d.must("clCreateKernel "+name, code)
		p.kernels[name] = k
	}
	for i, a := range args {
		if code := d.cl.SetKernelArg(k, uint32(i), uintptr(len(a)), unsafe.Pointer(&a[0])); code != clSuccess {
			d.must(fmt.Sprintf("clSetKernelArg %s #%d", name, i), code)
		}
	}
	var global, loc [3]uintptr
	for i := range 3 {
		global[i] = uintptr(groups[i] * local[i])
		loc[i] = uintptr(local[i])
	}
	if code := d.cl.EnqueueNDRangeKernel(d.queue, k, 3, nil, &global[0], &loc[0], 0, nil, nil); code != clSuccess {
		d.must("clEnqueueNDRangeKernel "+name, code)
	}
}

// Gemm has no vendor BLAS on OpenCL: the own tiled kernel runs.
func (d *driver) Gemm(tensor.GemmArgs, device.Mem, device.Mem, device.Mem) bool { return false }

// Synchronize implements tensor.Synchronizer: it waits until every queued kernel has run, for
// benchmarks (the CUDA backend has the same method).
func (b *Backend) Synchronize() {
	d := b.Driver().(*driver)
	d.must("clFinish", d.cl.Finish(d.queue))
}
