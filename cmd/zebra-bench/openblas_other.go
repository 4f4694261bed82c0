//go:build !(linux || darwin || freebsd)

package main

import "errors"

type openBLAS struct{ name string }

func loadOpenBLAS() (*openBLAS, error) {
	return nil, errors.New("OpenBLAS comparison is not supported on this system")
}

func (o *openBLAS) setThreads(int32) {}

func (o *openBLAS) gemm(gemmShape, []float32, []float32, []float32) {}
