//go:build !linux

package main

import "time"

// processCPUTime is not implemented here; the CPU-time column then shows "-".
func processCPUTime() (time.Duration, bool) { return 0, false }
