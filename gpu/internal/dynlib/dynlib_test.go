package dynlib

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenListsEveryPathTried(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	t.Setenv(PathEnv, dirA+":"+dirB)
	_, err := Open("a test library", []string{"libzebra-missing.so.1", "libzebra-missing.so"}, []string{"/usr/lib"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v does not wrap ErrUnavailable", err)
	}
	for _, dir := range []string{dirA, dirB} {
		for _, name := range []string{"libzebra-missing.so.1", "libzebra-missing.so"} {
			if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
				t.Errorf("error does not name %s: %v", filepath.Join(dir, name), err)
			}
		}
	}
	if strings.Contains(err.Error(), "/usr/lib") {
		t.Errorf("%s set, but the default folders were searched: %v", PathEnv, err)
	}
}

func TestOpenDefaultSearch(t *testing.T) {
	_, err := Open("a test library", []string{"libzebra-missing.so"}, []string{"/nonexistent"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error %v does not wrap ErrUnavailable", err)
	}
	// The bare name goes to the dynamic linker first, then each folder.
	for _, want := range []string{"libzebra-missing.so (", "/nonexistent/libzebra-missing.so (not found)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q: %v", want, err)
		}
	}
}

func TestMissingSymbolIsAnError(t *testing.T) {
	lib, err := Open("the C library", []string{"libc.so.6"}, nil)
	if err != nil {
		t.Skipf("no libc.so.6 to test with: %v", err)
	}
	var strlen func(s string) int
	if err := lib.Func(&strlen, "strlen"); err != nil {
		t.Fatal(err)
	}
	if n := strlen("zebra"); n != 5 {
		t.Fatalf("strlen(zebra) = %d", n)
	}
	var missing func()
	err = lib.Func(&missing, "zebra_no_such_symbol")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "zebra_no_such_symbol") {
		t.Fatalf("missing symbol: %v", err)
	}
	b := Binder{Lib: lib}
	b.Bind(&missing, "zebra_no_such_symbol")
	b.Bind(&strlen, "strlen")
	if b.Err == nil || !strings.Contains(b.Err.Error(), "zebra_no_such_symbol") {
		t.Fatalf("Binder kept %v, want the first failure", b.Err)
	}
}
