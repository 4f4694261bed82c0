package device

import "github.com/zebra-go/zebra/tensor"

// Mem returns the device allocation behind s, for the GPU package that owns this backend, to
// hand to libraries that work on device memory directly (NCCL). It panics when s belongs to
// another backend or was released. The allocation stays s's only while s is reachable.
func (b *Backend) Mem(s tensor.Storage) Mem { return b.data("Mem", s).mem }
