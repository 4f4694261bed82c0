package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// dirEntries lists the names in dir, to catch leftover temporary files.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	tensors := sampleTensors()
	if err := WriteFile(path, tensors, map[string]string{"epoch": "3"}); err != nil {
		t.Fatal(err)
	}
	// Overwriting an existing file works too, and leaves only the file behind.
	tensors[0] = FromFloat32("conv.weight", []int{1}, []float32{42})
	if err := WriteFile(path, tensors, map[string]string{"epoch": "4"}); err != nil {
		t.Fatal(err)
	}
	if got := dirEntries(t, dir); !slices.Equal(got, []string{"ckpt.safetensors"}) {
		t.Errorf("directory holds %q, want only the checkpoint", got)
	}
	if info, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS != "windows" && info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}

	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["epoch"] != "4" {
		t.Errorf("metadata %v, want epoch 4", f.Metadata)
	}
	for _, want := range tensors {
		if got, ok := f.Tensor(want.Name); !ok || !sameTensor(got, want) {
			t.Errorf("tensor %q: got %+v, want %+v", want.Name, got, want)
		}
	}
}

// TestWriteFileErrorLeavesNoTrace checks that a failed write removes its temporary file and
// leaves an existing checkpoint untouched.
func TestWriteFileErrorLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	good := []Tensor{FromFloat32("w", []int{2}, []float32{1, 2})}
	if err := WriteFile(path, good, nil); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// Invalid tensors: rejected before the file system is touched.
	bad := []Tensor{{Name: "w", DType: F32, Shape: []int{3}, Data: make([]byte, 8)}}
	if err := WriteFile(path, bad, nil); err == nil || !strings.Contains(err.Error(), `tensor "w": shape [3] of F32 needs 12 bytes, data has 8`) {
		t.Errorf("WriteFile(bad tensors) error %v", err)
	}
	// Invalid metadata: found by Encode after the temporary file exists.
	if err := WriteFile(path, good, map[string]string{"k": "\xff"}); err == nil {
		t.Error("WriteFile with invalid UTF-8 metadata succeeded")
	}
	// The rename fails: the destination is a non-empty directory.
	blocked := filepath.Join(dir, "blocked.safetensors")
	if err := os.MkdirAll(filepath.Join(blocked, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(blocked, good, nil); err == nil {
		t.Error("WriteFile over a non-empty directory succeeded")
	}
	// The directory does not exist: nothing can be created at all.
	if err := WriteFile(filepath.Join(dir, "missing", "x.safetensors"), good, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile into a missing directory: error %v, want fs.ErrNotExist", err)
	}

	if got := dirEntries(t, dir); !slices.Equal(got, []string{"blocked.safetensors", "ckpt.safetensors"}) {
		t.Errorf("directory holds %q after failed writes, want no temporary files", got)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Error("a failed WriteFile changed the existing checkpoint")
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()

	if _, err := ReadFile(filepath.Join(dir, "nope.safetensors")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
	if _, err := ReadFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: error %v", err)
	}

	// A valid checkpoint cut short: the error names the file and wraps ErrInvalid.
	full := encode(t, sampleTensors(), nil)
	truncated := filepath.Join(dir, "truncated.safetensors")
	if err := os.WriteFile(truncated, full[:len(full)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(truncated)
	if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "safetensors: "+truncated+": tensors cover") {
		t.Errorf("truncated file: error %v", err)
	}

	// A header length beyond the file is rejected from the first 8 bytes.
	short := filepath.Join(dir, "short.safetensors")
	if err := os.WriteFile(short, append(binary.LittleEndian.AppendUint64(nil, 9999999), make([]byte, 112)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(short); !errors.Is(err, ErrNotSafetensors) || err.Error() != "safetensors: "+short+" is not a safetensors file (header length 9999999 exceeds file size 120)" {
		t.Errorf("header past the end: error %v", err)
	}
	tiny := filepath.Join(dir, "tiny.safetensors")
	if err := os.WriteFile(tiny, []byte{1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(tiny); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "file is 3 bytes") {
		t.Errorf("3-byte file: error %v", err)
	}

	// A 1 GB sparse file whose header claims 500 MB: rejected by the header cap before the
	// gigabyte is allocated or read (a test that allocated it would be slow and memory-hungry).
	huge := filepath.Join(dir, "huge.safetensors")
	fd, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fd.Write(binary.LittleEndian.AppendUint64(nil, 500_000_000)); err != nil {
		t.Fatal(err)
	}
	if err := fd.Truncate(1 << 30); err != nil {
		t.Skipf("cannot make a sparse file here: %v", err)
	}
	fd.Close()
	if _, err := ReadFile(huge); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "header length 500000000 exceeds the limit of 100000000 bytes") {
		t.Errorf("oversized header: error %v", err)
	}
}

// TestReadFileTellsForeignFromDamaged: a file of another kind (text, a PNG) is "not a safetensors
// file", while a safetensors file cut short, whose header still begins with '{', is a damaged
// one: both wrap ErrInvalid, only the first ErrNotSafetensors.
func TestReadFileTellsForeignFromDamaged(t *testing.T) {
	dir := t.TempDir()
	var full bytes.Buffer
	if err := Encode(&full, []Tensor{{Name: "x", DType: U8, Shape: []int{4}, Data: []byte{1, 2, 3, 4}}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		data    []byte
		foreign bool
		want    string
	}{
		{"README.md", []byte("# zebra\n\nA deep learning framework in pure Go.\n"), true, "README.md is not a safetensors file"},
		{"image.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"), true, "image.png is not a safetensors file"},
		{"nul.bin", make([]byte, 64), false, "header length 0 is too short"},
		{"cut.safetensors", full.Bytes()[:12], false, "exceeds file size 12: truncated?"},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(path)
		if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotSafetensors) != c.foreign || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want ErrInvalid, ErrNotSafetensors %v, and %q", c.name, err, c.foreign, c.want)
		}
	}
	if _, err := Decode(rawFile(`[1, 2]`, nil)); !errors.Is(err, ErrNotSafetensors) {
		t.Errorf("a header that is not a JSON object: %v, want ErrNotSafetensors", err)
	}
}
