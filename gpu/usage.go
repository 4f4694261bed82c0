package gpu

import (
	"github.com/zebra-go/zebra/gpu/internal/device"
	"github.com/zebra-go/zebra/tensor"
)

// MemStats is a GPU backend's device memory: the bytes its live tensors hold, what its caching
// allocator keeps for reuse, and the high-water marks of both.
type MemStats = device.MemStats

// Counters counts a GPU backend's kernel launches, vendor-library GEMMs and copies between host
// and device since it was opened.
type Counters = device.Counters

// Usage returns b's device memory and counters; ok is false for a backend that is not one of
// this package's GPUs (the CPU).
func Usage(b tensor.Backend) (mem MemStats, counts Counters, ok bool) {
	u, ok := b.(interface {
		MemStats() device.MemStats
		Counters() device.Counters
	})
	if !ok {
		return MemStats{}, Counters{}, false
	}
	return u.MemStats(), u.Counters(), true
}

// LaunchesByKernel returns how many times b has launched each of its kernels, by name; nil for a
// backend that is not one of this package's GPUs.
func LaunchesByKernel(b tensor.Backend) map[string]uint64 {
	if u, ok := b.(interface{ LaunchesByKernel() map[string]uint64 }); ok {
		return u.LaunchesByKernel()
	}
	return nil
}
