package safetensors

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Interop with PyTorch, both ways. scripts/golden/safetensors_interop.py writes
// testdata/from_python.safetensors and checks testdata/from_zebra.safetensors, which
// `go test ./internal/safetensors -run TestFromZebra -update` writes. Both files are committed,
// so these tests need no Python.

var update = flag.Bool("update", false, "rewrite testdata/from_zebra.safetensors")

// zebraTensors is what from_zebra.safetensors holds; the Python script rebuilds the same values
// with torch (zebra_expected) and compares.
func zebraTensors() ([]Tensor, map[string]string) {
	weight := make([]float32, 24)
	for i := range weight {
		weight[i] = (float32(i) - 12) * 0.25
	}
	expAvg := make([]float64, 6)
	for i := range expAvg {
		expAvg[i] = float64(i) / 7
	}
	return []Tensor{
		FromFloat32("model.0.weight", []int{2, 3, 4}, weight),
		FromFloat32("model.0.bias", []int{2}, []float32{-0.5, -1}),
		FromFloat64("adam.exp_avg", []int{3, 2}, expAvg),
		FromInt64("adam.step", []int{}, []int64{1<<40 + 7}),
		FromFloat32("empty", []int{0}, nil),
	}, map[string]string{"format": "pt", "producer": "zebra internal/safetensors"}
}

// TestFromZebra pins the bytes zebra writes: the committed file, checked by PyTorch, must be
// exactly what Encode produces today.
func TestFromZebra(t *testing.T) {
	path := filepath.Join("testdata", "from_zebra.safetensors")
	tensors, metadata := zebraTensors()
	if *update {
		if err := WriteFile(path, tensors, metadata); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with -update)", err)
	}
	var now bytes.Buffer
	if err := Encode(&now, tensors, metadata); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(now.Bytes(), committed) {
		t.Errorf("Encode no longer writes the bytes of %s, which PyTorch was checked against; "+
			"if the change is intended, run with -update and rerun scripts/golden/safetensors_interop.py", path)
	}
}

// TestFromPython reads the file PyTorch wrote and compares every value with one computed here
// from the same formulas (see python_tensors in the script).
func TestFromPython(t *testing.T) {
	f, err := ReadFile(filepath.Join("testdata", "from_python.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"f32.arange", "f64.thirds", "f16.halves", "f16.special", "bf16.wide",
		"bf16.special", "i64.steps", "i32.small", "u8.top", "scalar", "empty"}
	if got := f.Names(); !slices.Equal(got, wantNames) {
		t.Errorf("names %q, want %q", got, wantNames)
	}
	wantMeta := map[string]string{"format": "pt", "producer": "scripts/golden/safetensors_interop.py"}
	if len(f.Metadata) != len(wantMeta) || f.Metadata["format"] != "pt" || f.Metadata["producer"] != wantMeta["producer"] {
		t.Errorf("metadata %v, want %v", f.Metadata, wantMeta)
	}

	inf, nan := math.Inf(1), math.NaN()
	floats := []struct {
		name  string
		dtype DType
		shape []int
		want  func(i int) float64
		n     int
	}{
		{"f32.arange", F32, []int{2, 3, 4}, func(i int) float64 { return float64(float32(i)/8 - 1) }, 24},
		{"f64.thirds", F64, []int{3, 2}, func(i int) float64 { return float64(i) / 3 }, 6},
		{"f16.halves", F16, []int{16}, func(i int) float64 { return float64(i-8) / 2 }, 16},
		{"f16.special", F16, []int{9}, func(i int) float64 {
			return []float64{inf, -inf, nan, 65504, 0x1p-14, 0x1p-24, 3 * 0x1p-24, math.Copysign(0, -1), 0.333251953125}[i]
		}, 9},
		{"bf16.wide", BF16, []int{2, 4}, func(i int) float64 { return float64(i-4) * 0x1p100 }, 8},
		{"bf16.special", BF16, []int{6}, func(i int) float64 {
			return []float64{inf, -inf, nan, 0x1p-133, math.Copysign(0, -1), 0.333984375}[i]
		}, 6},
		{"scalar", F32, []int{}, func(int) float64 { return 2.5 }, 1},
		{"empty", F32, []int{0, 3}, nil, 0},
	}
	for _, c := range floats {
		tensor, _ := f.Tensor(c.name)
		if tensor.DType != c.dtype {
			t.Errorf("%s: dtype %s, want %s", c.name, tensor.DType, c.dtype)
		}
		got64, shape, err := f.Float64s(c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got32, _, err := f.Float32s(c.name)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !slices.Equal(shape, c.shape) || len(got64) != c.n || len(got32) != c.n {
			t.Errorf("%s: shape %v with %d values, want %v with %d", c.name, shape, len(got64), c.shape, c.n)
			continue
		}
		for i := range c.n {
			// PyTorch writes NaN as positive quiet NaN; compare NaNs without their sign.
			want := c.want(i)
			if math.IsNaN(want) {
				if !math.IsNaN(got64[i]) || !math.IsNaN(float64(got32[i])) {
					t.Errorf("%s[%d] = %v / %v, want NaN", c.name, i, got64[i], got32[i])
				}
				continue
			}
			if !sameFloat(got64[i], want) || !sameFloat(float64(got32[i]), float64(float32(want))) {
				t.Errorf("%s[%d] = %v (float64) / %v (float32), want %v", c.name, i, got64[i], got32[i], want)
			}
		}
	}

	ints := []struct {
		name  string
		dtype DType
		want  []int64
	}{
		{"i64.steps", I64, []int64{-3, 1e12 - 3, 2e12 - 3, 3e12 - 3, 4e12 - 3}},
		{"i32.small", I32, []int64{-3, -2, -1, 0, 1, 2}},
		{"u8.top", U8, []int64{250, 251, 252, 253, 254, 255}},
	}
	for _, c := range ints {
		tensor, _ := f.Tensor(c.name)
		got, shape, err := f.Int64s(c.name)
		if err != nil || tensor.DType != c.dtype || !slices.Equal(shape, []int{len(c.want)}) || !slices.Equal(got, c.want) {
			t.Errorf("%s: %s %v %v, %v; want %s %v", c.name, tensor.DType, shape, got, err, c.dtype, c.want)
		}
	}
}
