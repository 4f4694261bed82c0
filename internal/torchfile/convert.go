package torchfile

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/zebra-go/zebra/internal/safetensors"
)

// contiguous returns the view's elements in row-major order as little-endian bytes: a slice of
// the storage when they already are, else a copy gathered by walking the strides.
func (v *tensorView) contiguous() []byte {
	s := v.storage
	es := s.dtype.Size()
	numel := 1
	for _, n := range v.shape {
		numel *= n
	}
	if numel == 0 {
		return []byte{}
	}
	if v.isRowMajor() && (!s.bigEndian || es == 1) {
		begin := int(v.offset) * es
		end := begin + numel*es
		return s.data[begin:end:end]
	}
	out := make([]byte, numel*es)
	// An odometer over the indices; src is the storage index of the current element.
	index := make([]int, len(v.shape))
	src := int(v.offset)
	for i := 0; i < numel; i++ {
		elem := s.data[src*es : (src+1)*es]
		dst := out[i*es : (i+1)*es]
		if s.bigEndian {
			for j := range es {
				dst[j] = elem[es-1-j]
			}
		} else {
			copy(dst, elem)
		}
		for d := len(v.shape) - 1; d >= 0; d-- {
			index[d]++
			src += v.stride[d]
			if index[d] < v.shape[d] {
				break
			}
			src -= v.stride[d] * v.shape[d]
			index[d] = 0
		}
	}
	return out
}

// isRowMajor reports whether the strides are those of a contiguous row-major tensor. A
// dimension of size 1 may have any stride: it never steps.
func (v *tensorView) isRowMajor() bool {
	want := 1
	for d := len(v.shape) - 1; d >= 0; d-- {
		if v.shape[d] != 1 && v.stride[d] != want {
			return false
		}
		want *= v.shape[d]
	}
	return true
}

// Float32s returns the elements of the floating-point tensor called name as float32, with its
// shape, as safetensors.File.Float32s does: F32, F16 and BF16 convert exactly, F64 rounds to
// the nearest float32.
func (f *File) Float32s(name string) ([]float32, []int, error) {
	return floats[float32](f, name)
}

// Float64s returns the elements of the floating-point tensor called name as float64, with its
// shape. Every floating-point dtype converts exactly.
func (f *File) Float64s(name string) ([]float64, []int, error) {
	return floats[float64](f, name)
}

func floats[T float32 | float64](f *File, name string) ([]T, []int, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, nil, fmt.Errorf("torchfile: no tensor named %q", name)
	}
	le := binary.LittleEndian
	out := make([]T, t.NumElements())
	switch t.DType {
	case safetensors.F64:
		for i := range out {
			out[i] = T(math.Float64frombits(le.Uint64(t.Data[8*i:])))
		}
	case safetensors.F32:
		for i := range out {
			out[i] = T(math.Float32frombits(le.Uint32(t.Data[4*i:])))
		}
	case safetensors.F16:
		for i := range out {
			out[i] = T(safetensors.Float16ToFloat32(le.Uint16(t.Data[2*i:])))
		}
	case safetensors.BF16:
		for i := range out {
			out[i] = T(safetensors.BFloat16ToFloat32(le.Uint16(t.Data[2*i:])))
		}
	default:
		return nil, nil, fmt.Errorf("torchfile: tensor %q has dtype %s, not a floating-point type (F64, F32, F16 or BF16)", name, t.DType)
	}
	return out, slices.Clone(t.Shape), nil
}

// Int64s returns the elements of the integer or bool tensor called name as int64, with its
// shape (a bool is 0 or 1).
func (f *File) Int64s(name string) ([]int64, []int, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, nil, fmt.Errorf("torchfile: no tensor named %q", name)
	}
	le := binary.LittleEndian
	out := make([]int64, t.NumElements())
	switch t.DType {
	case safetensors.I64:
		for i := range out {
			out[i] = int64(le.Uint64(t.Data[8*i:]))
		}
	case safetensors.I32:
		for i := range out {
			out[i] = int64(int32(le.Uint32(t.Data[4*i:])))
		}
	case safetensors.I16:
		for i := range out {
			out[i] = int64(int16(le.Uint16(t.Data[2*i:])))
		}
	case safetensors.I8:
		for i := range out {
			out[i] = int64(int8(t.Data[i]))
		}
	case safetensors.U8, safetensors.BOOL:
		for i := range out {
			out[i] = int64(t.Data[i])
		}
	default:
		return nil, nil, fmt.Errorf("torchfile: tensor %q has dtype %s, not an integer or bool type", name, t.DType)
	}
	return out, slices.Clone(t.Shape), nil
}
