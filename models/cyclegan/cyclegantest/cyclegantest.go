// Package cyclegantest runs a CycleGAN training step on any backend and compares it with the
// CPU: the whole kernel contract as a real model uses it, beyond what the conformance suite
// (tensor/backendtest) checks kernel by kernel. Its tests run it on every GPU backend the machine
// has (gpu.Open("opencl"), gpu.Open("cuda")); it lives beside the model, not under gpu/, so that
// the GPU packages stay below the model in the import graph, tests included.
package cyclegantest

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensor/backendtest"
)

// NewTrainer returns a CycleGAN trainer on b with ngf = ndf = width: two residual blocks for a
// narrow test model (width < 64), the paper's nine otherwise.
func NewTrainer(b tensor.Backend, width int) (*cyclegan.Trainer, error) {
	o := cyclegan.DefaultOptions()
	o.NGF, o.NDF = width, width
	if width < 64 {
		o.Blocks = 2
	}
	o.Seed = 7
	return cyclegan.NewTrainer(o, b)
}

// StepMatchesCPU runs one full CycleGAN training step (both generators forward and back, Adam,
// the image pools, both discriminators) on a small configuration on the CPU and on dev from the
// same seed and images, and compares the eight losses and every parameter's gradient: they must
// agree within float32 rounding.
//
// When they differ, the step runs again on dev in lockstep with the CPU (backendtest.Lockstep)
// and the test log names the first kernel calls whose results drifted.
func StepMatchesCPU(t *testing.T, dev tensor.Backend) {
	t.Helper()
	problems, err := CompareStep(dev)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) == 0 {
		return
	}
	l := backendtest.NewLockstep(dev)
	if _, err := CompareStep(l); err != nil {
		t.Fatal(err)
	}
	t.Logf("the same step in lockstep with the cpu; first divergences:\n%s", strings.Join(l.Divergences, "\n"))
}

// CompareStep returns what differs between one training step on the CPU and one on dev.
func CompareStep(dev tensor.Backend) ([]string, error) {
	rng := tensor.NewRNG(11)
	realA := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, 32, 32)
	realB := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, 32, 32)

	type result struct {
		losses cyclegan.Losses
		grads  map[string][]float32
	}
	run := func(b tensor.Backend) (result, error) {
		tr, err := NewTrainer(b, 8)
		if err != nil {
			return result{}, err
		}
		losses, _, err := tr.Step(realA, realB)
		if err != nil {
			return result{}, err
		}
		r := result{losses: losses, grads: map[string][]float32{}}
		for net, m := range map[string]nn.Module{"G_A": tr.GA, "G_B": tr.GB, "D_A": tr.DA, "D_B": tr.DB} {
			for _, p := range m.NamedParameters() {
				if p.Param.Grad == nil {
					return result{}, fmt.Errorf("%s.%s has no gradient after a step on %s", net, p.Name, b.Name())
				}
				r.grads[net+"."+p.Name] = p.Param.Grad.Float32s()
			}
		}
		return r, nil
	}
	want, err := run(tensor.CPU)
	if err != nil {
		return nil, err
	}
	got, err := run(dev)
	if err != nil {
		return nil, err
	}

	var problems []string
	for i, name := range cyclegan.LossNames {
		if d := math.Abs(got.losses[i] - want.losses[i]); d > 1e-4*math.Max(1, math.Abs(want.losses[i])) || math.IsNaN(d) {
			problems = append(problems, fmt.Sprintf("loss %s: %s %.7g, cpu %.7g", name, dev.Name(), got.losses[i], want.losses[i]))
		}
	}
	if len(want.grads) == 0 {
		return nil, fmt.Errorf("no gradients to compare")
	}
	// The largest gradient of the whole model sets the scale of rounding noise: the biases of
	// convolutions followed by InstanceNorm have a true gradient of zero (the normalization
	// subtracts them again), so theirs is pure cancellation noise on both devices.
	modelScale := 0.0
	for _, w := range want.grads {
		modelScale = math.Max(modelScale, maxAbs32(w))
	}
	for _, name := range slices.Sorted(maps.Keys(want.grads)) {
		w, g := want.grads[name], got.grads[name]
		scale := maxAbs32(w)
		if scale < 1e-5*modelScale { // a zero gradient: both devices must say so
			if maxAbs32(g) >= 1e-5*modelScale {
				problems = append(problems, fmt.Sprintf("gradient of %s: cpu %.3g (zero up to rounding), %s %.3g", name, scale, dev.Name(), maxAbs32(g)))
			}
			continue
		}
		worst := 0.0
		for i := range w {
			worst = math.Max(worst, math.Abs(float64(g[i]-w[i])))
		}
		// float32 sums over thousands of terms in different orders differ by a few 1e-6 of
		// their scale (3e-6 at most on PoCL when this was written).
		if worst > 1e-4*scale || math.IsNaN(worst) {
			problems = append(problems, fmt.Sprintf("gradient of %s: max |%s - cpu| = %.3g, largest gradient %.3g", name, dev.Name(), worst, scale))
		}
	}
	return problems, nil
}

func maxAbs32(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

// BenchStep times one training step of the paper's CycleGAN (ngf = ndf = 64, 9 blocks) at
// size×size on each of the backends. Step reads the losses back, which waits for the device.
func BenchStep(b *testing.B, size int, backends ...tensor.Backend) {
	rng := tensor.NewRNG(2)
	realA := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, size, size)
	realB := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, size, size)
	for _, be := range backends {
		b.Run(fmt.Sprintf("%s/%dx%d", be.Name(), size, size), func(b *testing.B) {
			tr, err := NewTrainer(be, 64)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := tr.Step(realA, realB); err != nil { // warm up: kernels, allocator
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, _, err := tr.Step(realA, realB); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
