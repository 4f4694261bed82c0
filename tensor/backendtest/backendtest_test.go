package backendtest

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// broken is the CPU backend with one kernel replaced by a plausible bug, the kind a new GPU kernel
// has. The suite must fail on each of them.
type broken struct {
	tensor.Backend
	kernel string
}

func host(s tensor.Storage) []float64 { return download(tensor.CPU, s) }

func store(dst tensor.Storage, v []float64) {
	tmp := upload(tensor.CPU, dst.DType(), v)
	tensor.CPU.Copy(dst, 0, []int{1}, tmp, 0, []int{1}, []int{len(v)})
}

// Copy forgets the source offset.
func (b broken) Copy(dst tensor.Storage, dstOff int, dstStrides []int, src tensor.Storage, srcOff int, srcStrides []int, shape []int) {
	if b.kernel == "Copy" {
		srcOff = 0
	}
	tensor.CPU.Copy(dst, dstOff, dstStrides, src, srcOff, srcStrides, shape)
}

// Binary reads b as b[i mod len(b)], which is right for trailing broadcasts ([5,6] op [6]) only.
func (b broken) Binary(op tensor.BinaryOp, dst, x, y tensor.Storage, shape, xs, ys []int, param float64) {
	if b.kernel != "Binary" || y.Len() == 0 {
		tensor.CPU.Binary(op, dst, x, y, shape, xs, ys, param)
		return
	}
	yv := host(y)
	wrapped := make([]float64, tensor.Numel(shape))
	for i := range wrapped {
		wrapped[i] = yv[i%len(yv)]
	}
	tensor.CPU.Binary(op, dst, x, upload(tensor.CPU, y.DType(), wrapped), shape, xs, tensor.ContiguousStrides(shape), param)
}

// Reduce skips the last row of a max or min.
func (b broken) Reduce(op tensor.ReduceOp, dst, src tensor.Storage, outer, mid, inner int) {
	if b.kernel != "Reduce" || op == tensor.ReduceSum || mid < 2 {
		tensor.CPU.Reduce(op, dst, src, outer, mid, inner)
		return
	}
	s := host(src)
	short := make([]float64, 0, outer*(mid-1)*inner)
	for o := range outer {
		short = append(short, s[o*mid*inner:(o*mid+mid-1)*inner]...)
	}
	tensor.CPU.Reduce(op, dst, upload(tensor.CPU, src.DType(), short), outer, mid-1, inner)
}

// Gemm ignores beta.
func (b broken) Gemm(g tensor.GemmArgs) {
	if b.kernel == "Gemm" {
		g.Beta = 0
	}
	tensor.CPU.Gemm(g)
}

// Col2im accumulates into x instead of overwriting it.
func (b broken) Col2im(x, cols tensor.Storage, g tensor.ConvGeom) {
	before := host(x)
	tensor.CPU.Col2im(x, cols, g)
	if b.kernel == "Col2im" {
		after := host(x)
		for i := range after {
			after[i] += before[i]
		}
		store(x, after)
	}
}

// ReflectPad repeats the edge pixel (replication padding).
func (b broken) ReflectPad(dst, src tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	if b.kernel != "ReflectPad" {
		tensor.CPU.ReflectPad(dst, src, planes, h, w, p)
		return
	}
	in := host(src)
	oh, ow := h+p.Top+p.Bottom, w+p.Left+p.Right
	out := make([]float64, planes*oh*ow)
	for pl := range planes {
		for y := range oh {
			for x := range ow {
				iy, ix := min(max(y-p.Top, 0), h-1), min(max(x-p.Left, 0), w-1)
				out[(pl*oh+y)*ow+x] = in[(pl*h+iy)*w+ix]
			}
		}
	}
	store(dst, out)
}

// InstanceNormForward computes the variance in one float32 pass as E[x²] − E[x]².
func (b broken) InstanceNormForward(y, mean, rstd, x tensor.Storage, planes, size int, eps float64) {
	if b.kernel != "InstanceNormForward" || x.DType() != tensor.Float32 {
		tensor.CPU.InstanceNormForward(y, mean, rstd, x, planes, size, eps)
		return
	}
	xs := host(x)
	ys, ms, rs := make([]float64, len(xs)), make([]float64, planes), make([]float64, planes)
	for p := range planes {
		var s, sq float32
		for _, v := range xs[p*size : (p+1)*size] {
			s += float32(v)
			sq += float32(v) * float32(v)
		}
		mu := s / float32(size)
		r := 1 / float32(math.Sqrt(float64(sq/float32(size)-mu*mu)+eps))
		for i, v := range xs[p*size : (p+1)*size] {
			ys[p*size+i] = float64((float32(v) - mu) * r)
		}
		ms[p], rs[p] = float64(mu), float64(r)
	}
	store(y, ys)
	store(mean, ms)
	store(rstd, rs)
}

// Im2col panics, as a GPU backend does when a kernel fails to launch.
func (b broken) Im2col(cols, x tensor.Storage, g tensor.ConvGeom) {
	if b.kernel == "Im2col" {
		panic("broken: launch failed")
	}
	tensor.CPU.Im2col(cols, x, g)
}

// ReflectPadBackward uses its input dy as scratch space and leaves it zeroed.
func (b broken) ReflectPadBackward(dx, dy tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	tensor.CPU.ReflectPadBackward(dx, dy, planes, h, w, p)
	if b.kernel == "ReflectPadBackward" {
		tensor.CPU.Fill(dy, 0)
	}
}

// AdamStep forgets the second bias correction.
func (b broken) AdamStep(param, grad, m, v tensor.Storage, h tensor.AdamHyper) {
	if b.kernel == "AdamStep" {
		h.BiasCorrection2 = 1
	}
	tensor.CPU.AdamStep(param, grad, m, v, h)
}

// Unary computes x·0 as 0 whatever x is, as a fast-math multiply may: tensor.AllFinite's
// composed check then misses every NaN. (A tensor on broken is a CPU tensor, since its storage
// is the CPU's; the suite runs it under a Lockstep, whose tensors are its own and which has no
// FiniteChecker, to reach the composed check.)
func (b broken) Unary(op tensor.UnaryOp, dst, src tensor.Storage, param float64) {
	if b.kernel == "AllFinite" && op == tensor.OpScale && param == 0 {
		tensor.CPU.Fill(dst, 0)
		return
	}
	tensor.CPU.Unary(op, dst, src, param)
}

// lastUnread is the CPU backend with a FiniteChecker that does not read the last element.
type lastUnread struct{ broken }

func (lastUnread) AllFinite(s tensor.Storage) bool {
	if s.Len() == 0 {
		return true
	}
	head := tensor.CPU.Alloc(s.DType(), s.Len()-1)
	tensor.CPU.Copy(head, 0, []int{1}, s, 0, []int{1}, []int{s.Len() - 1})
	return tensor.CPU.(tensor.FiniteChecker).AllFinite(head)
}

// unclearedPool is the CPU backend with a Releaser whose pool hands a released buffer back from
// Alloc without clearing it, as a GPU allocator that forgot its fill would.
type unclearedPool struct {
	broken
	free map[[2]int]tensor.Storage
}

func (p *unclearedPool) Release(s tensor.Storage) { p.free[[2]int{int(s.DType()), s.Len()}] = s }

func (p *unclearedPool) Alloc(dt tensor.DType, n int) tensor.Storage {
	key := [2]int{int(dt), n}
	if s, ok := p.free[key]; ok {
		delete(p.free, key)
		return s
	}
	return tensor.CPU.Alloc(dt, n)
}

const brokenEnv = "ZEBRA_BACKENDTEST_BROKEN"

// TestBrokenBackendHelper runs the suite on one broken kernel when the parent test asks for it.
func TestBrokenBackendHelper(t *testing.T) {
	// "kernel" or "kernel:variant", for a kernel broken in more than one way.
	kernel, variant, _ := strings.Cut(os.Getenv(brokenEnv), ":")
	if kernel == "" {
		t.Skip("run by TestSuiteCatchesBrokenKernels")
	}
	var skip []string
	for _, k := range kernelTests {
		if k.name != kernel {
			skip = append(skip, k.name)
		}
	}
	var b tensor.Backend = broken{tensor.CPU, kernel}
	if kernel == "Release" {
		b = &unclearedPool{broken{tensor.CPU, kernel}, map[[2]int]tensor.Storage{}}
	}
	switch variant {
	case "fastMath":
		b = NewLockstep(broken{tensor.CPU, kernel})
	case "lastUnread":
		b = lastUnread{broken{tensor.CPU, "none"}}
	}
	Run(t, b, Skip(skip...))
}

// TestSuiteCatchesBrokenKernels proves that the suite can fail: each broken kernel, run in a
// child process, must make it report elements that differ from the CPU.
func TestSuiteCatchesBrokenKernels(t *testing.T) {
	for _, kernel := range []string{"Copy", "Binary", "Reduce", "Gemm", "Im2col", "Col2im", "ReflectPad",
		"ReflectPadBackward", "InstanceNormForward", "AdamStep", "Release", "AllFinite:fastMath",
		"AllFinite:lastUnread"} {
		t.Run(kernel, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenBackendHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+kernel)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend with a broken %s:\n%s", kernel, out)
			}
			name, _, _ := strings.Cut(kernel, ":")
			want := "differ"
			switch name {
			case "Im2col":
				want = "panicked: broken: launch failed" // reported by its own subtest
			case "AllFinite":
				want = "= true, want false"
			}
			if !strings.Contains(string(out), want) || !strings.Contains(string(out), name) {
				t.Errorf("the suite failed for another reason than the broken %s:\n%s", kernel, out)
			}
		})
	}
}

// TestSuitePassesCPU runs the suite on the CPU itself, with the options a GPU backend would use.
func TestSuitePassesCPU(t *testing.T) { Run(t, tensor.CPU, NoFloat64(), Seed(7)) }

// TestSuiteCoversEveryOp fails when an op is added to the contract without a case here.
func TestSuiteCoversEveryOp(t *testing.T) {
	h := &harness{t: t, b: tensor.CPU, dt: tensor.Float32, rng: tensor.NewRNG(1)}
	unary := map[tensor.UnaryOp]bool{}
	for _, c := range h.unaryCases() {
		unary[c.op] = true
	}
	for _, op := range tensor.UnaryOps() {
		if !unary[op] {
			t.Errorf("no conformance case for unary op %s", op)
		}
	}
	binary := map[tensor.BinaryOp]bool{}
	for _, c := range h.binaryCases() {
		binary[c.op] = true
	}
	for _, op := range tensor.BinaryOps() {
		if !binary[op] {
			t.Errorf("no conformance case for binary op %s", op)
		}
	}
	if n := tensor.ReduceOp(3).String(); n != "ReduceOp(3)" {
		t.Errorf("reduce op 3 (%s) is not covered: testReduce checks sum, max and min", n)
	}
}
