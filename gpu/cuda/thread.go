package cuda

import (
	"runtime"
	"sync"
)

// worker runs every CUDA call of the process on one goroutine locked to one OS thread. The driver
// API binds the current context to the calling thread, and Go moves goroutines between threads at
// will; funnelling all calls through one locked thread makes "the current context" mean something
// and serializes the calls, as the single legacy stream serializes the work they queue.
type worker struct {
	calls   chan func()
	current uintptr // the context current on the thread
}

var (
	workerOnce sync.Once
	theWorker  *worker
)

func cudaThread() *worker {
	workerOnce.Do(func() {
		theWorker = &worker{calls: make(chan func())}
		go theWorker.loop()
	})
	return theWorker
}

func (w *worker) loop() {
	runtime.LockOSThread() // never unlocked: the thread belongs to CUDA for the life of the process
	for f := range w.calls {
		f()
	}
}

// do runs f on the CUDA thread and returns when it has finished. A panic in f is raised again in
// the caller's goroutine, where the caller can see (and a test can recover) it.
func (w *worker) do(f func()) {
	var failure any
	done := make(chan struct{})
	w.calls <- func() {
		defer func() {
			failure = recover()
			close(done)
		}()
		f()
	}
	<-done
	if failure != nil {
		panic(failure)
	}
}
