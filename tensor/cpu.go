package tensor

import (
	"fmt"

	"github.com/zebra-go/zebra/internal/parallel"
)

// CPU is the CPU backend: plain Go kernels that define what every other backend must compute.
// Its float32 GEMM goes through internal/gemm's assembly, and the float32 elementwise kernels
// that training spends time in (ReLU and LeakyReLU forward and backward, contiguous add, subtract
// and multiply, InstanceNorm, Adam) through internal/vec's, each with results equal to the plain
// loop's (bit for bit, or up to the order of a float64 sum); everything else is ordinary Go
// loops. Work large enough to pay for it is split across GOMAXPROCS goroutines of
// internal/parallel's pool (parallelFor), along independent elements only, so that the results
// are those of one serial loop bit for bit. Large temporaries handed back with Release are reused
// by Empty (see pool.go).
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
	parallelCopy(dst, src)
}

// parallelCopy is copy(dst, src) for slices of equal length, split across goroutines.
func parallelCopy[T float](dst, src []T) {
	parallelFor(len(dst), elementwiseGrain, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
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
	parallelFor(len(dst), elementwiseGrain, func(lo, hi int) {
		part := dst[lo:hi]
		for i := range part {
			part[i] = v
		}
	})
}

func (cpuBackend) Cast(dst, src Storage) {
	if dst.Len() != src.Len() {
		panic(fmt.Sprintf("tensor: cpu.Cast of %d elements into %d", src.Len(), dst.Len()))
	}
	switch {
	case dst.DType() == Float32 && src.DType() == Float32:
		parallelCopy(cpuData[float32](dst), cpuData[float32](src))
	case dst.DType() == Float64 && src.DType() == Float64:
		parallelCopy(cpuData[float64](dst), cpuData[float64](src))
	case dst.DType() == Float32:
		convert(cpuData[float32](dst), cpuData[float64](src))
	default:
		convert(cpuData[float64](dst), cpuData[float32](src))
	}
}

func convert[D, S float](dst []D, src []S) {
	parallelFor(len(src), elementwiseGrain, func(lo, hi int) {
		part := dst[lo:hi]
		for i, v := range src[lo:hi] {
			part[i] = D(v)
		}
	})
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
		stridedCopy(cpuData[float32](dst), dstOff, st[0], cpuData[float32](src), srcOff, st[1], shape)
	case Float64:
		stridedCopy(cpuData[float64](dst), dstOff, st[0], cpuData[float64](src), srcOff, st[1], shape)
	}
}

// stridedCopy copies the elements of shape from src to dst, split across goroutines along the
// elements in row-major order; each row (innermost dimension) is a tight loop or a copy. Offsets
// are taken from the start of the buffers, so that a negative source stride (a reversed view)
// reaches back from srcOff; Go's bounds checks stop any view that leaves a buffer.
func stridedCopy[T float](dst []T, dstOff int, ds []int, src []T, srcOff int, ss []int, shape []int) {
	parallelFor(Numel(shape), elementwiseGrain, func(lo, hi int) {
		forEachRun(shape, [][]int{ds, ss}, lo, hi, func(_, n int, offs []int) {
			d, s := dstOff+offs[0], srcOff+offs[1]
			dStep, sStep := ds[len(ds)-1], ss[len(ss)-1]
			if dStep == 1 && sStep == 1 {
				copy(dst[d:d+n], src[s:s+n])
				return
			}
			for i := range n {
				dst[d+i*dStep] = src[s+i*sStep]
			}
		})
	})
}

// forEachRun walks the elements [lo, hi) of shape in row-major order, one run at a time: a run is
// the part of [lo, hi) within one row (innermost dimension). For each run it calls f with the
// run's first element's row-major index e, its length n, and offs[k], the element's offset under
// strides[k]. Splitting [0, Numel(shape)) anywhere and walking the pieces visits every element
// once, with the same offsets as one walk of the whole.
func forEachRun(shape []int, strides [][]int, lo, hi int, f func(e, n int, offs []int)) {
	nd := len(shape)
	inner := shape[nd-1]
	idx := make([]int, nd-1)
	r := lo / inner
	for d := nd - 2; d >= 0; d-- {
		idx[d] = r % shape[d]
		r /= shape[d]
	}
	offs := make([]int, len(strides))
	for e := lo; e < hi; {
		j := e % inner
		n := min(inner-j, hi-e)
		for k, st := range strides {
			off := j * st[nd-1]
			for d, i := range idx {
				off += i * st[d]
			}
			offs[k] = off
		}
		f(e, n, offs)
		e += n
		for d := nd - 2; d >= 0; d-- { // odometer increment to the next row
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

// parallelFor runs body over [0, n) cut into one contiguous chunk per thread, each at least grain
// long (internal/parallel.For); with n < 2*grain it runs body(0, n) on the caller. Which
// goroutine runs a chunk never changes its result, so every kernel split this way gives the same
// bits as one serial loop.
func parallelFor(n, grain int, body func(lo, hi int)) {
	parallel.For(n, grain, body)
}
