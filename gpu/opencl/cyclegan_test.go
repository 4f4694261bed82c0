package opencl

import (
	"math"
	"testing"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// TestCycleGANStepMatchesCPU runs one full CycleGAN training step (both generators forward and
// back, Adam, the image pools, both discriminators) on a small configuration on the CPU and on
// OpenCL from the same seed and images, and compares the eight losses and every parameter's
// gradient: the whole kernel contract, as a real model uses it, must agree within float32
// rounding.
func TestCycleGANStepMatchesCPU(t *testing.T) {
	dev := openOrSkip(t)
	rng := tensor.NewRNG(11)
	realA := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, 32, 32)
	realB := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, 32, 32)

	type result struct {
		losses cyclegan.Losses
		grads  map[string][]float32
	}
	run := func(b tensor.Backend) result {
		tr := newTrainer(t, b, 8)
		losses, _, err := tr.Step(realA, realB)
		if err != nil {
			t.Fatal(err)
		}
		r := result{losses: losses, grads: map[string][]float32{}}
		for net, m := range map[string]nn.Module{"G_A": tr.GA, "G_B": tr.GB, "D_A": tr.DA, "D_B": tr.DB} {
			for _, p := range m.NamedParameters() {
				if p.Param.Grad == nil {
					t.Fatalf("%s.%s has no gradient after a step", net, p.Name)
				}
				r.grads[net+"."+p.Name] = p.Param.Grad.Float32s()
			}
		}
		return r
	}
	want, got := run(tensor.CPU), run(dev)

	for i, name := range cyclegan.LossNames {
		if d := math.Abs(got.losses[i] - want.losses[i]); d > 1e-4*math.Max(1, math.Abs(want.losses[i])) {
			t.Errorf("loss %s: opencl %.7g, cpu %.7g", name, got.losses[i], want.losses[i])
		}
	}
	if len(want.grads) == 0 {
		t.Fatal("no gradients to compare")
	}
	// The largest gradient of the whole model sets the scale of rounding noise: the biases of
	// convolutions followed by InstanceNorm have a true gradient of zero (the normalization
	// subtracts them again), so theirs is pure cancellation noise on both devices.
	modelScale := 0.0
	for _, w := range want.grads {
		modelScale = math.Max(modelScale, maxAbs(w))
	}
	for name, w := range want.grads {
		g := got.grads[name]
		scale := maxAbs(w)
		worst := 0.0
		for i := range w {
			worst = math.Max(worst, math.Abs(float64(g[i]-w[i])))
		}
		if scale < 1e-5*modelScale { // a zero gradient: both devices must say so
			if maxAbs(g) >= 1e-5*modelScale {
				t.Errorf("gradient of %s: cpu %.3g (zero up to rounding), opencl %.3g", name, scale, maxAbs(g))
			}
			continue
		}
		// float32 sums over thousands of terms in different orders differ by a few 1e-6 of
		// their scale.
		if worst > 1e-4*scale || math.IsNaN(worst) {
			t.Errorf("gradient of %s: max |opencl - cpu| = %.3g, largest gradient %.3g", name, worst, scale)
		}
	}
}

// newTrainer returns a CycleGAN trainer on b with ngf = ndf = width, for square images of 32 to
// 256 pixels: two residual blocks for a narrow test model, the paper's nine otherwise.
func newTrainer(t testing.TB, b tensor.Backend, width int) *cyclegan.Trainer {
	t.Helper()
	o := cyclegan.DefaultOptions()
	o.NGF, o.NDF = width, width
	if width < 64 {
		o.Blocks = 2
	}
	o.LoadSize, o.CropSize = 32, 32 // the data options are checked even though Step takes tensors
	o.Seed = 7
	tr, err := cyclegan.NewTrainer(o, b)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}
