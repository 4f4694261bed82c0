package safetensors

import (
	"bytes"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// TestFloat16KnownBitPatterns checks the narrowing on values whose binary16 encodings can be
// read off the format's definition: normals, the edges of the subnormal range, ties (to even),
// overflow to infinity and the specials.
func TestFloat16KnownBitPatterns(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want uint16
	}{
		{0, 0x0000},
		{math.Copysign(0, -1), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.5, 0x3800},
		{1.0 / 3, 0x3555},          // 0x3555 is 0.33325, 0x3556 0.33350: 1/3 is nearer the first
		{65504, 0x7bff},            // MaxFloat16
		{65519.99, 0x7bff},         // under the midpoint 65520 between MaxFloat16 and 2^16
		{65520, 0x7c00},            // the midpoint: ties to even, and "even" is 2^16, infinity
		{1e10, 0x7c00},             // far beyond: infinity
		{-70000, 0xfc00},           // beyond, negative: minus infinity
		{0x1p-14, 0x0400},          // the smallest normal
		{0x1p-24, 0x0001},          // the smallest subnormal
		{-0x1p-24, 0x8001},         // negative subnormal
		{1023 * 0x1p-24, 0x03ff},   // the largest subnormal
		{1023.5 * 0x1p-24, 0x0400}, // a tie between it and the smallest normal: to the even one
		{0x1p-25, 0x0000},          // a tie between 0 and the smallest subnormal: to 0
		{0x1.000001p-25, 0x0001},   // just above that tie
		{3 * 0x1p-25, 0x0002},      // a tie between subnormals 1 and 2: to 2
		{5 * 0x1p-25, 0x0002},      // a tie between 2 and 3: to 2
		{0x1p-26, 0x0000},          // under half the smallest subnormal
		{1e-300, 0x0000},           // a float64 normal far under binary16's range
		{5e-324, 0x0000},           // a float64 subnormal
		{1 + 0x1p-11, 0x3c00},      // a tie between 1 and 1+2^-10: to 1, whose mantissa is even
		{1 + 3*0x1p-11, 0x3c02},    // a tie between 1+2^-10 and 1+2^-9: to the even 0x3c02
		{1 + 0x1p-11 + 0x1p-40, 0x3c01},
		{2 - 0x1p-12, 0x4000}, // rounds up across the exponent: the mantissa carries
		{math.Inf(1), 0x7c00},
		{math.Inf(-1), 0xfc00},
	} {
		if got := float64ToFloat16(c.v); got != c.want {
			t.Errorf("float64ToFloat16(%v) = %#04x, want %#04x", c.v, got, c.want)
		}
	}
	// A NaN stays a NaN (quiet), with its sign.
	for _, nan := range []float64{math.NaN(), math.Copysign(math.NaN(), -1)} {
		got := float64ToFloat16(nan)
		if got&0x7c00 != 0x7c00 || got&0x3ff == 0 || got&0x8000 != uint16(b2u(math.Signbit(nan)))<<15 {
			t.Errorf("float64ToFloat16(%v) = %#04x, want a NaN of the same sign", nan, got)
		}
	}
}

func b2u(b bool) uint16 {
	if b {
		return 1
	}
	return 0
}

// TestFloat16RoundTripsEveryValue: narrowing gives back the bits of every binary16 value once
// widened; a NaN comes back quiet (bit 0x200 set), with its sign and payload.
func TestFloat16RoundTripsEveryValue(t *testing.T) {
	for h := range 1 << 16 {
		got := float64ToFloat16(float64(Float16ToFloat32(uint16(h))))
		want := uint16(h)
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			want |= 0x200
		}
		if got != want {
			t.Fatalf("float64ToFloat16(Float16ToFloat32(%#04x)) = %#04x, want %#04x", h, got, want)
		}
	}
}

// float16Nearest is the slow, obviously correct twin of float64ToFloat16 for non-NaN values: it
// searches the sorted table of binary16 values for the nearest one, ties to the even bit
// pattern; magnitudes from 65520 (the midpoint between MaxFloat16 and 2^16, the next value the
// exponent would give) round to infinity.
func float16Nearest(table []float64, v float64) uint16 {
	sign := uint16(0)
	if math.Signbit(v) {
		sign = 0x8000
	}
	a := math.Abs(v)
	if a >= 65520 {
		return sign | 0x7c00
	}
	i := sort.SearchFloat64s(table, a) // the first table[i] >= a
	if i == len(table) {
		return sign | 0x7bff
	}
	if table[i] == a || i == 0 {
		return sign | uint16(i)
	}
	below, above := a-table[i-1], table[i]-a
	switch {
	case below < above:
		return sign | uint16(i-1)
	case above < below:
		return sign | uint16(i)
	case i%2 == 0:
		return sign | uint16(i)
	default:
		return sign | uint16(i-1)
	}
}

// TestFloat16MatchesNearest compares float64ToFloat16 with float16Nearest on every binary16
// value, every midpoint between two neighbours (the ties), the float64 and float32 numbers just
// either side of each midpoint, and random float32 and float64 numbers of every magnitude.
func TestFloat16MatchesNearest(t *testing.T) {
	// Bit patterns 0 to 0x7bff are the non-negative finite values in increasing order.
	table := make([]float64, 0x7c00)
	for h := range table {
		table[h] = float64(Float16ToFloat32(uint16(h)))
	}
	var values []float64
	for i := range len(table) {
		next := 65536.0 // where the next value would be: the midpoint 65520 decides overflow
		if i+1 < len(table) {
			next = table[i+1]
		}
		mid := (table[i] + next) / 2 // exact: one more bit than binary16 has
		values = append(values, table[i], mid,
			math.Nextafter(mid, 0), math.Nextafter(mid, math.Inf(1)),
			float64(math.Nextafter32(float32(mid), 0)), float64(math.Nextafter32(float32(mid), float32(math.Inf(1)))))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		values = append(values, float64(math.Float32frombits(rng.Uint32())), math.Float64frombits(rng.Uint64()))
	}
	for _, v := range values {
		for _, x := range []float64{v, -v} {
			if math.IsNaN(x) {
				continue
			}
			if got, want := float64ToFloat16(x), float16Nearest(table, x); got != want {
				t.Fatalf("float64ToFloat16(%v) = %#04x, want %#04x", x, got, want)
			}
		}
	}
}

// TestFromFloatAsF16 writes F16 tensors and reads them back, and refuses a value that would
// overflow, naming it.
func TestFromFloatAsF16(t *testing.T) {
	data := []float32{1, -0.1, 65519, 0x1p-24, 1e-9, float32(math.Inf(-1))}
	a, err := FromFloat32AsF16("a", []int{2, 3}, data)
	if err != nil {
		t.Fatal(err)
	}
	// 1 + 2^-11 + 2^-40 rounds to 1 + 2^-11 in float32, a tie that then rounds to 1; rounded
	// once, from float64, it is above the tie and rounds up to 1 + 2^-10.
	b, err := FromFloat64AsF16("b", []int{1}, []float64{1 + 0x1p-11 + 0x1p-40})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, []Tensor{a, b}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, shape, err := f.Float32s("a")
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{1, -0.0999755859375, 65504, 0x1p-24, 0, float32(math.Inf(-1))}
	if len(shape) != 2 || shape[0] != 2 || shape[1] != 3 {
		t.Errorf("shape %v, want [2 3]", shape)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("element %d: %v read back as %v, want %v", i, data[i], got[i], want[i])
		}
	}
	if got, _, _ := f.Float64s("b"); got[0] != 1+0x1p-10 {
		t.Errorf("FromFloat64AsF16(1 + 2^-11 + 2^-40) reads back as %v, want 1 + 2^-10 (rounded once)", got[0])
	}
	for _, v := range []float32{65520, -1e6, math.MaxFloat32} {
		_, err := FromFloat32AsF16("w", []int{3}, []float32{0, 1, v})
		if err == nil || !strings.Contains(err.Error(), `"w"`) || !strings.Contains(err.Error(), "element 2") || !strings.Contains(err.Error(), "65504") {
			t.Errorf("FromFloat32AsF16 of %g: %v, want an error naming the tensor, the element and the limit", v, err)
		}
	}
	if _, err := FromFloat64AsF16("w", []int{1}, []float64{-65520}); err == nil {
		t.Errorf("FromFloat64AsF16(-65520): no error, want an overflow")
	}
}
