package opencl

import (
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/gputest"
	"github.com/zebra-go/zebra/tensor"
)

func BenchmarkGemm(b *testing.B) {
	dev := openOrSkip(b)
	gputest.BenchGemm(b, dev, dev.Synchronize)
}

// BenchmarkCycleGANStep runs at 64x64: PoCL on a small CPU is a correctness device, not a fast one.
func BenchmarkCycleGANStep(b *testing.B) { gputest.BenchCycleGANStep(b, 64, openOrSkip(b), tensor.CPU) }
