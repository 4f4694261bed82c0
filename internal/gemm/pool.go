package gemm

import (
	"runtime"
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
