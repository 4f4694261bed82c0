package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Float32s returns the elements of the floating-point tensor called name as float32, with a copy
// of its shape. F32, F16 and BF16 convert exactly; F64 rounds to the nearest float32 (ties to
// even), as PyTorch's .float() does.
func (f *File) Float32s(name string) ([]float32, []int, error) {
	return floats[float32](f, name)
}

// Float64s returns the elements of the floating-point tensor called name as float64, with a copy
// of its shape. Every supported dtype (F64, F32, F16, BF16) converts exactly.
func (f *File) Float64s(name string) ([]float64, []int, error) {
	return floats[float64](f, name)
}

// floats converts a floating-point tensor to T. Each case converts straight from the stored type
// to T, so F64 to float32 rounds once, and every other conversion is exact.
func floats[T float32 | float64](f *File, name string) ([]T, []int, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	le := binary.LittleEndian
	out := make([]T, t.NumElements())
	switch t.DType {
	case F64:
		for i := range out {
			out[i] = T(math.Float64frombits(le.Uint64(t.Data[8*i:])))
		}
	case F32:
		for i := range out {
			out[i] = T(math.Float32frombits(le.Uint32(t.Data[4*i:])))
		}
	case F16:
		for i := range out {
			out[i] = T(Float16ToFloat32(le.Uint16(t.Data[2*i:])))
		}
	case BF16:
		for i := range out {
			out[i] = T(BFloat16ToFloat32(le.Uint16(t.Data[2*i:])))
		}
	default:
		return nil, nil, notConvertible(t, "a floating-point", "F64, F32, F16 or BF16")
	}
	return out, slices.Clone(t.Shape), nil
}

// Int64s returns the elements of the integer tensor called name as int64, with a copy of its
// shape. I64, I32, I16, I8, U32, U16 and U8 widen exactly; a U64 element above math.MaxInt64 is
// an error.
func (f *File) Int64s(name string) ([]int64, []int, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	le := binary.LittleEndian
	out := make([]int64, t.NumElements())
	switch t.DType {
	case I64:
		for i := range out {
			out[i] = int64(le.Uint64(t.Data[8*i:]))
		}
	case U64:
		for i := range out {
			u := le.Uint64(t.Data[8*i:])
			if u > math.MaxInt64 {
				return nil, nil, fmt.Errorf("safetensors: tensor %q: element %d is %d, which does not fit in an int64", name, i, u)
			}
			out[i] = int64(u)
		}
	case I32:
		for i := range out {
			out[i] = int64(int32(le.Uint32(t.Data[4*i:])))
		}
	case U32:
		for i := range out {
			out[i] = int64(le.Uint32(t.Data[4*i:]))
		}
	case I16:
		for i := range out {
			out[i] = int64(int16(le.Uint16(t.Data[2*i:])))
		}
	case U16:
		for i := range out {
			out[i] = int64(le.Uint16(t.Data[2*i:]))
		}
	case I8:
		for i := range out {
			out[i] = int64(int8(t.Data[i]))
		}
	case U8:
		for i := range out {
			out[i] = int64(t.Data[i])
		}
	default:
		return nil, nil, notConvertible(t, "an integer", "I64, I32, I16, I8, U64, U32, U16 or U8")
	}
	return out, slices.Clone(t.Shape), nil
}

func (f *File) lookup(name string) (Tensor, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return Tensor{}, fmt.Errorf("safetensors: no tensor named %q", name)
	}
	// Decode guarantees this; the check keeps a File edited by hand from causing a panic.
	if want, ok := byteLength(t.DType, t.Shape); !ok || want != uint64(len(t.Data)) {
		return Tensor{}, fmt.Errorf("safetensors: tensor %q: shape %v of %s does not match its %d bytes of data", name, t.Shape, t.DType, len(t.Data))
	}
	return t, nil
}

func notConvertible(t Tensor, kind, dtypes string) error {
	return fmt.Errorf("safetensors: tensor %q has dtype %s, not %s type (%s)", t.Name, t.DType, kind, dtypes)
}
