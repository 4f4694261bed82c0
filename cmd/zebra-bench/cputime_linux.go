package main

import (
	"syscall"
	"time"
	"unsafe"
)

// processCPUTime returns the CPU time all threads of this process have used, read with
// CLOCK_PROCESS_CPUTIME_ID, which (unlike getrusage) brings running threads up to date.
func processCPUTime() (time.Duration, bool) {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}

// peakRSS is the process's maximum resident set size (getrusage's ru_maxrss, in KiB on Linux).
func peakRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return uint64(ru.Maxrss) * 1024
}
