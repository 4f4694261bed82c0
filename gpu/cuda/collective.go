package cuda

import "github.com/zebra-go/zebra/tensor"

// What libraries that work on CUDA memory directly (NCCL, through package dist) need of a
// Backend: the address of a storage's memory, and a place in the queue of the device's work.

// DevicePointer returns the CUDA device address of s's first element. s must be storage of b, and
// must stay reachable while the address is in use (runtime.KeepAlive), or its memory returns to
// the allocator.
func (b *Backend) DevicePointer(s tensor.Storage) uint64 { return uint64(b.Mem(s)) }

// OnStream runs f on the CUDA thread, with b's context current, after every kernel queued before
// it, and returns when f has returned. stream is the CUDA stream b queues all its work on (0, the
// legacy default stream), so work that f queues there runs after those kernels and before every
// kernel queued later, without a synchronization. A panic in f is raised in the caller.
func (b *Backend) OnStream(f func(stream uintptr)) {
	d := b.Driver().(*driver)
	d.do(func() { f(0) })
}

// LibraryDirs lists the folders searched for CUDA libraries after the dynamic linker's own
// search (a toolkit, Debian's multiarch folder, WSL), with the lib folder of pip's
// nvidia-WHEEL-cu12 wheel when wheel is not empty ("nccl" for libnccl), for packages that load
// further CUDA libraries the way this one loads its own.
func LibraryDirs(wheel string) []string { return cudaDirs(wheel) }
