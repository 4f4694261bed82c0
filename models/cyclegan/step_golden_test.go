package cyclegan

import (
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// TestStepMatchesPyTorch runs two training steps from the weights and images written by
// scripts/golden/cyclegan.py, which runs the official optimize_parameters on the same tiny
// networks, and compares the eight losses of each step and every weight after the second. The
// trainer runs in float64 here, as PyTorch did, so the whole step (losses, frozen discriminators,
// detached fakes, both Adam updates) must agree to rounding.
func TestStepMatchesPyTorch(t *testing.T) {
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
