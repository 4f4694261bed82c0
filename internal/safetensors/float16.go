package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// MaxFloat16 is the largest finite IEEE 754 binary16 value, (2 − 2^-10) · 2^15.
const MaxFloat16 = 65504

// FromFloat32AsF16 returns an F16 tensor holding data rounded to the nearest binary16 value
// (ties to even), as numpy's astype(float16) and PyTorch's .half() round. Shape and data are
// copied; data must have exactly as many elements as shape describes.
//
// binary16 has 11 significant bits, so each value moves by at most 2^-11 of itself (a relative
// error of 4.9e-4). Magnitudes under 2^-14 (6.1e-5) become subnormals with an absolute step of
// 2^-24 (6.0e-8), and under 2^-25 they become zero. A finite value that would round to infinity
// (a magnitude of 65520 or more; up to that it rounds to MaxFloat16) is an error naming the
// element rather than an infinity in the file. NaNs and infinities stay what they are.
func FromFloat32AsF16(name string, shape []int, data []float32) (Tensor, error) {
	return fromFloatsAsF16("FromFloat32AsF16", name, shape, data)
}

// FromFloat64AsF16 is FromFloat32AsF16 for float64 data. Each value is rounded once, straight
// to binary16: rounding to float32 first could round a value twice, and differently.
func FromFloat64AsF16(name string, shape []int, data []float64) (Tensor, error) {
	return fromFloatsAsF16("FromFloat64AsF16", name, shape, data)
}

func fromFloatsAsF16[T float32 | float64](op, name string, shape []int, data []T) (Tensor, error) {
	checkElements(op, shape, len(data))
	out := make([]byte, 0, 2*len(data))
	for i, v := range data {
		h := float64ToFloat16(float64(v)) // float32 to float64 is exact
		if h&0x7fff == 0x7c00 && !math.IsInf(float64(v), 0) {
			return Tensor{}, fmt.Errorf("safetensors: tensor %q: element %d is %g, beyond float16's largest value %d: it would become infinite", name, i, v, MaxFloat16)
		}
		out = binary.LittleEndian.AppendUint16(out, h)
	}
	return Tensor{Name: name, DType: F16, Shape: append([]int(nil), shape...), Data: out}, nil
}

// float64ToFloat16 rounds v to the nearest IEEE 754 binary16 value, ties to even; a magnitude
// that rounds beyond MaxFloat16 becomes infinity, as IEEE 754 specifies. It is the inverse of
// Float16ToFloat32 on every binary16 value (a NaN keeps its sign and the top 9 bits of its
// payload, and is made quiet).
//
// binary64: 1 sign bit, 11 exponent bits (bias 1023), 52 mantissa bits.
// binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
func float64ToFloat16(v float64) uint16 {
	bits := math.Float64bits(v)
	sign := uint16(bits>>48) & 0x8000
	exponent := int(bits>>52) & 0x7ff
	mantissa := bits & (1<<52 - 1)
	switch {
	case exponent == 0x7ff && mantissa == 0:
		return sign | 0x7c00 // infinity
	case exponent == 0x7ff:
		// NaN: the quiet bit (0x200) keeps it a NaN even when the payload's top bits are 0.
		return sign | 0x7c00 | 0x200 | uint16(mantissa>>42)
	case exponent == 0:
		return sign // zero, or a float64 subnormal (under 2^-1022): far under half of 2^-24
	}
	e := exponent - 1023 // v = ±1.mantissa · 2^e
	switch {
	case e > 15:
		return sign | 0x7c00 // 2^16 or more: beyond MaxFloat16 by more than half a step
	case e >= -14:
		// Normal: keep the top 10 of the 52 mantissa bits and round on the other 42. A carry out
		// of the mantissa (1.1111111111|1… rounds up to 10.0) adds one to the exponent field,
		// which is the right result, and at e = 15 gives exactly infinity's bit pattern.
		h := uint16(e+15)<<10 | uint16(mantissa>>42)
		return sign | (h + roundUp(mantissa, 42, h))
	default:
		// Subnormal: v = m · 2^-24 with m = 1.mantissa · 2^(e+24) < 2^10. With the implicit bit
		// made explicit, m is the 53-bit significand shifted right by 28 − e (> 42).
		significand := 1<<52 | mantissa
		shift := 28 - e
		if shift > 53 {
			return sign // under 2^-25, half the smallest subnormal: rounds to zero
		}
		m := uint16(significand >> shift)
		// Rounding up the largest subnormal (0x3ff) gives 0x400, the smallest normal: right.
		return sign | (m + roundUp(significand, shift, m))
	}
}

// roundUp returns 1 when the low `dropped` bits of x, cut off to give kept, are more than half
// of kept's last place, or exactly half and kept is odd (round half to even); 0 otherwise.
func roundUp(x uint64, dropped int, kept uint16) uint16 {
	rest := x & (1<<dropped - 1)
	half := uint64(1) << (dropped - 1)
	if rest > half || (rest == half && kept&1 == 1) {
		return 1
	}
	return 0
}
