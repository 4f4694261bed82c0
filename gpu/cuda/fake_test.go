package cuda

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/gpu/internal/gputest"
	"github.com/zebra-go/zebra/tensor"
)

// TestFakeDriver runs the CUDA backend's Go side end to end against a fake libcuda and libnvrtc
// (testdata/fake, built with the C compiler when there is one): loading and binding, device
// enumeration, the primary context on the CUDA thread, compiling and caching per dtype, CUBIN with
// the PTX fallback, allocation, copies, launches with int, real, pointer and struct parameters,
// the errors of a missing kernel and of an exhausted device, and the kernel profile's events. The
// fake executes fill and binary_strided (add) on the host from the parameters as the driver
// receives them.
func TestFakeDriver(t *testing.T) {
	if gputest.IsChild() {
		fakeChild()
		return
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build the fake CUDA driver")
	}
	libs := t.TempDir()
	for lib, src := range map[string]string{"libcuda.so.1": "libcuda.c", "libnvrtc.so.12": "libnvrtc.c", "libcublas.so.12": "libcublas.c"} {
		out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", filepath.Join(libs, lib), filepath.Join("testdata", "fake", src)).CombinedOutput()
		if err != nil {
			t.Fatalf("building the fake %s: %v\n%s", lib, err, out)
		}
	}
	for _, rejectCUBIN := range []bool{false, true} {
		env := []string{dynlib.PathEnv + "=" + libs, "XDG_CACHE_HOME=" + t.TempDir()}
		if rejectCUBIN {
			env = append(env, "FAKE_REJECT_CUBIN=1")
		}
		out := gputest.RunChild(t, "TestFakeDriver", env...)
		want := []string{
			"device: cuda:0  Fake GPU (compute capability 9.0, 4 SMs, 1.0 GiB, driver 12.4)",
			"float32 sum: [11 22 33 14 25 36]",
			"float64 sum: [11 22 33 14 25 36]",
			"float32 full: [2.5 2.5 2.5 2.5 2.5 2.5]",
			"float64 full: [2.5 2.5 2.5 2.5 2.5 2.5]",
			"missing kernel: cuda:0 (Fake GPU): cuda: cuModuleGetFunction unary failed: CUDA_ERROR_NOT_FOUND (500): described by the fake driver",
			"oom: cuda:0: out of device memory allocating 2147483648 bytes",
			"CUDA_ERROR_OUT_OF_MEMORY",
			"cuBLAS true",
		}
		want = append(want, "profile fill: 500µs per launch", "profile cublas 2x2x2: 500µs per launch")
		for _, tr := range []string{"false false", "false true", "true false", "true true"} {
			want = append(want, "gemm "+tr+": matches the cpu")
		}
		if rejectCUBIN {
			want = append(want, "cache files: 4") // sm_90 and compute_90 for each dtype
		} else {
			want = append(want, "cache files: 2")
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("reject CUBIN %v: output lacks %q:\n%s", rejectCUBIN, w, out)
			}
		}
	}
}

func fakeChild() {
	b, err := Open(0)
	if err != nil {
		fmt.Println("open:", err)
		return
	}
	fmt.Println("device:", b.Device)
	fmt.Println("cuBLAS", b.UsesCUBLAS())
	fakeGemms(b)
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		x := tensor.Cast(tensor.FromFloat32([]float32{1, 2, 3, 4, 5, 6}, 2, 3), dt).To(b)
		y := tensor.Cast(tensor.FromFloat32([]float32{10, 20, 30}, 3), dt).To(b)
		fmt.Printf("%s sum: %v\n", dt, tensor.Add(x, y).Float64s())
		fmt.Printf("%s full: %v\n", dt, tensor.FullLike(x, 2.5).Float64s())
	}
	func() {
		defer func() { fmt.Println("missing kernel:", recover()) }()
		tensor.Neg(tensor.FromFloat32([]float32{1}, 1).To(b)).Float32s()
	}()
	func() {
		defer func() { fmt.Println("oom:", recover()) }()
		b.Alloc(tensor.Float32, 1<<29)
	}()
	fakeProfile(b)
	cached, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_CACHE_HOME"), "zebra", "ptx", "*.bin"))
	fmt.Println("cache files:", len(cached))
}

// fakeProfile times fills and a cuBLAS product through the fake driver's events, each of which
// "takes" 0.5 ms between its two records.
func fakeProfile(b *Backend) {
	if err := b.StartKernelProfile(); err != nil {
		fmt.Println("profile:", err)
		return
	}
	x := tensor.FromFloat32([]float32{1, 2, 3, 4}, 2, 2).To(b)
	tensor.FullLike(x, 1).Float32s()
	tensor.Matmul(x, x).Float32s()
	times, err := b.StopKernelProfile()
	if err != nil {
		fmt.Println("profile:", err)
		return
	}
	for _, t := range times {
		fmt.Printf("profile %s: %v per launch\n", t.Name, t.Time/time.Duration(t.Launches))
	}
}

// fakeGemms runs batched float32 GEMMs with every transpose, offsets, padded leading dimensions,
// a shared B (stride 0) and beta, through the fake cuBLAS, and compares them with the CPU's.
func fakeGemms(b *Backend) {
	rng := tensor.NewRNG(5)
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
			g := tensor.GemmArgs{TransA: ta, TransB: tb, M: m, N: n, K: k, Alpha: 1.5, Beta: -0.5, Batch: 2,
				OffA: 1, LDA: lda, StrideA: k * lda, OffB: 2, LDB: ldb, StrideB: 0, OffC: 3, LDC: ldc, StrideC: m*ldc + 1}
			a := tensor.Uniform(rng, tensor.Float32, -1, 1, 1+2*k*lda)
			bm := tensor.Uniform(rng, tensor.Float32, -1, 1, 2+k*ldb+n*ldb)
			c := tensor.Uniform(rng, tensor.Float32, -1, 1, 3+2*(m*ldc+1))
			cd := c.To(b)
			want := g
			want.A, want.B, want.C = a.Storage(), bm.Storage(), c.Storage()
			tensor.CPU.Gemm(want)
			g.A, g.B, g.C = a.To(b).Storage(), bm.To(b).Storage(), cd.Storage()
			b.Gemm(g)
			got, w := cd.Float32s(), c.Float32s()
			verdict := "matches the cpu"
			for i := range w {
				if d := got[i] - w[i]; d > 1e-5 || d < -1e-5 {
					verdict = fmt.Sprintf("element %d is %g, cpu %g", i, got[i], w[i])
					break
				}
			}
			fmt.Printf("gemm %v %v: %s\n", ta, tb, verdict)
		}
	}
}
