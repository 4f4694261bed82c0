package cuda

import (
	"errors"
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/tensor/backendtest"
)

// openOrSkip returns CUDA device 0 or skips the test, saying what was looked for.
func openOrSkip(t testing.TB) *Backend {
	t.Helper()
	b, err := Open(0)
	if errors.Is(err, dynlib.ErrUnavailable) {
		t.Skipf("no CUDA device: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) { backendtest.Run(t, openOrSkip(t)) }
