//go:build linux || darwin || freebsd

package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/ebitengine/purego"
)

// openBLAS is the system's OpenBLAS, opened at run time with purego (no cgo), so that
// zebra-bench gemm can time it on the same operands in the same process, interleaved with zebra's
// paths: on a shared machine, a comparison made minutes apart in another process mostly
// measures the neighbours.
type openBLAS struct {
	name       string // the library file that was opened
	sgemm      func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32)
	setThreads func(n int32)
}

// CBLAS enum values (cblas.h).
const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// openBLASNames are the library files tried, in order: Debian's libopenblas0 and the usual
// unversioned name.
var openBLASNames = []string{"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"}

// loadOpenBLAS opens OpenBLAS; the error names every file tried and why each failed.
func loadOpenBLAS() (*openBLAS, error) {
	var tried []string
	for _, name := range openBLASNames {
		lib, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		o := &openBLAS{name: name}
		for sym, fn := range map[string]any{"cblas_sgemm": &o.sgemm, "openblas_set_num_threads": &o.setThreads} {
			addr, err := purego.Dlsym(lib, sym)
			if err != nil {
				return nil, fmt.Errorf("%s has no %s: %v", name, sym, err)
			}
			purego.RegisterFunc(fn, addr)
		}
		return o, nil
	}
	return nil, fmt.Errorf("OpenBLAS not found (%s)", strings.Join(tried, "; "))
}

// gemm runs cblas_sgemm on the row-major operands of s, with C = A*B (alpha 1, beta 0).
func (o *openBLAS) gemm(s gemmShape, a, b, c []float32) {
	ta, tb := int32(cblasNoTrans), int32(cblasNoTrans)
	lda, ldb := s.k, s.n
	if s.transA {
		ta, lda = cblasTrans, s.m
	}
	if s.transB {
		tb, ldb = cblasTrans, s.k
	}
	o.sgemm(cblasRowMajor, ta, tb, int32(s.m), int32(s.n), int32(s.k), 1, &a[0], int32(lda), &b[0], int32(ldb), 0, &c[0], int32(s.n))
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
}
