package serve

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// queue bounds the work in the server with two semaphores. A request takes a ticket before it
// reads its body and keeps it until its translation ends, so that at most workers+waiting
// bodies and decoded images are in memory at once; there is no waiting for a ticket: a request
// that finds none left is refused. A ticket holder then waits for one of the workers slots,
// which it holds while the generator runs. Go queues the goroutines blocked on a channel in
// order, so the waiting requests start first come, first served.
type queue struct {
	tickets chan struct{} // capacity workers + waiting
	slots   chan struct{} // capacity workers
	workers int
	waiting atomic.Int64 // ticket holders waiting for a slot: the queue depth
	// meanSeconds is a moving average of the translations' durations (float64 bits), for the
	// Retry-After of a refused request.
	meanSeconds atomic.Uint64
}

func newQueue(workers, waiting int) *queue {
	return &queue{
		tickets: make(chan struct{}, workers+waiting),
		slots:   make(chan struct{}, workers),
		workers: workers,
	}
}

// ticket is an admitted request's place in the queue.
type ticket struct {
	q         *queue
	handedOff bool // the translation took the ticket over, and gives it back when it ends
}

// admit takes a ticket, or reports false at once when the queue is full.
func (q *queue) admit() (*ticket, bool) {
	select {
	case q.tickets <- struct{}{}:
		return &ticket{q: q}, true
	default:
		return nil, false
	}
}

// done gives the ticket back, unless run handed it to a translation; the handler defers it.
func (t *ticket) done() {
	if !t.handedOff {
		<-t.q.tickets
	}
}

// run waits for a worker slot and runs work in a goroutine of its own, which holds the slot and
// the ticket until work returns, and closes the channel it returns then. If ctx ends first (the
// client went away, or the request timed out) work never starts and run returns ctx's error.
// The handler waits on the channel and on ctx: when ctx ends during work, it answers at once
// while work finishes in the background.
func (t *ticket) run(ctx context.Context, work func()) (<-chan struct{}, error) {
	q := t.q
	q.waiting.Add(1)
	slot := false
	select {
	case q.slots <- struct{}{}:
		slot = true
	case <-ctx.Done():
	}
	q.waiting.Add(-1)
	// When a slot and the end of ctx are both ready, select picks either: check again, so that
	// work nobody waits for never starts.
	if err := ctx.Err(); err != nil {
		if slot {
			<-q.slots
		}
		return nil, err
	}
	t.handedOff = true
	done := make(chan struct{})
	go func() {
		defer func() {
			<-q.slots
			<-q.tickets
			close(done)
		}()
		start := time.Now()
		work()
		q.observe(time.Since(start))
	}()
	return done, nil
}

// observe folds a translation's duration into the moving average, weighing it 1/8.
func (q *queue) observe(d time.Duration) {
	for {
		old := q.meanSeconds.Load()
		mean := math.Float64frombits(old)
		if mean == 0 {
			mean = d.Seconds()
		} else {
			mean += (d.Seconds() - mean) / 8
		}
		if q.meanSeconds.CompareAndSwap(old, math.Float64bits(mean)) {
			return
		}
	}
}

// retryAfter estimates, in whole seconds (at least 1), when the queue will have room: the time
// the admitted requests take on the workers, at the mean duration so far.
func (q *queue) retryAfter() int {
	mean := math.Float64frombits(q.meanSeconds.Load())
	admitted := float64(len(q.tickets))
	return max(1, int(math.Ceil(mean*admitted/float64(q.workers))))
}

// running is the number of translations running now.
func (q *queue) running() int { return len(q.slots) }
