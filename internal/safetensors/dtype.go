package safetensors

import "math"

// DType is an element type, spelled as in the header's "dtype" field.
type DType string

// The element types of the safetensors specification that have a whole number of bytes per
// element. Files may hold any of them; File.Float32s and File.Float64s convert the floating-point
// ones and File.Int64s the integer ones. Other dtypes (such as the sub-byte F4 and F6 formats) are
// rejected as unknown.
const (
	BOOL   DType = "BOOL"
	U8     DType = "U8"
	I8     DType = "I8"
	F8E5M2 DType = "F8_E5M2"
	F8E4M3 DType = "F8_E4M3"
	I16    DType = "I16"
	U16    DType = "U16"
	F16    DType = "F16"
	BF16   DType = "BF16"
	I32    DType = "I32"
	U32    DType = "U32"
	F32    DType = "F32"
	F64    DType = "F64"
	I64    DType = "I64"
	U64    DType = "U64"
)

// knownDTypes lists the dtypes in the order of the reference implementation's Dtype enum. Encode
// lays tensors out in descending order of this rank, which the reference chose so that wider
// types come first and every tensor starts at a multiple of its element size.
var knownDTypes = []struct {
	dtype DType
	size  int
}{
	{BOOL, 1}, {U8, 1}, {I8, 1}, {F8E5M2, 1}, {F8E4M3, 1},
	{I16, 2}, {U16, 2}, {F16, 2}, {BF16, 2},
	{I32, 4}, {U32, 4}, {F32, 4},
	{F64, 8}, {I64, 8}, {U64, 8},
}

// Size returns the number of bytes per element, or 0 for a dtype this package does not know.
func (d DType) Size() int {
	for _, k := range knownDTypes {
		if k.dtype == d {
			return k.size
		}
	}
	return 0
}

// rank is d's position in the reference implementation's Dtype enum (-1 if unknown).
func (d DType) rank() int {
	for i, k := range knownDTypes {
		if k.dtype == d {
			return i
		}
	}
	return -1
}

// Float16ToFloat32 widens an IEEE 754 binary16 value. Every binary16 value, subnormals included,
// is exactly representable as a float32, so the conversion is exact.
//
// binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
// binary32: 1 sign bit, 8 exponent bits (bias 127), 23 mantissa bits.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exponent := uint32(h>>10) & 0x1f
	mantissa := uint32(h) & 0x3ff
	switch {
	case exponent == 0x1f:
		// Infinity (mantissa 0) or NaN; keep the NaN payload in the top mantissa bits.
		return math.Float32frombits(sign | 0xff<<23 | mantissa<<13)
	case exponent != 0:
		// Normal: rebias the exponent from 15 to 127 and widen the mantissa.
		return math.Float32frombits(sign | (exponent+127-15)<<23 | mantissa<<13)
	case mantissa == 0:
		return math.Float32frombits(sign) // signed zero
	default:
		// Subnormal: the value is mantissa * 2^-24, a normal number in float32. The product
		// of a small integer and a power of two is exact.
		v := float32(mantissa) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
}

// BFloat16ToFloat32 widens a bfloat16 value. bfloat16 is the top half of a float32 (same sign and
// 8-bit exponent, 7 of the 23 mantissa bits), so widening is a shift and exact for every value.
func BFloat16ToFloat32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}
