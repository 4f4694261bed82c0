//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package progress

import (
	"os"

	"golang.org/x/sys/unix"
)

// Terminal reports whether f is a terminal, and returns a function that reads its current width
// in columns (0 when the terminal does not say). The width is read at each call, so that the
// status line follows a resized window.
//
// Asking for the window size (TIOCGWINSZ) is itself the test: it fails with ENOTTY on a pipe or a
// file, and the request exists on every Unix, unlike the termios one (TCGETS on Linux, TIOCGETA on
// the BSDs).
func Terminal(f *os.File) (bool, func() int) {
	fd := int(f.Fd())
	if _, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err != nil {
		return false, nil
	}
	width := func() int {
		ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
		if err != nil {
			return 0
		}
		return int(ws.Col)
	}
	return true, width
}
