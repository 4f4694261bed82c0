package opencl

import (
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/gputest"
)

func BenchmarkGemm(b *testing.B) {
	dev := openOrSkip(b)
	gputest.BenchGemm(b, dev, dev.Synchronize)
}
