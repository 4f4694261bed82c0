package safetensors

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestReadMetadataReadsOnlyTheHeader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	meta := map[string]string{"contents": "generators", "note": "a\nb"}
	if err := WriteFile(path, []Tensor{FromFloat32("w", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})}, meta); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetadata(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(meta) || got["contents"] != "generators" || got["note"] != "a\nb" {
		t.Fatalf("ReadMetadata = %v, want %v", got, meta)
	}

	// Cut the file inside its tensor data: the header alone still reads, as it should (only
	// ReadFile needs the data), but a cut inside the header does not.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.safetensors")
	if err := os.WriteFile(short, data[:len(data)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMetadata(short); err != nil {
		t.Errorf("header of a file cut in its data: %v", err)
	}
	if err := os.WriteFile(short, data[:20], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMetadata(short); !errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotSafetensors) {
		t.Errorf("file cut in its header: err = %v, want ErrInvalid (damaged), not ErrNotSafetensors", err)
	}

	text := filepath.Join(dir, "README.md")
	if err := os.WriteFile(text, []byte("# a README, not a checkpoint\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadMetadata(text); !errors.Is(err, ErrNotSafetensors) {
		t.Errorf("text file: err = %v, want ErrNotSafetensors", err)
	}
	if _, err := ReadMetadata(dir); err == nil {
		t.Error("a folder: no error")
	}
}
