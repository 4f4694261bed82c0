package cyclegantest

import (
	"errors"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensor/backendtest"
)

// gpuKinds are the GPU backends the tests look for, each by gpu.Open's name for its first device.
var gpuKinds = []string{"opencl", "cuda"}

// openOrSkip opens the named device or skips the test, saying what was looked for.
func openOrSkip(t testing.TB, name string) tensor.Backend {
	t.Helper()
	b, err := gpu.Open(name)
	if errors.Is(err, gpu.ErrUnavailable) {
		t.Skipf("no %s device (for OpenCL on the CPU, install pocl-opencl-icd and ocl-icd-libopencl1): %v", name, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStepMatchesCPU runs the comparison on every GPU backend the machine has.
func TestStepMatchesCPU(t *testing.T) {
	for _, kind := range gpuKinds {
		t.Run(kind, func(t *testing.T) { StepMatchesCPU(t, openOrSkip(t, kind)) })
	}
}

// TestLockstepCPUMatches runs the comparison where no GPU is needed: the CPU in lockstep with
// itself takes the composed convolution path (Lockstep has no Convolver), which must agree with
// the CPU's own within the same tolerances, and drift nowhere.
func TestLockstepCPUMatches(t *testing.T) {
	l := backendtest.NewLockstep(tensor.CPU)
	StepMatchesCPU(t, l)
	if len(l.Divergences) > 0 {
		t.Errorf("the cpu drifted from itself:\n%s", strings.Join(l.Divergences, "\n"))
	}
}

// skewedGemm is the CPU with a GEMM that is off by one part in a thousand, a bug the comparison
// must catch; it runs inside a Lockstep, whose storage brings every kernel call back to it.
type skewedGemm struct{ tensor.Backend }

func (skewedGemm) Gemm(g tensor.GemmArgs) {
	g.Alpha *= 1.001
	tensor.CPU.Gemm(g)
}

// TestCompareStepCatchesASkewedGemm proves that the comparison can fail, and that the lockstep
// run names the GEMM.
func TestCompareStepCatchesASkewedGemm(t *testing.T) {
	l := backendtest.NewLockstep(skewedGemm{tensor.CPU})
	problems, err := CompareStep(l)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) == 0 {
		t.Fatal("a GEMM off by 0.1% passed the comparison")
	}
	if len(l.Divergences) == 0 || !strings.Contains(l.Divergences[0], "Gemm(") {
		t.Errorf("first divergences %q, want a Gemm first", l.Divergences)
	}
}

// BenchmarkStep times the paper's training step on each GPU the machine has, at 256x256 (the CPU
// takes tens of seconds; zebra-bench has its number), and at 64x64 against the CPU.
func BenchmarkStep(b *testing.B) {
	for _, kind := range gpuKinds {
		b.Run(kind, func(b *testing.B) {
			dev := openOrSkip(b, kind)
			BenchStep(b, 64, dev, tensor.CPU)
			BenchStep(b, 256, dev)
		})
	}
}
