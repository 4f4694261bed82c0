//go:build !linux

package cuda

// gettid is not needed off Linux, where there is no CUDA backend to test: every call reports
// the same thread.
func gettid() int { return 0 }
