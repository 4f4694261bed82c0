//go:build !linux

package main

import "time"

// processCPUTime is not implemented here; the CPU-time column then shows "-".
func processCPUTime() (time.Duration, bool) { return 0, false }

// peakRSS is not measured here; the column then shows "-".
func peakRSS() uint64 { return 0 }
