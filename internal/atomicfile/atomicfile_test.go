package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// entries lists the names in dir, so a test can see that no temporary file was left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// wantFile checks path's contents and that dir holds nothing but want's file.
func wantFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s holds %q, want %q", path, got, want)
	}
	if names := entries(t, filepath.Dir(path)); len(names) != 1 || names[0] != filepath.Base(path) {
		t.Errorf("the directory holds %v, want only %s", names, filepath.Base(path))
	}
}

func TestWriteCreatesAndReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	if err := Write(path, 0o644, writeString("first")); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "first")
	// A larger file than the write buffer, replacing the first.
	big := strings.Repeat("0123456789", 100_000)
	if err := Write(path, 0o644, writeString(big)); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, big)
}

func TestWriteInTheWorkingDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := Write("relative.txt", 0o644, writeString("here")); err != nil {
		t.Fatal(err)
	}
	wantFile(t, "relative.txt", "here")
}

// TestFailedWriteKeepsTheOldFile: the callback fails halfway through; the error wraps its error and
// names the path, the old contents stay, and the temporary file is gone.
func TestFailedWriteKeepsTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	encodeFailed := errors.New("encoder failed")
	err := Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("new", 200_000)) // some of it reaches the temporary file
		return encodeFailed
	})
	if !errors.Is(err, encodeFailed) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v should wrap the callback's error and name %s", err, path)
	}
	wantFile(t, path, "old")
}

// TestFailedRenameKeepsTheOldFile: everything but the rename succeeds (path is a non-empty
// directory, which a file cannot replace); the temporary file must still go.
func TestFailedRenameKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, 0o644, writeString("new")); err == nil {
		t.Fatal("replacing a directory succeeded")
	}
	if names := entries(t, dir); len(names) != 1 || names[0] != "taken" {
		t.Errorf("the directory holds %v, want only the untouched taken/", names)
	}
	if names := entries(t, path); len(names) != 1 || names[0] != "inside" {
		t.Errorf("taken/ holds %v, want it untouched", names)
	}
}

func TestPanickingWriteLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	func() {
		defer func() {
			if r := recover(); r != "encoder bug" {
				t.Errorf("the callback's panic came back as %v", r)
			}
		}()
		Write(path, 0o644, func(w io.Writer) error { panic("encoder bug") })
	}()
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("the directory holds %v after a panicking write, want nothing", names)
	}
}

func TestMissingDirectoryIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "out.txt")
	err := Write(path, 0o644, writeString("x"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("want a not-exist error naming %s, got %v", path, err)
	}
}

// TestWriteSetsThePermissionsAskedFor: the temporary file starts private (0600) and the process
// may have a strict umask; the result has exactly perm, whether it is new or replaces a file of
// another mode.
func TestWriteSetsThePermissionsAskedFor(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	defer setUmask(0o077)()
	dir := t.TempDir()
	path := filepath.Join(dir, "shared.png")
	for _, perm := range []os.FileMode{0o644, 0o600, 0o640, 0o644} {
		if err := Write(path, perm, writeString("x")); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != perm {
			t.Errorf("mode %v, want %v", info.Mode().Perm(), perm)
		}
	}
}

// TestRemoveStale removes the temporary files of the targets a pattern names, as a killed Write
// leaves them, and nothing else: not the targets, not other files' temporaries, not folders.
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".latest.safetensors.tmp-123", ".epoch005.safetensors.tmp-9", "latest.safetensors",
		".options.json.tmp-1", "notes.txt", ".tmp-7"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".dir.safetensors.tmp-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveStale(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("removed %q, want the two .safetensors temporaries", removed)
	}
	got := strings.Join(entries(t, dir), " ")
	if want := ".dir.safetensors.tmp-1 .options.json.tmp-1 .tmp-7 latest.safetensors notes.txt"; got != want {
		t.Errorf("left %s, want %s", got, want)
	}
	if removed, err := RemoveStale(filepath.Join(dir, "options.json")); err != nil || len(removed) != 1 {
		t.Errorf("RemoveStale(options.json) removed %q (%v), want its one temporary", removed, err)
	}
}
