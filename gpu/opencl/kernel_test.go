package opencl

import (
	"errors"
	"math"
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/dynlib"
	"github.com/zebra-go/zebra/gpu/internal/gputest"
	"github.com/zebra-go/zebra/tensor"
)

// openOrSkip returns OpenCL device 0 or skips the test, saying what was looked for.
func openOrSkip(t testing.TB) *Backend {
	t.Helper()
	b, err := Open(0)
	if errors.Is(err, dynlib.ErrUnavailable) {
		t.Skipf("no OpenCL device (install pocl-opencl-icd and ocl-icd-libopencl1 to test on the CPU): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kernelCase runs one kernel on the CPU and on the device from the same random buffers and
// compares every buffer afterwards: outputs must agree within tol (relative to max(1, |cpu|)),
// inputs must be untouched.
type kernelCase struct {
	name  string
	dtype tensor.DType
	sizes []int // element counts of the buffers
	tol   float64
	// fill optionally sets buffer i's initial values (default uniform in [-2, 2)).
	fill func(i int, v []float64)
	run  func(b tensor.Backend, s []tensor.Storage)
}

func (c kernelCase) check(t *testing.T, dev tensor.Backend) {
	t.Helper()
	rng := tensor.NewRNG(uint64(len(c.name)) * 7919)
	cpu := make([]tensor.Storage, len(c.sizes))
	gpu := make([]tensor.Storage, len(c.sizes))
	for i, n := range c.sizes {
		v := make([]float64, n)
		for j := range v {
			v[j] = 4*rng.Float64() - 2
		}
		if c.fill != nil {
			c.fill(i, v)
		}
		cpu[i] = tensor.CPU.Alloc(c.dtype, n)
		gpu[i] = dev.Alloc(c.dtype, n)
		gputest.Upload(tensor.CPU, cpu[i], v)
		gputest.Upload(dev, gpu[i], v)
	}
	c.run(tensor.CPU, cpu)
	c.run(dev, gpu)
	for i := range c.sizes {
		want, got := gputest.Download(tensor.CPU, cpu[i]), gputest.Download(dev, gpu[i])
		worst, at := 0.0, -1
		for j := range want {
			if want[j] == got[j] || math.IsNaN(want[j]) && math.IsNaN(got[j]) {
				continue
			}
			err := math.Abs(want[j]-got[j]) / math.Max(1, math.Abs(want[j]))
			if math.IsNaN(err) || err > worst {
				worst, at = err, j
				if math.IsNaN(err) {
					worst = math.Inf(1)
				}
			}
		}
		if worst > c.tol {
			t.Errorf("%s %s: buffer %d element %d: device %g, cpu %g (relative error %.3g > %.3g)", c.name, c.dtype, i, at, got[at], want[at], worst, c.tol)
		}
	}
}

// dtypes are the dtypes dev computes in: float64 needs cl_khr_fp64.
func dtypes(dev *Backend) []tensor.DType {
	if dev.Device.FP64 {
		return []tensor.DType{tensor.Float32, tensor.Float64}
	}
	return []tensor.DType{tensor.Float32}
}

func tolFor(dt tensor.DType) float64 {
	if dt == tensor.Float64 {
		return 1e-12
	}
	return 2e-6
}

func TestKernelsMatchCPU(t *testing.T) {
	dev := openOrSkip(t)
	var cases []kernelCase
	for _, dt := range dtypes(dev) {
		tol := tolFor(dt)
		cases = append(cases,
			kernelCase{name: "fill", dtype: dt, sizes: []int{1000}, tol: 0, run: func(b tensor.Backend, s []tensor.Storage) { b.Fill(s[0], 1.5) }},
			kernelCase{name: "copy strided", dtype: dt, sizes: []int{3 * 4 * 5, 200}, tol: 0, run: func(b tensor.Backend, s []tensor.Storage) {
				// a permuted, offset view of a [3 4 5] tensor into a padded destination.
				b.Copy(s[1], 7, []int{1, 40, 8}, s[0], 0, []int{20, 1, 4}, []int{3, 4, 5})
			}},
			kernelCase{name: "binary broadcast", dtype: dt, sizes: []int{3 * 5, 5, 3 * 4 * 5}, tol: tol, run: func(b tensor.Backend, s []tensor.Storage) {
				for _, op := range tensor.BinaryOps() {
					b.Binary(op, s[2], s[0], s[1], []int{3, 4, 5}, []int{5, 0, 1}, []int{0, 0, 1}, 0.3)
				}
			}},
			kernelCase{name: "binary contiguous in place", dtype: dt, sizes: []int{1000, 1000}, tol: tol, run: func(b tensor.Backend, s []tensor.Storage) {
				b.Binary(tensor.OpMul, s[0], s[0], s[1], []int{10, 100}, []int{100, 1}, []int{100, 1}, 0)
			}},
			kernelCase{name: "reduce", dtype: dt, sizes: []int{3 * 300 * 2, 6, 6, 900, 1000, 1}, tol: 10 * tol, run: func(b tensor.Backend, s []tensor.Storage) {
				b.Reduce(tensor.ReduceSum, s[1], s[0], 3, 300, 2)
				b.Reduce(tensor.ReduceMax, s[2], s[0], 3, 300, 2)
				b.Reduce(tensor.ReduceMin, s[3], s[0], 1, 2, 900) // one work-item per output
				b.Reduce(tensor.ReduceSum, s[5], s[4], 1, 1000, 1)
			}},
		)
		for _, op := range tensor.UnaryOps() {
			cases = append(cases, kernelCase{name: "unary " + op.String(), dtype: dt, sizes: []int{999, 999}, tol: tol,
				fill: func(i int, v []float64) {
					if op == tensor.OpLog || op == tensor.OpSqrt || op == tensor.OpPow {
						for j := range v {
							v[j] = math.Abs(v[j])
						}
					}
					v[0], v[1] = 0, math.NaN()
				},
				run: func(b tensor.Backend, s []tensor.Storage) { b.Unary(op, s[1], s[0], 1.7) }})
		}
	}
	for _, c := range cases {
		c.check(t, dev)
	}
}
