package parallel

import "syscall"

// yieldThread gives the calling thread's CPU to another ready thread, if there is one
// (sched_yield, which does not block and takes no arguments, so the raw syscall is safe).
func yieldThread() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
