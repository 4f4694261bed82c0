// Package cpu reports which SIMD instruction sets this processor and its operating system
// support, and lets the ZEBRA_CPU environment variable lower the level that zebra's kernels
// use, so that tests and benchmarks can exercise every code path on one machine.
//
// Kernel packages (internal/gemm, ...) ask for Active once at start-up and pick their
// implementation from it; they never read CPUID themselves.
package cpu
