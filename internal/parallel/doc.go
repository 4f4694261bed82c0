// Package parallel runs the parts of one computation on the calling goroutine and a pool of
// long-lived worker goroutines: Run for parts that a caller numbers itself (internal/gemm's
// rectangles of C), For for a range of independent indices cut into contiguous chunks (the
// tensor package's elementwise kernels).
//
// Workers do not exit between calls, and an idle worker keeps polling for the next call for a
// short while (spinFor) before it parks. That is the point of the package: on the 2-vCPU KVM
// guest this was tuned on (AMD EPYC Zen 4), waking a parked goroutine's thread took 70 µs (median, p90 300 µs),
// longer than most of the products and elementwise kernels of a small model's training step,
// whose parallel calls come a few microseconds apart. A polling worker takes a call within a
// microsecond. OpenMP runtimes do the same (libgomp's GOMP_SPINCOUNT, Intel's KMP_BLOCKTIME).
//
// The caller runs parts itself too, so a call finishes even when every worker is busy with other
// calls: concurrent calls share the workers without deadlock. Which goroutine runs a part never
// changes what the part computes, so results do not depend on scheduling.
package parallel
