package tensor

import (
	"fmt"
	"math"
	"slices"
)

// Tensor is a dense, contiguous, row-major array of one dtype on one backend. The zero value is not
// usable; make tensors with the functions of this package.
type Tensor struct {
	shape   []int
	dtype   DType
	storage Storage
}

// New returns a zeroed tensor of the given dtype and shape on backend b.
func New(b Backend, dt DType, shape ...int) *Tensor {
	checkShape("tensor.New", shape)
	return &Tensor{shape: slices.Clone(shape), dtype: dt, storage: b.Alloc(dt, Numel(shape))}
}

// FromStorage wraps existing storage as a tensor of the given shape, which must hold exactly
// s.Len() elements. Backends and loaders use it; most code never needs to.
func FromStorage(s Storage, shape ...int) *Tensor {
	checkShape("tensor.FromStorage", shape)
	if Numel(shape) != s.Len() {
		panic(fmt.Sprintf("tensor.FromStorage: shape %v needs %d elements, storage has %d", shape, Numel(shape), s.Len()))
	}
	return &Tensor{shape: slices.Clone(shape), dtype: s.DType(), storage: s}
}

// Zeros returns a float tensor of zeros on the CPU.
func Zeros(dt DType, shape ...int) *Tensor { return New(CPU, dt, shape...) }

// Ones returns a tensor of ones on the CPU.
func Ones(dt DType, shape ...int) *Tensor { return Full(dt, 1, shape...) }

// Full returns a tensor filled with v on the CPU.
func Full(dt DType, v float64, shape ...int) *Tensor {
	t := New(CPU, dt, shape...)
	CPU.Fill(t.storage, v)
	return t
}

// ZerosLike returns zeros with t's shape, dtype and backend.
func ZerosLike(t *Tensor) *Tensor { return New(t.Backend(), t.dtype, t.shape...) }

// FullLike returns a tensor filled with v with t's shape, dtype and backend.
func FullLike(t *Tensor, v float64) *Tensor {
	out := ZerosLike(t)
	out.Backend().Fill(out.storage, v)
	return out
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(dt DType, v float64) *Tensor { return Full(dt, v) }

// FromFloat32 returns a float32 CPU tensor of the given shape holding a copy of data.
func FromFloat32(data []float32, shape ...int) *Tensor {
	checkLen("tensor.FromFloat32", len(data), shape)
	t := New(CPU, Float32, shape...)
	CPU.Upload(t.storage, data)
	return t
}

// FromFloat64 returns a float64 CPU tensor of the given shape holding a copy of data.
func FromFloat64(data []float64, shape ...int) *Tensor {
	checkLen("tensor.FromFloat64", len(data), shape)
	t := New(CPU, Float64, shape...)
	CPU.Upload(t.storage, data)
	return t
}

func checkLen(op string, n int, shape []int) {
	checkShape(op, shape)
	if Numel(shape) != n {
		panic(fmt.Sprintf("%s: %d values do not fill shape %v (%d elements)", op, n, shape, Numel(shape)))
	}
}

// Arange returns the 1-D CPU tensor start, start+step, ... up to but excluding stop, like
// torch.arange.
func Arange(dt DType, start, stop, step float64) *Tensor {
	if step == 0 || !((stop-start)/step >= 0) || math.IsInf(start, 0) || math.IsInf(stop, 0) {
		panic(fmt.Sprintf("tensor.Arange: step %g does not lead from %g to %g", step, start, stop))
	}
	n := int(math.Ceil((stop - start) / step))
	data := make([]float64, n)
	for i := range data {
		data[i] = math.FMA(float64(i), step, start) // rounded once, as PyTorch's kernel does
	}
	return Cast(FromFloat64(data, n), dt)
}

// Shape returns a copy of the tensor's shape.
func (t *Tensor) Shape() []int { return slices.Clone(t.shape) }

// Dim returns the size of dimension i (negative i counts from the end).
func (t *Tensor) Dim(i int) int { return t.shape[normAxis("Tensor.Dim", i, len(t.shape))] }

// NDim is the number of dimensions (0 for a scalar).
func (t *Tensor) NDim() int { return len(t.shape) }

// Numel is the number of elements.
func (t *Tensor) Numel() int { return Numel(t.shape) }

// DType is the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Storage is the underlying buffer, for backends and kernels.
func (t *Tensor) Storage() Storage { return t.storage }

// Backend is the device the tensor lives on.
func (t *Tensor) Backend() Backend { return t.storage.Backend() }

// To returns the tensor on backend b: t itself when it is already there, else a copy.
func (t *Tensor) To(b Backend) *Tensor {
	if t.Backend() == b {
		return t
	}
	out := New(b, t.dtype, t.shape...)
	switch t.dtype {
	case Float32:
		host := make([]float32, t.Numel())
		t.Backend().Download(host, t.storage)
		b.Upload(out.storage, host)
	case Float64:
		host := make([]float64, t.Numel())
		t.Backend().Download(host, t.storage)
		b.Upload(out.storage, host)
	}
	return out
}

// Float32s returns a host copy of the elements as float32, converting float64 if need be.
func (t *Tensor) Float32s() []float32 {
	if t.dtype == Float32 {
		host := make([]float32, t.Numel())
		t.Backend().Download(host, t.storage)
		return host
	}
	f64 := t.Float64s()
	out := make([]float32, len(f64))
	for i, v := range f64 {
		out[i] = float32(v)
	}
	return out
}

// Float64s returns a host copy of the elements as float64, converting float32 if need be.
func (t *Tensor) Float64s() []float64 {
	if t.dtype == Float64 {
		host := make([]float64, t.Numel())
		t.Backend().Download(host, t.storage)
		return host
	}
	f32 := t.Float32s()
	out := make([]float64, len(f32))
	for i, v := range f32 {
		out[i] = float64(v)
	}
	return out
}

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float64 {
	if t.Numel() != 1 {
		panic(fmt.Sprintf("Tensor.Item: tensor of shape %v has %d elements, want 1", t.shape, t.Numel()))
	}
	return t.Float64s()[0]
}

// Clone returns a copy of t on the same backend.
func (t *Tensor) Clone() *Tensor {
	out := Empty(t.Backend(), t.dtype, t.shape...) // CopyInto overwrites it
	CopyInto(out, t)
	return out
}

// Fill sets every element of t to v in place.
func (t *Tensor) Fill(v float64) { t.Backend().Fill(t.storage, v) }

// CopyInto copies src's values into dst in place; both have the same number of elements and dtype
// and live on the same backend (shapes may differ, as for a reshape).
func CopyInto(dst, src *Tensor) {
	sameDevice("tensor.CopyInto", dst, src)
	sameDType("tensor.CopyInto", dst, src)
	if dst.Numel() != src.Numel() {
		panic(fmt.Sprintf("tensor.CopyInto: shapes %v and %v differ in size", dst.shape, src.shape))
	}
	n := []int{src.Numel()}
	dst.Backend().Copy(dst.storage, 0, []int{1}, src.storage, 0, []int{1}, n)
}

// sameDevice panics unless every tensor lives on the same backend.
func sameDevice(op string, ts ...*Tensor) {
	for _, t := range ts[1:] {
		if t.Backend() != ts[0].Backend() {
			panic(fmt.Sprintf("%s: tensors on two devices, %s %v on %s and %s %v on %s; move one with To",
				op, ts[0].dtype, ts[0].shape, ts[0].Backend().Name(), t.dtype, t.shape, t.Backend().Name()))
		}
	}
}

// sameDType panics unless every tensor has the same dtype.
func sameDType(op string, ts ...*Tensor) {
	for _, t := range ts[1:] {
		if t.dtype != ts[0].dtype {
			panic(fmt.Sprintf("%s: dtypes %s %v and %s %v differ", op, ts[0].dtype, ts[0].shape, t.dtype, t.shape))
		}
	}
}

// sameShapes panics unless the tensors have identical shapes.
func sameShapes(op string, ts ...*Tensor) {
	for _, t := range ts[1:] {
		if !sameShape(t.shape, ts[0].shape) {
			panic(fmt.Sprintf("%s: shapes %v and %v differ", op, ts[0].shape, t.shape))
		}
	}
}

func shapeString(s []int) string { return fmt.Sprint(s) }
