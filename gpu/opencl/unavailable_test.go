package opencl

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/gpu/internal/gputest"
	"github.com/zebra-go/zebra/tensor"
)

func reportOpen() {
	_, err := Open(0)
	fmt.Printf("errors.Is(ErrUnavailable)=%v\n%v\n", errors.Is(err, dynlib.ErrUnavailable), err)
}

func TestNoLibraryNamesEveryPath(t *testing.T) {
	if gputest.IsChild() {
		reportOpen()
		return
	}
	empty := t.TempDir()
	out := gputest.RunChild(t, "TestNoLibraryNamesEveryPath", dynlib.PathEnv+"="+empty)
	if !strings.Contains(out, "errors.Is(ErrUnavailable)=true") {
		t.Errorf("error does not wrap ErrUnavailable:\n%s", out)
	}
	for _, name := range libNames {
		if !strings.Contains(out, filepath.Join(empty, name)+" (not found)") {
			t.Errorf("error does not name %s:\n%s", filepath.Join(empty, name), out)
		}
	}
}

// TestNoPlatform gives the ICD loader an empty vendor folder (ocl-icd reads OCL_ICD_VENDORS), so
// the library opens but lists no platform.
func TestNoPlatform(t *testing.T) {
	if gputest.IsChild() {
		reportOpen()
		return
	}
	if _, err := api(); err != nil {
		t.Skipf("no OpenCL library: %v", err)
	}
	out := gputest.RunChild(t, "TestNoPlatform", "OCL_ICD_VENDORS="+t.TempDir())
	if !strings.Contains(out, "errors.Is(ErrUnavailable)=true") || !strings.Contains(out, "no OpenCL platform") {
		t.Errorf("want an ErrUnavailable error about platforms, got:\n%s", out)
	}
}

func TestNoSuchDevice(t *testing.T) {
	openOrSkip(t)
	_, err := Open(1000)
	if !errors.Is(err, dynlib.ErrUnavailable) || !strings.Contains(err.Error(), "no OpenCL device 1000") {
		t.Fatalf("Open(1000): %v", err)
	}
}

// TestBuildFailureReturnsLog compiles a broken program on a fresh context: the error must carry
// the compiler's log.
func TestBuildFailureReturnsLog(t *testing.T) {
	b := openOrSkip(t)
	d, err := newDriver(b.Device)
	if err != nil {
		t.Fatal(err)
	}
	d.source = "KERNEL broken(int n) { undeclared_identifier_zebra = n; }\n"
	err = d.Compile(tensor.Float32)
	if err == nil || !strings.Contains(err.Error(), "building the float32 kernels failed") || !strings.Contains(err.Error(), "undeclared_identifier_zebra") {
		t.Fatalf("Compile of a broken program: %v", err)
	}
}
