package gpu

import (
	"errors"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

func TestOpenCPU(t *testing.T) {
	b, err := Open("cpu")
	if err != nil || b != tensor.CPU {
		t.Fatalf("Open(cpu) = %v, %v", b, err)
	}
}

func TestOpenRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "tpu", "cpu:0", "opencl:x", "cuda:-1", "opencl:"} {
		_, err := Open(name)
		if err == nil || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "gpu: ") {
			t.Errorf("Open(%q) = %v, want a usage error", name, err)
		}
	}
}

// TestOpenRoundTripsNames: every device that opens reports a name that opens it again.
func TestOpenRoundTripsNames(t *testing.T) {
	for _, name := range []string{"opencl", "opencl:0", "cuda", "cuda:0"} {
		b, err := Open(name)
		if errors.Is(err, ErrUnavailable) {
			t.Logf("%s: %v", name, err)
			continue
		}
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		again, err := Open(b.Name())
		if err != nil || again != b {
			t.Errorf("Open(%q) = %v, %v; want the backend %s again", b.Name(), again, err, name)
		}
	}
}
