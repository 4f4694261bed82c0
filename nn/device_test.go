package nn

import (
	"errors"
	"fmt"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/tensor"
)

// The layers only compose backend kernels, so moving a module and its input to another device
// (To) must give PyTorch's values there too. Each available GPU backend (OpenCL, including PoCL on
// a CPU, and CUDA) runs every float32 layer and loss case of the golden file, with the float32
// tolerances; missing devices are skipped.
func TestLayersMatchPyTorchOnDevices(t *testing.T) {
	cases, f := loadGolden(t)
	ran := 0
	for _, name := range []string{"opencl", "cuda"} {
		b, err := gpu.Open(name)
		if errors.Is(err, gpu.ErrUnavailable) {
			t.Logf("%s: %v", name, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ran++
		for _, c := range cases {
			if c.Reduction != "" {
				t.Run(fmt.Sprintf("%s/%s", b.Name(), c.Name), func(t *testing.T) {
					input := autograd.NewVar(goldenTensor(t, f, c.Name+".input", tensor.Float32).To(b), true)
					target := autograd.NewVar(goldenTensor(t, f, c.Name+".target", tensor.Float32).To(b), true)
					loss := lossFuncs[c.Kind](input, target, reductions[c.Reduction])
					compareGolden(t, f, c.Name+".loss", loss.Value)
					loss.BackwardWith(goldenTensor(t, f, c.Name+".grad_y", tensor.Float32).To(b))
					compareGolden(t, f, c.Name+".grad_input", input.Grad)
					compareGolden(t, f, c.Name+".grad_target", target.Grad)
				})
				continue
			}
			if c.Kind == "sequential" {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s", b.Name(), c.Name), func(t *testing.T) {
				m := goldenModule(t, f, c, tensor.Float32)
				To(m, b)
				for _, p := range Parameters(m) {
					if p.Value.Backend() != b {
						t.Fatalf("a parameter stayed on %s", p.Value.Backend().Name())
					}
				}
				x := autograd.NewVar(goldenTensor(t, f, c.Name+".x", tensor.Float32).To(b), true)
				y := m.Forward(x)
				if y.Value.Backend() != b {
					t.Fatalf("output on %s", y.Value.Backend().Name())
				}
				compareGolden(t, f, c.Name+".y", y.Value)
				y.BackwardWith(goldenTensor(t, f, c.Name+".grad_y", tensor.Float32).To(b))
				compareGolden(t, f, c.Name+".grad_x", x.Grad)
				for _, np := range m.NamedParameters() {
					compareGolden(t, f, c.Name+".grad_"+np.Name, np.Param.Grad)
				}
			})
		}
	}
	if ran == 0 {
		t.Skip("no GPU backend on this machine")
	}
}

// TestDropoutOnDevices: the mask is built by tensor ops on the input's backend, and a seeded layer
// drops the same elements there as on the CPU.
func TestDropoutOnDevices(t *testing.T) {
	const n = 1000
	want := NewDropout(0.3, tensor.NewRNG(9)).Forward(autograd.Constant(tensor.Ones(tensor.Float32, n))).Value.Float32s()
	ran := 0
	for _, name := range []string{"opencl", "cuda"} {
		b, err := gpu.Open(name)
		if errors.Is(err, gpu.ErrUnavailable) {
			t.Logf("%s: %v", name, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ran++
		y := NewDropout(0.3, tensor.NewRNG(9)).Forward(autograd.Constant(tensor.Ones(tensor.Float32, n).To(b)))
		if y.Value.Backend() != b {
			t.Fatalf("%s: output on %s", name, y.Value.Backend().Name())
		}
		for i, v := range y.Value.Float32s() {
			if v != want[i] {
				t.Fatalf("%s: element %d is %g, the CPU gives %g", name, i, v, want[i])
			}
		}
	}
	if ran == 0 {
		t.Skip("no GPU backend on this machine")
	}
}
