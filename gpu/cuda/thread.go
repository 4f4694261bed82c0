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
	failed  any     // the panic of a posted call, raised by the next do
}

var (
	workerOnce sync.Once
	theWorker  *worker
)

func cudaThread() *worker {
	workerOnce.Do(func() {
		// The buffer lets post return at once while the thread works through earlier calls.
		theWorker = &worker{calls: make(chan func(), 1024)}
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
		if w.failed != nil {
			failed := w.failed
			w.failed = nil
			panic(failed)
		}
		f()
	}
	<-done
	if failure != nil {
		panic(failure)
	}
}

// post queues f on the CUDA thread and returns without waiting: kernel launches need no answer,
// and a training step makes thousands of them. Calls still run in order, so every later do (a
// copy to the host, an allocation) runs after f. A panic in f is kept and raised by the next do,
// in whichever goroutine makes it; only the first is kept.
func (w *worker) post(f func()) {
	w.calls <- func() {
		defer func() {
			if r := recover(); r != nil && w.failed == nil {
				w.failed = r
			}
		}()
		f()
	}
}
