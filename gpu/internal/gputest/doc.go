// Package gputest holds the tests that every GPU backend runs beyond the kernel conformance suite
// (tensor/backendtest): a CycleGAN training step compared with the CPU, and the benchmarks that
// compare a device with the CPU. Each backend's test files call them in one line.
package gputest
