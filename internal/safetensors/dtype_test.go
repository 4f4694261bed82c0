package safetensors

import (
	"math"
	"testing"
)

// halfReference decodes a 16-bit IEEE-style float from the definition of the format, in float64:
// with e exponent bits (bias 2^(e-1)-1) and m = 15-e mantissa bits, the value is
// (-1)^sign * 2^(exponent-bias) * (1 + mantissa/2^m), or 2^(1-bias) * mantissa/2^m when the
// exponent field is 0; an all-ones exponent is infinity or NaN (which keeps its sign).
// F16 has 5 exponent bits, BF16 8.
func halfReference(h uint16, exponentBits int) float64 {
	mantissaBits := 15 - exponentBits
	bias := 1<<(exponentBits-1) - 1
	allOnes := 1<<exponentBits - 1
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exponent := int(h>>mantissaBits) & allOnes
	fraction := float64(int(h)&(1<<mantissaBits-1)) / float64(int(1)<<mantissaBits)
	switch exponent {
	case allOnes:
		if fraction == 0 {
			return math.Inf(int(sign))
		}
		return math.Copysign(math.NaN(), sign)
	case 0:
		return sign * math.Ldexp(fraction, 1-bias)
	default:
		return sign * math.Ldexp(1+fraction, exponent-bias)
	}
}

// sameFloat reports whether got is exactly want: equal values, equal signs (so -0 differs from
// +0), or both NaN with the same sign.
func sameFloat(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got) && math.Signbit(got) == math.Signbit(want)
	}
	return got == want && math.Signbit(got) == math.Signbit(want)
}

func TestFloat16AllBitPatterns(t *testing.T) {
	for h := range 1 << 16 {
		got := float64(Float16ToFloat32(uint16(h)))
		want := halfReference(uint16(h), 5)
		if !sameFloat(got, want) {
			t.Fatalf("Float16ToFloat32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestBFloat16AllBitPatterns(t *testing.T) {
	for b := range 1 << 16 {
		got := float64(BFloat16ToFloat32(uint16(b)))
		want := halfReference(uint16(b), 8)
		if !sameFloat(got, want) {
			t.Fatalf("BFloat16ToFloat32(%#04x) = %v, want %v", b, got, want)
		}
	}
}

// Values everyone can check by hand (or against numpy), so the reference decoders above are not
// the only witness.
func TestHalfPrecisionKnownValues(t *testing.T) {
	f16 := []struct {
		bits uint16
		want float64
	}{
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},                  // largest finite
		{0x0400, 6.103515625e-05},        // smallest normal, 2^-14
		{0x03ff, 6.097555160522461e-05},  // largest subnormal
		{0x0001, 5.960464477539063e-08},  // smallest subnormal, 2^-24
		{0x8001, -5.960464477539063e-08}, // negative subnormal
		{0x0000, 0},
		{0x8000, math.Copysign(0, -1)},
		{0x7c00, math.Inf(1)},
		{0xfc00, math.Inf(-1)},
		{0x7e00, math.NaN()},
		{0xfe01, math.Copysign(math.NaN(), -1)},
	}
	for _, c := range f16 {
		if got := float64(Float16ToFloat32(c.bits)); !sameFloat(got, c.want) {
			t.Errorf("F16 %#04x = %v, want %v", c.bits, got, c.want)
		}
	}
	bf16 := []struct {
		bits uint16
		want float64
	}{
		{0x3f80, 1},
		{0x4049, 3.140625},
		{0x3eab, 0.333984375},
		{0x7f7f, 3.3895313892515355e+38}, // largest finite
		{0x0080, 1.1754943508222875e-38}, // smallest normal, 2^-126
		{0x0001, 9.183549615799121e-41},  // smallest subnormal, 2^-133
		{0x8000, math.Copysign(0, -1)},
		{0x7f80, math.Inf(1)},
		{0xff80, math.Inf(-1)},
		{0x7fc0, math.NaN()},
	}
	for _, c := range bf16 {
		if got := float64(BFloat16ToFloat32(c.bits)); !sameFloat(got, c.want) {
			t.Errorf("BF16 %#04x = %v, want %v", c.bits, got, c.want)
		}
	}
}

func TestDTypeSizes(t *testing.T) {
	want := map[DType]int{BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
		I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8, "F4": 0, "f32": 0, "": 0}
	for d, size := range want {
		if got := d.Size(); got != size {
			t.Errorf("DType(%q).Size() = %d, want %d", d, got, size)
		}
	}
}
