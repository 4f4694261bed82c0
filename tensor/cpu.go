package tensor

import (
	"fmt"
	"runtime"
	"sync"
)

// CPU is the CPU backend: plain Go kernels that define what every other backend must compute.
// Its float32 GEMM goes through internal/gemm's assembly, and the float32 elementwise kernels
// that training spends time in (ReLU and LeakyReLU forward and backward, contiguous add, subtract
// and multiply, InstanceNorm, Adam) through internal/vec's, each with results equal to the plain
// loop's (bit for bit, or up to the order of a float64 sum); everything else is ordinary Go
// loops. Work large enough to pay for it is split across GOMAXPROCS goroutines. Large temporaries
// handed back with Release are reused by Empty (see pool.go).
var CPU Backend = cpuBackend{}

type cpuBackend struct{}

// cpuStorage holds exactly one of f32 or f64.
type cpuStorage struct {
	dtype DType
	f32   []float32
	f64   []float64
}

func (s *cpuStorage) Backend() Backend { return CPU }
func (s *cpuStorage) DType() DType     { return s.dtype }
func (s *cpuStorage) Len() int {
	if s.dtype == Float32 {
		return len(s.f32)
	}
	return len(s.f64)
}

// float is the set of element types the CPU kernels are written for.
type float interface{ float32 | float64 }

// cpuData returns the typed slice behind CPU storage. It panics when s is not CPU storage of dtype T.
func cpuData[T float](s Storage) []T {
	cs, ok := s.(*cpuStorage)
	if !ok {
		panic(fmt.Sprintf("tensor: cpu kernel given storage of backend %s", s.Backend().Name()))
	}
	var zero T
	switch any(zero).(type) {
	case float32:
		if cs.dtype == Float32 {
			return any(cs.f32).([]T)
		}
	case float64:
		if cs.dtype == Float64 {
			return any(cs.f64).([]T)
		}
	}
	panic(fmt.Sprintf("tensor: cpu kernel for %T given %s storage", zero, cs.dtype))
}

// CPUFloat32s returns the float32 slice behind a CPU tensor without copying, for data loaders and
// kernels that fill tensors in place. It panics for other dtypes or backends.
func CPUFloat32s(t *Tensor) []float32 { return cpuData[float32](t.storage) }

// CPUFloat64s is CPUFloat32s for float64 tensors.
func CPUFloat64s(t *Tensor) []float64 { return cpuData[float64](t.storage) }

func (cpuBackend) Name() string { return "cpu" }

func (cpuBackend) Alloc(dt DType, n int) Storage {
	switch dt {
	case Float32:
		return &cpuStorage{dtype: dt, f32: make([]float32, n)}
	case Float64:
		return &cpuStorage{dtype: dt, f64: make([]float64, n)}
	}
	panic(fmt.Sprintf("tensor: cpu cannot allocate dtype %v", dt))
}

func (cpuBackend) Upload(dst Storage, src any) {
	switch src := src.(type) {
	case []float32:
		copyChecked("cpu.Upload", cpuData[float32](dst), src)
	case []float64:
		copyChecked("cpu.Upload", cpuData[float64](dst), src)
	default:
		panic(fmt.Sprintf("tensor: cpu.Upload of %T", src))
	}
}

func (cpuBackend) Download(dst any, src Storage) {
	switch dst := dst.(type) {
	case []float32:
		copyChecked("cpu.Download", dst, cpuData[float32](src))
	case []float64:
		copyChecked("cpu.Download", dst, cpuData[float64](src))
	default:
		panic(fmt.Sprintf("tensor: cpu.Download into %T", dst))
	}
}

func copyChecked[T float](op string, dst, src []T) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("tensor: %s of %d elements into %d", op, len(src), len(dst)))
	}
	copy(dst, src)
}

func (cpuBackend) Fill(dst Storage, v float64) {
	switch dst.DType() {
	case Float32:
		fill(cpuData[float32](dst), float32(v))
	case Float64:
		fill(cpuData[float64](dst), v)
	}
}

func fill[T float](dst []T, v T) {
	for i := range dst {
		dst[i] = v
	}
}

func (cpuBackend) Cast(dst, src Storage) {
	if dst.Len() != src.Len() {
		panic(fmt.Sprintf("tensor: cpu.Cast of %d elements into %d", src.Len(), dst.Len()))
	}
	switch {
	case dst.DType() == Float32 && src.DType() == Float32:
		copy(cpuData[float32](dst), cpuData[float32](src))
	case dst.DType() == Float64 && src.DType() == Float64:
		copy(cpuData[float64](dst), cpuData[float64](src))
	case dst.DType() == Float32:
		convert(cpuData[float32](dst), cpuData[float64](src))
	default:
		convert(cpuData[float64](dst), cpuData[float32](src))
	}
}

func convert[D, S float](dst []D, src []S) {
	for i, v := range src {
		dst[i] = D(v)
	}
}

func (cpuBackend) Copy(dst Storage, dstOff int, dstStrides []int, src Storage, srcOff int, srcStrides []int, shape []int) {
	if dst.DType() != src.DType() {
		panic("tensor: cpu.Copy between dtypes; use Cast")
	}
	if Numel(shape) == 0 {
		return
	}
	shape, st := CollapseDims(shape, dstStrides, srcStrides)
	switch dst.DType() {
	case Float32:
		stridedCopy(cpuData[float32](dst)[dstOff:], st[0], cpuData[float32](src)[srcOff:], st[1], shape)
	case Float64:
		stridedCopy(cpuData[float64](dst)[dstOff:], st[0], cpuData[float64](src)[srcOff:], st[1], shape)
	}
}

// stridedCopy walks the outer dimensions recursively and copies the innermost one in a tight loop.
func stridedCopy[T float](dst []T, ds []int, src []T, ss []int, shape []int) {
	if len(shape) == 1 {
		n, d, s := shape[0], ds[0], ss[0]
		if d == 1 && s == 1 {
			copy(dst[:n], src[:n])
			return
		}
		for i := range n {
			dst[i*d] = src[i*s]
		}
		return
	}
	for i := range shape[0] {
		stridedCopy(dst[i*ds[0]:], ds[1:], src[i*ss[0]:], ss[1:], shape[1:])
	}
}

// parallelFor runs body over [0, n) split into at most GOMAXPROCS contiguous chunks, inline when n
// is smaller than grain (spawning goroutines costs more than a small loop).
func parallelFor(n, grain int, body func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 2*grain || workers == 1 {
		body(0, n)
		return
	}
	workers = min(workers, n/grain)
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}
