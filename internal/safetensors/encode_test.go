package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// sampleTensors covers every writer helper, a raw dtype, a scalar and an empty tensor.
func sampleTensors() []Tensor {
	return []Tensor{
		FromFloat32("conv.weight", []int{2, 3}, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, 1e-40}),
		FromFloat64("conv.bias", []int{2}, []float64{math.Pi, -math.SmallestNonzeroFloat64}),
		FromInt64("step", []int{}, []int64{math.MaxInt64}),
		FromFloat32("empty", []int{0, 3}, nil),
		{Name: "mask", DType: U8, Shape: []int{3}, Data: []byte{0, 1, 255}},
		{Name: "half", DType: BF16, Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x49, 0x40}},
	}
}

func encode(t testing.TB, tensors []Tensor, metadata map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, tensors, metadata); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.Bytes()
}

func sameTensor(a, b Tensor) bool {
	return a.Name == b.Name && a.DType == b.DType && slices.Equal(a.Shape, b.Shape) && bytes.Equal(a.Data, b.Data)
}

func TestRoundTrip(t *testing.T) {
	tensors := sampleTensors()
	metadata := map[string]string{"format": "pt", "epoch": "7", "note": "<&> ünïcode"}
	f, err := Decode(encode(t, tensors, metadata))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(f.Tensors) != len(tensors) {
		t.Fatalf("decoded %d tensors, want %d", len(f.Tensors), len(tensors))
	}
	for _, want := range tensors {
		got, ok := f.Tensor(want.Name)
		if !ok {
			t.Fatalf("tensor %q missing after round trip", want.Name)
		}
		if !sameTensor(got, want) {
			t.Errorf("tensor %q: got %+v, want %+v", want.Name, got, want)
		}
	}
	if len(f.Metadata) != len(metadata) {
		t.Errorf("metadata %v, want %v", f.Metadata, metadata)
	}
	for k, v := range metadata {
		if f.Metadata[k] != v {
			t.Errorf("metadata[%q] = %q, want %q", k, f.Metadata[k], v)
		}
	}

	// The typed accessors give back what the helpers were given.
	w, shape, err := f.Float32s("conv.weight")
	if err != nil || !slices.Equal(shape, []int{2, 3}) || !slices.Equal(w, []float32{1, -2, 3.5, float32(math.Inf(1)), 0, 1e-40}) {
		t.Errorf("Float32s(conv.weight) = %v, %v, %v", w, shape, err)
	}
	b, _, err := f.Float64s("conv.bias")
	if err != nil || !slices.Equal(b, []float64{math.Pi, -math.SmallestNonzeroFloat64}) {
		t.Errorf("Float64s(conv.bias) = %v, %v", b, err)
	}
	s, shape, err := f.Int64s("step")
	if err != nil || len(shape) != 0 || !slices.Equal(s, []int64{math.MaxInt64}) {
		t.Errorf("Int64s(step) = %v, %v, %v", s, shape, err)
	}
	e, shape, err := f.Float32s("empty")
	if err != nil || len(e) != 0 || !slices.Equal(shape, []int{0, 3}) {
		t.Errorf("Float32s(empty) = %v, %v, %v", e, shape, err)
	}
	m, _, err := f.Int64s("mask")
	if err != nil || !slices.Equal(m, []int64{0, 1, 255}) {
		t.Errorf("Int64s(mask) = %v, %v", m, err)
	}
	h, _, err := f.Float64s("half")
	if err != nil || !slices.Equal(h, []float64{1, 3.140625}) {
		t.Errorf("Float64s(half) = %v, %v", h, err)
	}
}

// TestEncodeBytes pins the exact layout: metadata first with sorted keys, tensors by dtype rank
// (I64 before F64 before F32 before U8, as in the reference's enum) and then by name, compact
// JSON, spaces up to a multiple of 8.
func TestEncodeBytes(t *testing.T) {
	got := encode(t, []Tensor{
		FromFloat32("b", []int{2}, []float32{1, 2}),
		{Name: "u", DType: U8, Shape: []int{3}, Data: []byte{7, 8, 9}},
		FromFloat32("a", []int{1, 1}, []float32{3}),
		FromInt64("c", []int{}, []int64{-1}),
		FromFloat64("d", []int{1}, []float64{0.5}),
	}, map[string]string{"z": "last", "a": "first"})

	header := `{"__metadata__":{"a":"first","z":"last"},` +
		`"c":{"dtype":"I64","shape":[],"data_offsets":[0,8]},` +
		`"d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},` +
		`"a":{"dtype":"F32","shape":[1,1],"data_offsets":[16,20]},` +
		`"b":{"dtype":"F32","shape":[2],"data_offsets":[20,28]},` +
		`"u":{"dtype":"U8","shape":[3],"data_offsets":[28,31]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	var want []byte
	want = binary.LittleEndian.AppendUint64(want, uint64(len(header)))
	want = append(want, header...)
	want = binary.LittleEndian.AppendUint64(want, math.MaxUint64)        // c = -1
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(0.5)) // d
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(3))   // a
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(1))   // b[0]
	want = binary.LittleEndian.AppendUint32(want, math.Float32bits(2))   // b[1]
	want = append(want, 7, 8, 9)                                         // u
	if !bytes.Equal(got, want) {
		t.Errorf("Encode wrote\n%q\nwant\n%q", got, want)
	}
}

// TestEncodeAlignment checks the point of the dtype-first order: every tensor begins at a
// multiple of its element size, so a reader can view the bytes in place.
func TestEncodeAlignment(t *testing.T) {
	var tensors []Tensor
	dtypes := []DType{U8, F16, F64, I32, BF16, I64, F32, I8, U16}
	for i, d := range dtypes {
		n := 1 + 3*i%5 // odd element counts, so misalignment would show
		tensors = append(tensors, Tensor{Name: string(rune('a' + i)), DType: d, Shape: []int{n}, Data: make([]byte, n*d.Size())})
	}
	data := encode(t, tensors, nil)
	n := binary.LittleEndian.Uint64(data)
	if (8+n)%8 != 0 {
		t.Errorf("data buffer starts at byte %d, not a multiple of 8", 8+n)
	}
	var header map[string]struct {
		DType       DType    `json:"dtype"`
		DataOffsets []uint64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	for name, e := range header {
		if e.DataOffsets[0]%uint64(e.DType.Size()) != 0 {
			t.Errorf("tensor %q (%s) begins at offset %d", name, e.DType, e.DataOffsets[0])
		}
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	tensors := sampleTensors()
	metadata := map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}
	first := encode(t, tensors, metadata)
	slices.Reverse(tensors)
	for range 5 { // map iteration order varies from run to run
		if again := encode(t, tensors, metadata); !bytes.Equal(again, first) {
			t.Fatal("Encode output depends on input order or map iteration order")
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := FromFloat32("ok", []int{1}, []float32{1})
	cases := []struct {
		name     string
		tensors  []Tensor
		metadata map[string]string
		want     string
	}{
		{"duplicate", []Tensor{ok, ok}, nil, `tensor "ok" appears twice`},
		{"reserved", []Tensor{{Name: "__metadata__", DType: U8, Shape: []int{0}}}, nil, `"__metadata__" is reserved`},
		{"unknown dtype", []Tensor{{Name: "x", DType: "F4", Shape: []int{0}}}, nil, `tensor "x": unknown dtype "F4"`},
		{"short data", []Tensor{{Name: "x", DType: F32, Shape: []int{2, 3}, Data: make([]byte, 20)}}, nil, `tensor "x": shape [2 3] of F32 needs 24 bytes, data has 20`},
		{"negative dim", []Tensor{{Name: "x", DType: F32, Shape: []int{-1}}}, nil, `tensor "x": invalid shape [-1]`},
		{"huge shape", []Tensor{{Name: "x", DType: F32, Shape: []int{math.MaxInt / 2, math.MaxInt / 2, math.MaxInt / 2}}}, nil, `tensor "x": invalid shape`},
		{"bad name", []Tensor{{Name: "\xff", DType: U8, Shape: []int{0}}}, nil, `not valid UTF-8`},
		{"bad metadata", []Tensor{ok}, map[string]string{"k": "\xfe"}, `must be valid UTF-8`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		err := Encode(&b, c.tensors, c.metadata)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Encode error %v, want one containing %q", c.name, err, c.want)
		}
		if b.Len() != 0 {
			t.Errorf("%s: Encode wrote %d bytes before failing", c.name, b.Len())
		}
	}
}

func TestFromHelpersPanicOnMismatch(t *testing.T) {
	for name, f := range map[string]func(){
		"FromFloat32": func() { FromFloat32("x", []int{2, 3}, make([]float32, 5)) },
		"FromFloat64": func() { FromFloat64("x", []int{2}, make([]float64, 3)) },
		"FromInt64":   func() { FromInt64("x", []int{-1}, nil) },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "safetensors."+name) || !strings.Contains(msg, "shape") {
					t.Errorf("%s: panic %q, want one naming the function and the shape", name, msg)
				}
			}()
			f()
		}()
	}
}

func TestEmptyFile(t *testing.T) {
	data := encode(t, nil, nil)
	if want := "\x08\x00\x00\x00\x00\x00\x00\x00{}      "; string(data) != want {
		t.Errorf("empty file is %q, want %q", data, want)
	}
	f, err := Decode(data)
	if err != nil || len(f.Tensors) != 0 || len(f.Metadata) != 0 {
		t.Errorf("Decode(empty file) = %+v, %v", f, err)
	}
}
