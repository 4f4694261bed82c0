package cuda

import (
	"errors"
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/gpu/internal/gputest"
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

// withoutCUBLAS runs f with float32 GEMMs on the own tiled kernel.
func withoutCUBLAS(b *Backend, f func()) {
	d := b.Driver().(*driver)
	blas := d.blas
	d.blas = nil
	defer func() { d.blas = blas }()
	f()
}

func TestConformance(t *testing.T) {
	b := openOrSkip(t)
	t.Logf("%s, cuBLAS %v, targets %v", b.Device, b.UsesCUBLAS(), b.Driver().(*driver).targets)
	backendtest.Run(t, b)
}

// TestConformanceOwnGemm runs the suite again with the own GEMM kernel for float32 too.
func TestConformanceOwnGemm(t *testing.T) {
	b := openOrSkip(t)
	if !b.UsesCUBLAS() {
		t.Skip("no cuBLAS: TestConformance ran the own kernel")
	}
	withoutCUBLAS(b, func() { backendtest.Run(t, b) })
}

func BenchmarkGemm(b *testing.B) {
	dev := openOrSkip(b)
	gputest.BenchGemm(b, dev, dev.Synchronize)
	if dev.UsesCUBLAS() {
		withoutCUBLAS(dev, func() {
			b.Run("own-kernel", func(b *testing.B) { gputest.BenchGemm(b, dev, dev.Synchronize) })
		})
	}
}
