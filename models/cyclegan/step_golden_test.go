package cyclegan

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// TestStepMatchesPyTorch runs two training steps from the weights and images written by
// scripts/golden/cyclegan.py, which runs the official optimize_parameters on the same tiny
// networks, and compares the eight losses of each step and every weight after the second. The
// trainer runs in float64 here, as PyTorch did, so the whole step (losses, frozen discriminators,
// detached fakes, both Adam updates) must agree to rounding. It runs both ways of the generator
// step: the identity passes apart, as large runs take them, and fused into the cycles' batches,
// as small runs do (Options.fusesIdentity).
func TestStepMatchesPyTorch(t *testing.T) {
	for _, fuse := range []bool{false, true} {
		t.Run("fused identity "+strconv.FormatBool(fuse), func(t *testing.T) {
			fuseIdentity = &fuse
			defer func() { fuseIdentity = nil }()
			testStepMatchesPyTorch(t)
		})
	}
}

func testStepMatchesPyTorch(t *testing.T) {
	f, get := goldenTensors(t, "train_step_golden.safetensors")
	stateDict := func(prefix string) map[string]*tensor.Tensor {
		sd := map[string]*tensor.Tensor{}
		for _, name := range f.Names() {
			if key, ok := strings.CutPrefix(name, prefix); ok {
				sd[key] = get(name)
			}
		}
		return sd
	}
	o := DefaultOptions()
	o.NGF, o.NDF, o.Blocks, o.DLayers = 2, 2, 1, 3
	o.LoadSize, o.CropSize = 32, 32
	tr, err := NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tr.namedNetworks() {
		nn.Cast(n.module, tensor.Float64)
		if err := nn.LoadStateDict(n.module, stateDict("init."+n.name+"."), true); err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
	}
	for k := range 2 {
		step := "step" + string(rune('0'+k))
		losses, _, err := tr.Step(get(step+".real_A"), get(step+".real_B"))
		if err != nil {
			t.Fatal(err)
		}
		want := get(step + ".losses").Float64s()
		compareClose(t, step+" losses "+strings.Join(LossNames[:], " "), tensor.FromFloat64(losses[:], 8), tensor.FromFloat64(want, 8), 1e-10)
	}
	// A bias just before an InstanceNorm is cancelled by it: its true gradient is 0, and what
	// both frameworks compute is rounding noise (about 1e-13). Adam turns a gradient g far below
	// its eps (1e-8) into an update of lr·g/eps, so these biases move by noise of up to about
	// 2 steps · 2e-4 · 1e-12 / 1e-8 = 4e-8, differently in each framework. They are compared
	// with that bound; every other weight to rounding.
	const cancelledBiasTol = 5e-8
	cancelled := map[string]bool{}
	for _, n := range tr.namedNetworks() {
		var model *nn.Sequential
		switch m := n.module.(type) {
		case *ResnetGenerator:
			model = m.Model
		case *NLayerDiscriminator:
			model = m.Model
		}
		markBiasesBeforeNorm(n.name+".model.", model, cancelled)
	}
	for _, n := range tr.namedNetworks() {
		final := stateDict("final." + n.name + ".")
		for _, np := range n.module.NamedParameters() {
			tol := 1e-10
			if cancelled[n.name+"."+np.Name] {
				tol = cancelledBiasTol
			}
			compareClose(t, "after 2 steps: "+n.name+"."+np.Name, np.Param.Value, final[np.Name], tol)
		}
	}
	if len(cancelled) == 0 {
		t.Fatal("found no bias before an InstanceNorm")
	}
}

// markBiasesBeforeNorm records the names of the biases of s's layers that an InstanceNorm2d
// follows, looking inside residual blocks too.
func markBiasesBeforeNorm(prefix string, s *nn.Sequential, out map[string]bool) {
	for i, l := range s.Layers {
		name := prefix + strconv.Itoa(i)
		if b, ok := l.(*ResnetBlock); ok {
			markBiasesBeforeNorm(name+".conv_block.", b.ConvBlock, out)
			continue
		}
		if i+1 < len(s.Layers) {
			if _, norm := s.Layers[i+1].(*nn.InstanceNorm2d); norm {
				out[name+".bias"] = true
			}
		}
	}
}

// TestFusedIdentityMatchesSeparate: the generator step with the identity passes fused into the
// cycles' batches gives the losses, images and generator gradients of the separate passes, in
// float64 to rounding, on a batch of 2 with lambdas that differ between the directions (so that
// a direction that took the other's weights, or an identity loss against the wrong image, shows).
func TestFusedIdentityMatchesSeparate(t *testing.T) {
	o := DefaultOptions()
	o.NGF, o.NDF, o.Blocks, o.DLayers = 4, 4, 2, 2
	o.LoadSize, o.CropSize = 24, 24
	o.LambdaA, o.LambdaB, o.LambdaIdentity = 10, 7, 0.3
	rng := tensor.NewRNG(3)
	realA := autograd.Constant(tensor.Uniform(rng, tensor.Float64, -1, 1, 2, 3, 24, 24))
	realB := autograd.Constant(tensor.Uniform(rng, tensor.Float64, -1, 1, 2, 3, 24, 24))
	type result struct {
		losses Losses
		v      Visuals
		grads  map[string]*tensor.Tensor
	}
	run := func(fuse bool) result {
		fuseIdentity = &fuse
		defer func() { fuseIdentity = nil }()
		tr, err := NewTrainer(o, tensor.CPU) // the same seed: the same weights
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range tr.namedNetworks() {
			nn.Cast(n.module, tensor.Float64)
		}
		var r result
		var ok bool
		if r.v, ok = tr.generatorBackward(realA, realB, &r.losses); !ok {
			t.Fatalf("fused %v: non-finite losses %v", fuse, r.losses)
		}
		r.grads = map[string]*tensor.Tensor{}
		for _, g := range []struct {
			name string
			m    nn.Module
		}{{"G_A", tr.GA}, {"G_B", tr.GB}} {
			for _, np := range g.m.NamedParameters() {
				r.grads[g.name+"."+np.Name] = np.Param.Grad
			}
		}
		return r
	}
	separate, fused := run(false), run(true)
	for i, name := range LossNames {
		if i%4 == 0 {
			continue // the discriminators' losses are not the generator step's
		}
		if d := math.Abs(fused.losses[i] - separate.losses[i]); d > 1e-12*math.Abs(separate.losses[i]) {
			t.Errorf("%s: fused %.17g, separate %.17g", name, fused.losses[i], separate.losses[i])
		}
	}
	for i := range separate.v {
		compareClose(t, "visual "+strconv.Itoa(i), fused.v[i], separate.v[i], 1e-12)
	}
	for name, want := range separate.grads {
		if want == nil || fused.grads[name] == nil {
			t.Fatalf("%s: no gradient (fused %v, separate %v)", name, fused.grads[name] != nil, want != nil)
		}
		compareClose(t, "gradient of "+name, fused.grads[name], want, 1e-12)
	}
}
