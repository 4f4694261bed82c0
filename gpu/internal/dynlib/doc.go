// Package dynlib opens the vendor libraries of the GPU backends (libOpenCL, libcuda, libnvrtc,
// libcublas) at run time with purego, without cgo. It probes a list of candidate names and
// folders, and when none opens it returns one error that wraps ErrUnavailable and names every path
// it tried, so that a user on a machine without a GPU reads exactly what was looked for.
package dynlib
