//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package progress

import "os"

// Terminal reports false on this system: without a way to ask, plain lines are the safe choice,
// since '\r' redraws in a log file are noise.
func Terminal(f *os.File) (bool, func() int) { return false, nil }
