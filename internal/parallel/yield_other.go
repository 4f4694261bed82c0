//go:build !linux

package parallel

// yieldThread does nothing where sched_yield is not available: spin then yields only its P.
func yieldThread() {}
