package device

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"time"
)

// pool is a caching allocator: storage released by the garbage collector goes back to a free list
// of its size class instead of to the driver, so that a training step, which allocates and drops
// the same sizes every iteration, stops calling the driver after its first iteration.
//
// Device memory and Go's garbage collector. A tensor on a GPU costs the Go heap a few dozen bytes
// and the device megabytes, so the collector, which paces itself on the Go heap, would let dead
// device buffers pile up until the device ran out. The pool therefore keeps its own account:
//   - when the bytes held by live storage have grown by a quarter of the budget since the last
//     collection and exceed half of it, it starts a collection in the background;
//   - when an allocation would exceed the budget (90% of the device memory), it runs a
//     collection, waits briefly for the cleanups it queues, and reuses what they return if one
//     has the right size, else hands the free lists back to the driver;
//   - when the driver fails an allocation, it does all of that and tries again; only a third
//     failure panics with an out-of-memory message.
type pool struct {
	drv    Driver
	budget int64

	mu        sync.Mutex
	free      map[int][]Mem // size class (bytes) -> allocations ready for reuse
	live      int64         // bytes of size classes handed out and not yet returned
	cached    int64         // bytes in free
	liveAtGC  int64         // live when the last collection was started
	released  uint64        // count of returned allocations, to see cleanups arrive
	driverOps uint64        // driver allocations made, for tests and statistics
	peakLive  int64         // the most bytes live storage ever held
	peakHeld  int64         // the most bytes ever taken from the driver and not given back
}

// notePeaks updates the high-water marks; it runs with mu held.
func (p *pool) notePeaks() {
	p.peakLive = max(p.peakLive, p.live)
	p.peakHeld = max(p.peakHeld, p.live+p.cached)
}

func newPool(drv Driver) *pool {
	return &pool{drv: drv, budget: drv.MemBytes() / 10 * 9, free: map[int][]Mem{}}
}

// sizeClass rounds bytes up to one of four classes per power of two (2^k, 1.25·2^k, 1.5·2^k,
// 1.75·2^k), so that at most a fifth of an allocation is slack, with a floor of 256 bytes (which
// also gives empty tensors a real buffer).
func sizeClass(bytes int) int {
	if bytes <= 256 {
		return 256
	}
	shift := bits.Len(uint(bytes-1)) - 3 // bytes-1 has shift+3 bits: keep the top 3
	step := 1 << shift
	return (bytes + step - 1) / step * step
}

// get returns an allocation of at least bytes bytes and its size class.
func (p *pool) get(bytes int) (Mem, int) {
	class := sizeClass(bytes)
	if m, ok := p.take(class); ok {
		return m, class
	}
	if p.overBudget(class) {
		// Garbage tensors may be holding the memory: collect them, and reuse one of the right
		// size if that freed one; otherwise give the cached allocations of other sizes back.
		p.collectNoTrim()
		if m, ok := p.take(class); ok {
			return m, class
		}
		p.trim()
	}
	var lastErr error
	for attempt := range 3 {
		if attempt > 0 { // the driver failed: free everything we can and try again
			p.collect()
			if m, ok := p.take(class); ok {
				return m, class
			}
		}
		m, err := p.drv.Alloc(class)
		if err == nil {
			p.mu.Lock()
			p.live += int64(class)
			p.driverOps++
			p.notePeaks()
			start := p.live-p.liveAtGC > p.budget/4 && p.live > p.budget/2
			if start {
				p.liveAtGC = p.live
			}
			p.mu.Unlock()
			if start {
				go runtime.GC()
			}
			return m, class
		}
		lastErr = err
	}
	p.mu.Lock()
	live := p.live
	p.mu.Unlock()
	panic(fmt.Sprintf("%s: out of device memory allocating %d bytes (%d bytes held by live tensors): %v", p.drv.Name(), class, live, lastErr))
}

// take pops a cached allocation of the size class.
func (p *pool) take(class int) (Mem, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.free[class]
	if len(list) == 0 {
		return 0, false
	}
	m := list[len(list)-1]
	p.free[class] = list[:len(list)-1]
	p.cached -= int64(class)
	p.live += int64(class)
	p.notePeaks()
	return m, true
}

func (p *pool) overBudget(class int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live+p.cached+int64(class) > p.budget
}

// put returns an allocation to its free list. It runs in the garbage collector's cleanup goroutine
// and makes no driver call. The device may still be running kernels that use m: reuse is safe
// because every later use is launched after them on the same in-order queue or stream.
func (p *pool) put(m Mem, class int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free[class] = append(p.free[class], m)
	p.cached += int64(class)
	p.live -= int64(class)
	p.released++
}

// trim hands every cached allocation back to the driver.
func (p *pool) trim() {
	p.mu.Lock()
	free := p.free
	p.free = map[int][]Mem{}
	p.cached = 0
	p.mu.Unlock()
	for _, list := range free {
		for _, m := range list {
			p.drv.Free(m)
		}
	}
}

// collect runs a garbage collection and waits until the cleanups it queued have stopped arriving
// (at most about 50ms): Go offers no way to wait for cleanups directly. Then it trims again so
// that what they returned goes back to the driver.
func (p *pool) collect() {
	p.collectNoTrim()
	p.trim()
}

// collectNoTrim is collect without handing the returned allocations to the driver.
func (p *pool) collectNoTrim() {
	runtime.GC()
	p.mu.Lock()
	p.liveAtGC = p.live
	p.mu.Unlock()
	last := p.releasedCount()
	for i := 0; i < 50; i++ {
		time.Sleep(time.Millisecond)
		now := p.releasedCount()
		if now == last && i >= 2 {
			break
		}
		last = now
	}
}

func (p *pool) releasedCount() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.released
}

// MemStats describes a backend's device memory, for tools and tests.
type MemStats struct {
	Live, Cached int64  // bytes held by live storage, and free for reuse
	Budget       int64  // bytes the allocator plans to fill
	DriverAllocs uint64 // allocations the driver was asked for
	// The high-water marks of Live and of Live+Cached (what the process holds of the device,
	// PyTorch's max_memory_allocated and max_memory_reserved), in bytes of size classes.
	PeakLive, PeakHeld int64
}

func (p *pool) stats() MemStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return MemStats{Live: p.live, Cached: p.cached, Budget: p.budget, DriverAllocs: p.driverOps,
		PeakLive: p.peakLive, PeakHeld: p.peakHeld}
}
