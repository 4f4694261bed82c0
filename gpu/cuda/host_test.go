package cuda

// Tests of the CUDA backend's host-side logic, which run on every machine.

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/device"
	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/gpu/internal/gputest"
	"github.com/zebra-go/zebra/tensor"
)

// TestUnavailableNamesEveryPath points the library search at an empty folder in a child process
// (the libraries are loaded once per process) and checks that Open fails cleanly with an error
// that wraps ErrUnavailable and names each candidate.
func TestUnavailableNamesEveryPath(t *testing.T) {
	if gputest.IsChild() {
		_, err := Open(0)
		fmt.Printf("errors.Is(ErrUnavailable)=%v\n%v\n", errors.Is(err, dynlib.ErrUnavailable), err)
		return
	}
	empty := t.TempDir()
	out := gputest.RunChild(t, "TestUnavailableNamesEveryPath", dynlib.PathEnv+"="+empty)
	if !strings.Contains(out, "errors.Is(ErrUnavailable)=true") {
		t.Errorf("error does not wrap ErrUnavailable:\n%s", out)
	}
	for _, name := range []string{"libcuda.so.1", "libcuda.so"} {
		if !strings.Contains(out, filepath.Join(empty, name)+" (not found)") {
			t.Errorf("error does not name %s:\n%s", filepath.Join(empty, name), out)
		}
	}
}

// colMajorRef is the BLAS definition of a column-major GEMM, element (i, j) at i + j*ld.
func colMajorRef(c colMajorGemm, alpha, beta float64, a, b, out []float64) {
	for i := range c.M {
		for j := range c.N {
			var s float64
			for p := range c.K {
				var av, bv float64
				if c.TransA {
					av = a[c.OffA+p+i*c.LDA]
				} else {
					av = a[c.OffA+i+p*c.LDA]
				}
				if c.TransB {
					bv = b[c.OffB+j+p*c.LDB]
				} else {
					bv = b[c.OffB+p+j*c.LDB]
				}
				s += av * bv
			}
			idx := c.OffC + i + j*c.LDC
			out[idx] = alpha*s + beta*out[idx]
		}
	}
}

// TestToColMajor checks the row-major to cuBLAS translation against the CPU backend: the
// column-major product of the swapped operands must equal the row-major product, element for
// element, for every combination of transposes, with padded leading dimensions and offsets.
func TestToColMajor(t *testing.T) {
	rng := tensor.NewRNG(3)
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			m, n, k := 3, 5, 4
			lda, ldb, ldc := k+1, n+2, n+1
			if ta {
				lda = m + 2
			}
			if tb {
				ldb = k + 3
			}
			g := tensor.GemmArgs{TransA: ta, TransB: tb, M: m, N: n, K: k, Alpha: 1.5, Beta: -0.5, Batch: 1,
				OffA: 1, LDA: lda, OffB: 2, LDB: ldb, OffC: 3, LDC: ldc}
			a := tensor.Uniform(rng, tensor.Float64, -1, 1, 1+k*lda+m*lda)
			b := tensor.Uniform(rng, tensor.Float64, -1, 1, 2+k*ldb+n*ldb)
			c := tensor.Uniform(rng, tensor.Float64, -1, 1, 3+m*ldc)
			got := c.Float64s()
			g.A, g.B, g.C = a.Storage(), b.Storage(), c.Storage()
			tensor.CPU.Gemm(g)
			want := c.Float64s()

			cm, ok := toColMajor(g)
			if !ok {
				t.Fatalf("toColMajor rejected %+v", cm)
			}
			colMajorRef(cm, g.Alpha, g.Beta, b.Float64s(), a.Float64s(), got) // operands swapped
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("transA %v transB %v: element %d: column-major %g, row-major %g", ta, tb, i, got[i], want[i])
				}
			}
		}
	}
	if _, ok := toColMajor(tensor.GemmArgs{M: 2, N: 2, K: 0, LDA: 0, LDB: 2, LDC: 2}); ok {
		t.Error("toColMajor accepted K = 0, which cuBLAS rejects with a leading dimension of 0")
	}
}

func TestTargets(t *testing.T) {
	for _, c := range []struct {
		device    int
		supported []int
		cubin     bool
		want      []target
	}{
		{90, []int{75, 80, 86, 89, 90}, true, []target{{90, true}, {90, false}}},
		{90, []int{75, 80, 86, 89, 90}, false, []target{{90, false}}},
		{90, []int{75, 80, 86}, true, []target{{86, false}}}, // an older NVRTC: PTX for the newest it knows
		{100, []int{80, 90}, true, []target{{90, false}}},
		{90, nil, false, []target{{90, false}}}, // NVRTC before 11.2 cannot list its architectures
	} {
		if got := targets(c.device, c.supported, c.cubin); !slices.Equal(got, c.want) {
			t.Errorf("targets(%d, %v, %v) = %v, want %v", c.device, c.supported, c.cubin, got, c.want)
		}
	}
}

func TestPTXCacheRoundTrip(t *testing.T) {
	c := ptxCache{dir: filepath.Join(t.TempDir(), "ptx")}
	sm90, compute90 := target{90, true}, target{90, false}
	if c.load("k", compute90) != nil {
		t.Fatal("empty cache returned PTX")
	}
	ptx := []byte(".version 8.0\x00")
	c.store("k", compute90, ptx)
	if got := c.load("k", compute90); string(got) != string(ptx) {
		t.Fatalf("load = %q, want %q", got, ptx)
	}
	if c.load("k", sm90) != nil || c.load("k", target{80, false}) != nil || c.load("other", compute90) != nil {
		t.Fatal("cache ignores the target or the key")
	}
}

// TestKernelsCompileAsCUDACpp compiles the CUDA prelude and the shared kernels as C++ with g++,
// standing in for NVRTC where there is no GPU: CUDA's keywords and built-in variables are
// declared as plain C++ so that a C-only construct or a typo in the CUDA prelude fails here
// rather than on the first GPU machine.
func TestKernelsCompileAsCUDACpp(t *testing.T) {
	gxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skip("g++ not found; the CUDA kernels are checked by NVRTC on a GPU machine only")
	}
	stubs := `#include <cmath>
#define __global__
#define __device__
#define __shared__ static
struct dim3 { unsigned x, y, z; };
static dim3 threadIdx, blockIdx, blockDim;
static void __syncthreads() {}
static float __int_as_float(int i) { float f; __builtin_memcpy(&f, &i, 4); return f; }
`
	for _, def := range []string{"", "#define REAL_DOUBLE\n"} {
		src := filepath.Join(t.TempDir(), "kernels.cpp")
		if err := os.WriteFile(src, []byte(stubs+def+prelude+"\n"+device.Source), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(gxx, "-std=c++17", "-fsyntax-only", src).CombinedOutput()
		if err != nil {
			t.Errorf("kernels (%q) do not compile as C++: %v\n%s", def, err, out)
		}
	}
}

// TestWorkerOrderAndFailures checks the CUDA thread's contract without CUDA: calls run in order
// on one OS thread, do waits, and a posted call's panic surfaces at the next do.
func TestWorkerOrderAndFailures(t *testing.T) {
	w := &worker{calls: make(chan func(), 4)}
	go w.loop()
	var order []int
	var tids []int
	for i := range 10 {
		w.post(func() { order = append(order, i); tids = append(tids, gettid()) })
	}
	w.do(func() { order = append(order, 10); tids = append(tids, gettid()) })
	for i, v := range order {
		if v != i {
			t.Fatalf("calls ran in order %v", order)
		}
	}
	for _, tid := range tids {
		if tid != tids[0] {
			t.Fatalf("calls ran on threads %v", tids)
		}
	}
	w.post(func() { panic("launch failed") })
	w.post(func() { panic("second failure") })
	func() {
		defer func() {
			if r := recover(); r != "launch failed" {
				t.Errorf("do raised %v, want the first posted panic", r)
			}
		}()
		w.do(func() { t.Error("do ran its call after a posted failure") })
	}()
	ran := false
	w.do(func() { ran = true }) // the failure was reported once
	if !ran {
		t.Error("do after a reported failure did not run")
	}
	close(w.calls)
}
