//go:build unix

package atomicfile

import "syscall"

// setUmask sets the process's umask and returns a function that restores the old one.
func setUmask(mask int) (restore func()) {
	old := syscall.Umask(mask)
	return func() { syscall.Umask(old) }
}
