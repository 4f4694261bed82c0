package tensor

import (
	"slices"
	"sync"
)

// Release tells t's backend that t's storage will not be read or written again, so that a later
// allocation of the same size may reuse it instead of asking the runtime for fresh, zeroed memory.
// It is for large temporaries whose lifetime the caller knows exactly, such as a convolution's
// column buffer; everything else is left to the garbage collector. After Release, t and every
// tensor sharing its storage (Reshape views) must not be used: on the CPU their storage reads as
// empty, so a stray use panics instead of seeing another tensor's data. A backend takes part by
// implementing Releaser (the CPU's pool; the GPU backends return device memory to their
// allocators at once); others ignore it.
func Release(t *Tensor) {
	if r, ok := t.Backend().(Releaser); ok {
		r.Release(t.storage)
	}
}

// Empty returns a tensor of the given dtype and shape whose elements are unspecified, like
// torch.empty: for a destination that the caller overwrites, every element of it, before reading
// it (a GEMM output with beta 0, im2col columns). A backend that implements EmptyAllocator (the
// CPU, which may reuse a released buffer without clearing it) provides the storage; other
// backends allocate as New does.
func Empty(b Backend, dt DType, shape ...int) *Tensor {
	checkShape("tensor.Empty", shape)
	if ea, ok := b.(EmptyAllocator); ok {
		return &Tensor{shape: slices.Clone(shape), dtype: dt, storage: ea.AllocEmpty(dt, Numel(shape))}
	}
	return New(b, dt, shape...)
}

// AllocEmpty implements EmptyAllocator: a released buffer of n elements of dt from the pool,
// with its old contents, or else fresh storage.
func (b cpuBackend) AllocEmpty(dt DType, n int) Storage {
	if s := cpuPool.get(dt, n); s != nil {
		return s
	}
	return b.Alloc(dt, n)
}

// cpuPool keeps released CPU buffers by dtype and length. Training reuses the same handful of
// sizes every step, so exact-size matching is enough. What the pool keeps counts toward the
// process's peak memory, so it keeps at most cpuPoolBytes in all, and of one size one buffer, or
// more while they fit in cpuPoolSizeBytes: a convolution holds one large column buffer at a time,
// but the backward pass of a small model releases its gradients, tens of kilobytes each, several
// of one size at a time (autograd's pendingGradients).
var cpuPool = bufferPool{free: map[poolKey][]*cpuStorage{}}

const (
	cpuPoolBytes     = 512 << 20
	cpuPoolSizeBytes = 1 << 20
	// cpuPoolMinLen keeps small buffers out of the pool: the allocator serves them cheaply from
	// its size classes. From 32 KiB on, every allocation is a large one that the runtime clears,
	// which cost 5% of the demo model's training step (ngf 16, 64×64: 80 MB of buffers of 32 KiB
	// and more a step), most of it on the goroutine that runs the step's serial parts.
	cpuPoolMinLen = 1 << 13
)

// cpuPoolPerSize is how many buffers of size bytes the pool keeps.
func cpuPoolPerSize(size int) int { return max(1, cpuPoolSizeBytes/size) }

type poolKey struct {
	dt DType
	n  int
}

type bufferPool struct {
	mu    sync.Mutex
	free  map[poolKey][]*cpuStorage
	bytes int
}

// Release implements Releaser: it puts s's buffer in the CPU pool (see tensor.Release, which is
// how to call it).
func (cpuBackend) Release(s Storage) {
	cs, ok := s.(*cpuStorage)
	if !ok || cs.Len() < cpuPoolMinLen {
		return
	}
	// The pool takes the slice into a fresh storage; the released one is emptied so that a
	// tensor still holding it cannot touch the buffer's next owner.
	kept := &cpuStorage{dtype: cs.dtype, f32: cs.f32, f64: cs.f64}
	cs.f32, cs.f64 = nil, nil
	cpuPool.put(kept)
}

func (p *bufferPool) put(s *cpuStorage) {
	key := poolKey{s.dtype, s.Len()}
	size := s.Len() * s.dtype.Size()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free[key]) >= cpuPoolPerSize(size) || p.bytes+size > cpuPoolBytes {
		return
	}
	p.free[key] = append(p.free[key], s)
	p.bytes += size
}

// get returns a released buffer of n elements of dt with its old contents, or nil.
func (p *bufferPool) get(dt DType, n int) *cpuStorage {
	key := poolKey{dt, n}
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.free[key]
	if len(list) == 0 {
		return nil
	}
	s := list[len(list)-1]
	list[len(list)-1] = nil
	p.free[key] = list[:len(list)-1]
	p.bytes -= n * dt.Size()
	return s
}

// DropPooled lets go of every buffer the CPU pool keeps, for the garbage collector to free. It
// is for a program that moves on to tensors of other sizes, such as zebra-bench between image
// sizes: buffers released at the old sizes would otherwise stay pooled, never asked for again,
// and count toward the next phase's memory (up to the pool's 512 MB).
func DropPooled() {
	cpuPool.mu.Lock()
	defer cpuPool.mu.Unlock()
	clear(cpuPool.free)
	cpuPool.bytes = 0
}
