package safetensors

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// rawFile assembles a file from a header and a buffer exactly as given, with no padding and no
// checks, so tests can build every kind of broken file.
func rawFile(header string, buffer []byte) []byte {
	data := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	data = append(data, header...)
	return append(data, buffer...)
}

func TestDecodeAcceptsWhatTheSpecAllows(t *testing.T) {
	cases := []struct {
		name, header string
		buffer       []byte
		names        []string
	}{
		{"no tensors", `{}`, nil, nil},
		{"trailing whitespace", "{}  \t\n ", nil, nil},
		{"metadata null", `{"__metadata__":null}`, nil, nil},
		{"metadata in the middle",
			`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`,
			[]byte{1, 2}, []string{"b", "a"}},
		{"zero-size tensors share offsets",
			`{"z":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F64","shape":[0],"data_offsets":[4,4]}}`,
			make([]byte, 4), []string{"z", "x", "y"}},
		{"unknown entry fields ignored", `{"x":{"dtype":"U8","shape":[],"data_offsets":[0,1],"extra":[1]}}`, []byte{9}, []string{"x"}},
	}
	for _, c := range cases {
		f, err := Decode(rawFile(c.header, c.buffer))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := f.Names(); !slices.Equal(got, c.names) {
			t.Errorf("%s: names %q, want %q (header order)", c.name, got, c.names)
		}
	}

	// Header order and data order differ: each tensor still gets its own bytes.
	f, err := Decode(rawFile(`{"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{10, 20, 30}))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Tensor("a")
	b, _ := f.Tensor("b")
	if !slices.Equal(a.Data, []byte{10}) || !slices.Equal(b.Data, []byte{20, 30}) {
		t.Errorf("a = %v, b = %v; want [10], [20 30]", a.Data, b.Data)
	}
}

func TestDecodeRejectsCorruptFiles(t *testing.T) {
	const u8x2 = `{"dtype":"U8","shape":[2],"data_offsets":[0,2]}`
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "file is 0 bytes, too short for the 8-byte header length"},
		{"7 bytes", []byte{2, 0, 0, 0, 0, 0, 0}, "file is 7 bytes"},
		{"length past end", append(binary.LittleEndian.AppendUint64(nil, 9999999), make([]byte, 112)...), "header length 9999999 exceeds file size 120"},
		{"length 2^64-1", binary.LittleEndian.AppendUint64(nil, math.MaxUint64), "header length 18446744073709551615 exceeds file size 8"},
		{"length 0", rawFile(``, nil), "header length 0 is too short"},
		{"not utf-8", rawFile("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"not an object", rawFile(`[1, 2]`, nil), "does not start with '{'"},
		{"leading space", rawFile(` {}`, nil), "does not start with '{'"},
		{"unterminated", rawFile(`{"x":{"dtype":"U8"`, nil), `tensor "x"`},
		{"bad JSON", rawFile(`{"x" 1}`, nil), `tensor "x": expected colon`},
		{"unquoted key", rawFile(`{x:1}`, nil), "header"},
		{"trailing garbage", rawFile(`{}x`, nil), "after the JSON object"},
		{"second object", rawFile(`{}{}`, nil), "after the JSON object"},
		{"duplicate tensor", rawFile(`{"x":`+u8x2+`,"x":`+u8x2+`}`, make([]byte, 2)), `tensor "x" appears twice`},
		{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil), `"__metadata__" twice`},
		{"duplicate metadata key", rawFile(`{"__metadata__":{"k":"a","k":"b"}}`, nil), `key "k" appears twice`},
		{"metadata number", rawFile(`{"__metadata__":{"k":1}}`, nil), `value of key "k" is 1, not a string`},
		{"metadata nested", rawFile(`{"__metadata__":{"k":{}}}`, nil), `value of key "k"`},
		{"metadata array", rawFile(`{"__metadata__":["k"]}`, nil), "not an object of strings"},
		{"entry not object", rawFile(`{"x":5}`, nil), `tensor "x": json: cannot unmarshal number`},
		{"missing dtype", rawFile(`{"x":{"shape":[2],"data_offsets":[0,2]}}`, make([]byte, 2)), `tensor "x": missing dtype`},
		{"unknown dtype", rawFile(`{"x":{"dtype":"F4","shape":[2],"data_offsets":[0,2]}}`, make([]byte, 2)), `tensor "x": unknown dtype "F4"`},
		{"lowercase dtype", rawFile(`{"x":{"dtype":"f32","shape":[],"data_offsets":[0,4]}}`, make([]byte, 4)), `unknown dtype "f32"`},
		{"missing shape", rawFile(`{"x":{"dtype":"U8","data_offsets":[0,2]}}`, make([]byte, 2)), `tensor "x": missing shape`},
		{"null shape", rawFile(`{"x":{"dtype":"U8","shape":null,"data_offsets":[0,2]}}`, make([]byte, 2)), `tensor "x": missing shape`},
		{"negative dim", rawFile(`{"x":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}}`, make([]byte, 2)), `invalid dimension -2`},
		{"fractional dim", rawFile(`{"x":{"dtype":"U8","shape":[1.5],"data_offsets":[0,2]}}`, make([]byte, 2)), `tensor "x"`},
		{"missing offsets", rawFile(`{"x":{"dtype":"U8","shape":[2]}}`, make([]byte, 2)), `data_offsets has 0 numbers`},
		{"three offsets", rawFile(`{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,1,2]}}`, make([]byte, 2)), `data_offsets has 3 numbers`},
		{"negative offset", rawFile(`{"x":{"dtype":"U8","shape":[2],"data_offsets":[-2,0]}}`, make([]byte, 2)), `tensor "x"`},
		{"reversed offsets", rawFile(`{"x":{"dtype":"U8","shape":[2],"data_offsets":[2,0]}}`, make([]byte, 2)), `data_offsets [2, 0] end before they begin`},
		{"shape vs bytes", rawFile(`{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}`, make([]byte, 20)), `tensor "x": shape [2 3] needs 24 bytes, offsets give 20`},
		{"shape overflow", rawFile(`{"x":{"dtype":"F32","shape":[65536,65536,65536,65536],"data_offsets":[0,0]}}`, nil), `tensor "x": shape [65536 65536 65536 65536] is too large`},
		{"gap", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}`, make([]byte, 3)), `tensor "b": data begins at byte 2, expected 1`},
		{"overlap", rawFile(`{"a":`+u8x2+`,"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, make([]byte, 3)), `tensor "b": data begins at byte 1, expected 2`},
		{"same range twice", rawFile(`{"a":`+u8x2+`,"b":`+u8x2+`}`, make([]byte, 2)), `data begins at byte 0, expected 2`},
		{"not starting at 0", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)), `tensor "a": data begins at byte 1, expected 0`},
		{"buffer too long", rawFile(`{"a":`+u8x2+`}`, make([]byte, 5)), `tensors cover 2 bytes but the data buffer has 5`},
		{"buffer too short", rawFile(`{"a":`+u8x2+`}`, make([]byte, 1)), `tensors cover 2 bytes but the data buffer has 1`},
		{"offsets past 2^63", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}}`, nil), `expected 0`},
	}
	for _, c := range cases {
		f, err := Decode(c.data)
		if err == nil {
			t.Errorf("%s: Decode succeeded with %d tensors, want an error containing %q", c.name, len(f.Tensors), c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
			t.Errorf("%s: error %q, want one containing %q", c.name, err, c.want)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %q does not wrap ErrInvalid", c.name, err)
		}
	}
}

// TestDecodeTruncatedAndFlipped cuts a valid file at every length and flips every bit of it one
// at a time: each result must decode cleanly or fail with ErrInvalid, never panic.
func TestDecodeTruncatedAndFlipped(t *testing.T) {
	data := encode(t, sampleTensors(), map[string]string{"format": "pt"})
	for n := range len(data) {
		if _, err := Decode(data[:n]); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Decode of the first %d of %d bytes: error %v, want ErrInvalid", n, len(data), err)
		}
	}
	for i := range 8 * len(data) {
		flipped := slices.Clone(data)
		flipped[i/8] ^= 1 << (i % 8)
		if f, err := Decode(flipped); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("bit %d flipped: error %v does not wrap ErrInvalid", i, err)
			}
		} else {
			exerciseAccessors(f)
		}
	}
}

// exerciseAccessors calls every accessor on every tensor; a decoded file must never make them
// panic.
func exerciseAccessors(f *File) {
	for _, t := range f.Tensors {
		f.Float32s(t.Name)
		f.Float64s(t.Name)
		f.Int64s(t.Name)
	}
}

func TestAccessorErrors(t *testing.T) {
	f, err := Decode(encode(t, sampleTensors(), nil))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"missing", func() error { _, _, err := f.Float32s("nope"); return err }, `no tensor named "nope"`},
		{"int as float32", func() error { _, _, err := f.Float32s("step"); return err }, `tensor "step" has dtype I64, not a floating-point type`},
		{"int as float64", func() error { _, _, err := f.Float64s("mask"); return err }, `tensor "mask" has dtype U8, not a floating-point type`},
		{"float as int", func() error { _, _, err := f.Int64s("conv.bias"); return err }, `tensor "conv.bias" has dtype F64, not an integer type`},
	}
	for _, c := range cases {
		if err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}

	big, err := Decode(rawFile(`{"u":{"dtype":"U64","shape":[2],"data_offsets":[0,16]}}`,
		binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 5), 1<<63)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := big.Int64s("u"); err == nil || !strings.Contains(err.Error(), "element 1 is 9223372036854775808") {
		t.Errorf("Int64s of U64 above MaxInt64: error %v", err)
	}

	// A File edited by hand into an inconsistent state gives an error, not a panic.
	f.Tensors[0].Data = f.Tensors[0].Data[:1]
	if _, _, err := f.Float64s(f.Tensors[0].Name); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("inconsistent tensor: error %v", err)
	}
}

func TestConversions(t *testing.T) {
	le := binary.LittleEndian
	var f16, bf16, f64 []byte
	for _, h := range []uint16{0x3c00, 0x0001, 0x7c00, 0xfe00, 0x8000} { // 1, 2^-24, +inf, -nan, -0
		f16 = le.AppendUint16(f16, h)
	}
	for _, b := range []uint16{0x4049, 0x0001, 0xff80} { // 3.140625, 2^-133, -inf
		bf16 = le.AppendUint16(bf16, b)
	}
	// 0.1 is not a float32: Float32s rounds it to nearest, Float64s keeps it.
	for _, v := range []float64{0.1, 1 + 0x1p-24, 1 + 0x1p-24 + 0x1p-50} {
		f64 = le.AppendUint64(f64, math.Float64bits(v))
	}
	f, err := Decode(encode(t, []Tensor{
		{Name: "h", DType: F16, Shape: []int{5}, Data: f16},
		{Name: "b", DType: BF16, Shape: []int{3}, Data: bf16},
		{Name: "d", DType: F64, Shape: []int{3}, Data: f64},
	}, nil))
	if err != nil {
		t.Fatal(err)
	}
	checkFloats := func(name string, got []float64, want ...float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
		}
		for i := range got {
			if !sameFloat(got[i], want[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	widen := func(v []float32, _ []int, err error) []float64 {
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	keep := func(v []float64, _ []int, err error) []float64 {
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	negNaN, negZero := math.Copysign(math.NaN(), -1), math.Copysign(0, -1)
	checkFloats("F16 as float32", widen(f.Float32s("h")), 1, 0x1p-24, math.Inf(1), negNaN, negZero)
	checkFloats("F16 as float64", keep(f.Float64s("h")), 1, 0x1p-24, math.Inf(1), negNaN, negZero)
	checkFloats("BF16 as float32", widen(f.Float32s("b")), 3.140625, 0x1p-133, math.Inf(-1))
	checkFloats("BF16 as float64", keep(f.Float64s("b")), 3.140625, 0x1p-133, math.Inf(-1))
	// 1+2^-24 is a tie between 1 and 1+2^-23 and rounds to even (1); a hair above rounds up.
	checkFloats("F64 as float32", widen(f.Float32s("d")), float64(float32(0.1)), 1, 1+0x1p-23)
	checkFloats("F64 as float64", keep(f.Float64s("d")), 0.1, 1+0x1p-24, 1+0x1p-24+0x1p-50)
}
