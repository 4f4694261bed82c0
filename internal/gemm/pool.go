package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// threadSetting is the SetThreads value; 0 means GOMAXPROCS.
var threadSetting atomic.Int64

// SetThreads sets how many threads one Sgemm or Dgemm call may use and returns the previous
// setting. n <= 0 restores the default, GOMAXPROCS at the time of each call.
func SetThreads(n int) int {
	return int(threadSetting.Swap(int64(max(n, 0))))
}

// Threads returns the number of threads one call may use.
func Threads() int {
	if n := threadSetting.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// A job is one call's work, split into parts that any goroutine may claim. The caller claims
// parts itself as well, so a call finishes even when every worker is busy with other calls:
// concurrent calls share the workers without deadlock and without a goroutine per call.
type job struct {
	run   func(part int)
	parts int64
	next  atomic.Int64
	done  sync.WaitGroup
}

func (j *job) work() {
	for {
		part := j.next.Add(1) - 1
		if part >= j.parts {
			return
		}
		j.run(int(part))
		j.done.Done()
	}
}

// The pool's workers live for the life of the process and wait on jobs.
var pool struct {
	mu      sync.Mutex
	workers int
	jobs    chan *job
}

func init() {
	pool.jobs = make(chan *job, 256)
}

// ensureWorkers starts workers until at least n are running.
func ensureWorkers(n int) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for ; pool.workers < n; pool.workers++ {
		go func() {
			for j := range pool.jobs {
				j.work()
			}
		}()
	}
}

// parallel runs run(0), ..., run(parts-1), on the calling goroutine and up to parts-1 workers,
// and returns when all have finished.
func parallel(parts int, run func(part int)) {
	if parts <= 1 {
		if parts == 1 {
			run(0)
		}
		return
	}
	ensureWorkers(parts - 1)
	j := &job{run: run, parts: int64(parts)}
	j.done.Add(parts)
	for i := 0; i < parts-1; i++ {
		select {
		case pool.jobs <- j:
		default: // the queue is full: the caller does the part itself
		}
	}
	j.work()
	j.done.Wait()
}
