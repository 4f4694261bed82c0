package tensorfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// testdata is internal/torchfile's: .pth files written by PyTorch (scripts/golden/
// torchfile_fixtures.py) and expected.safetensors, what their tensors hold, named
// "<group>/<name>".
var testdata = filepath.Join("..", "internal", "torchfile", "testdata")

// TestOpenTorchFiles: both torch.save formats read as the values PyTorch saved, found by content
// whatever the extension, in file order.
func TestOpenTorchFiles(t *testing.T) {
	want, err := Open(filepath.Join(testdata, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if want.Format() != Safetensors || want.Metadata()["producer"] != "scripts/golden/torchfile_fixtures.py" {
		t.Fatalf("expected.safetensors: format %q, metadata %v", want.Format(), want.Metadata())
	}
	// A legacy file under a misleading name is still found by its bytes.
	renamed := filepath.Join(t.TempDir(), "weights.safetensors")
	data, err := os.ReadFile(filepath.Join(testdata, "generator_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(renamed, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(testdata, "generator_zip.pth"), renamed} {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Format() != Torch || f.Metadata() != nil {
			t.Errorf("%s: format %q, metadata %v; want torch and none", path, f.Format(), f.Metadata())
		}
		names := f.Names()
		if len(names) != 20 || names[0] != "model.1.weight" || names[len(names)-1] != "model.19.bias" {
			t.Fatalf("%s: names %q", path, names)
		}
		for _, name := range names {
			got, err := f.Tensor(name)
			if err != nil {
				t.Fatal(err)
			}
			exp, err := want.Tensor("generator/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if got.DType() != tensor.Float32 || !slices.Equal(got.Shape(), exp.Shape()) || !slices.Equal(got.Float32s(), exp.Float32s()) {
				t.Errorf("%s: %s: %v %v, want %v as in expected.safetensors", path, name, got.DType(), got.Shape(), exp.Shape())
			}
			if info, ok := f.Info(name); !ok || info.DType != "F32" || !slices.Equal(info.Shape, exp.Shape()) {
				t.Errorf("%s: Info(%q) = %+v, %v", path, name, info, ok)
			}
		}
	}
}

// TestIntegerTensors: an integer buffer is described by Info but is no float tensor.
func TestIntegerTensors(t *testing.T) {
	f, err := Open(filepath.Join(testdata, "instancenorm_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "model.2.num_batches_tracked"
	if info, ok := f.Info(name); !ok || info.DType != "I64" || len(info.Shape) != 0 {
		t.Errorf("Info(%q) = %+v, %v; want I64 scalar", name, info, ok)
	}
	if _, err := f.Tensor(name); !errors.Is(err, ErrNotFloat) || !strings.Contains(err.Error(), name) {
		t.Errorf("Tensor(%q): %v; want ErrNotFloat naming it", name, err)
	}
	if _, err := f.Tensor("no.such"); err == nil || errors.Is(err, ErrNotFloat) {
		t.Errorf("Tensor of a missing name: %v", err)
	}
}

// TestWriteRoundTrip: Write keeps dtype, shape, values and metadata, and Open reads them back.
func TestWriteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.safetensors")
	in := map[string]*tensor.Tensor{
		"b.f64":   tensor.FromFloat64([]float64{1.0 / 3, -2, 1e300}, 3),
		"a.f32":   tensor.FromFloat32([]float32{0.5, -0.25, 7, 8, 9, 10}, 2, 3),
		"scalar":  tensor.FromFloat32([]float32{4}),
		"nothing": tensor.FromFloat32(nil, 0, 2),
	}
	if err := Write(path, in, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Format() != Safetensors || f.Metadata()["format"] != "pt" {
		t.Errorf("format %q metadata %v", f.Format(), f.Metadata())
	}
	if got := f.Names(); len(got) != len(in) {
		t.Errorf("names %q, want %d", got, len(in))
	}
	for name, want := range in {
		got, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) || !slices.Equal(got.Float64s(), want.Float64s()) {
			t.Errorf("%s: got %v %v %v, want %v %v %v", name, got.DType(), got.Shape(), got.Float64s(), want.DType(), want.Shape(), want.Float64s())
		}
	}
	if err := Write(filepath.Join(t.TempDir(), "nil.safetensors"), map[string]*tensor.Tensor{"x": nil}, nil); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("Write of a nil tensor: %v", err)
	}
}

// TestOpenErrors: contents that are neither format wrap ErrInvalid and name the file; a missing
// file does not claim to be invalid.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty.pth":        nil,
		"text.safetensors": []byte("hello, world, this is not a tensor file"),
		"truncated.pth":    mustRead(t, filepath.Join(testdata, "generator_zip.pth"))[:1000],
		"torchscript.pt":   mustRead(t, filepath.Join(testdata, "torchscript.pt")),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s): %v; want ErrInvalid naming the file", name, err)
		}
	}
	missing := filepath.Join(dir, "missing.pth")
	if _, err := Open(missing); err == nil || errors.Is(err, ErrInvalid) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing file: %v", err)
	}
	if _, err := Open(dir); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("Open of a folder: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
