package cyclegan

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

// TestHugeLearningRateStopsAtTheStep: a learning rate of 1e39 turns the weights to infinities in
// the first step while its losses are still finite. The step reports the tensor, and the
// trainer's state cannot be saved over a good checkpoint.
func TestHugeLearningRateStopsAtTheStep(t *testing.T) {
	o := tinyOptions(tinyData(t, 1, 1, 36, 36))
	o.LR = 1e39
	tr, data := newTiny(t, o)
	good := filepath.Join(t.TempDir(), "latest.safetensors")
	if err := tr.Save(good); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Train(context.Background(), data, 1, nil)
	var nf *NonFiniteStateError
	if !errors.As(err, &nf) || !strings.HasPrefix(nf.Tensor, "G_") {
		t.Fatalf("a step at lr 1e39 returned %v, want a *NonFiniteStateError naming a generator tensor", err)
	}
	if err := tr.Save(good); err == nil || !strings.Contains(err.Error(), "G_") {
		t.Errorf("saving the non-finite state: %v, want an error naming the tensor", err)
	}
	if after, err := os.ReadFile(good); err != nil || string(after) != string(before) {
		t.Errorf("the good checkpoint changed (%v)", err)
	}
}

// TestLoadRejectsNonFinite: a NaN or an infinity anywhere in a checkpoint (a weight, an Adam
// moment, a pooled image), a negative exp_avg_sq or a pooled value outside the Tanh range is an
// error naming the tensor, from LoadTrainer and, for the generator's tensors, LoadGenerator.
func TestLoadRejectsNonFinite(t *testing.T) {
	o := tinyOptions(tinyData(t, 2, 2, 36, 36))
	o.NGF, o.NDF, o.Blocks = 2, 2, 1
	tr, _ := trainTiny(t, o, 1)
	trained := filepath.Join(t.TempDir(), "trained.safetensors")
	if err := tr.Save(trained); err != nil {
		t.Fatal(err)
	}
	set := func(name string, v float32) func([]safetensors.Tensor, map[string]string) []safetensors.Tensor {
		return func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			for _, st := range ts {
				if st.Name == name { // float32 elements, little-endian: overwrite the last one
					binary.LittleEndian.PutUint32(st.Data[len(st.Data)-4:], math.Float32bits(v))
					return ts
				}
			}
			t.Fatalf("no tensor %s", name)
			return nil
		}
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		tensor    string
		value     float32
		generator bool // LoadGenerator reads it too
	}{
		{"G_A.model.1.weight", nan, true},
		{"G_A.model.4.bias", inf, true},
		{"D_B.model.0.weight", -inf, false},
		{"optimizer_G.state.0.exp_avg", nan, false},
		{"optimizer_D.state.1.exp_avg_sq", -1, false},
		{"pool_fake_A.0", nan, false},
		{"pool_fake_B.0", 1.5, false},
	} {
		path := rewrite(t, trained, set(c.tensor, c.value))
		if _, err := LoadTrainer(path, tensor.CPU); err == nil || !strings.Contains(err.Error(), c.tensor) {
			t.Errorf("LoadTrainer with %g in %s: %v, want an error naming the tensor", c.value, c.tensor, err)
		}
		if c.generator {
			if _, err := LoadGenerator(path, AtoB, tensor.CPU); err == nil || !strings.Contains(err.Error(), c.tensor) {
				t.Errorf("LoadGenerator with %g in %s: %v, want an error naming the tensor", c.value, c.tensor, err)
			}
		}
	}
	if _, err := LoadTrainer(trained, tensor.CPU); err != nil {
		t.Errorf("the untouched checkpoint: %v", err)
	}
}

// TestCheckFiniteNamesTheTensor: after a step, checkFinite finds nothing; with an infinity in an
// Adam moment it names the moment, and with a NaN in a generator weight too, the weight (the
// networks' tensors come first). The discriminators' check is not disturbed by the generators'.
func TestCheckFiniteNamesTheTensor(t *testing.T) {
	o := tinyOptions(tinyData(t, 1, 1, 36, 36))
	o.NGF, o.NDF, o.Blocks = 2, 2, 1
	tr, _ := trainTiny(t, o, 1)
	checkG := func() error { return tr.checkFinite("optimizer_G", tr.OptG, "G_A", "G_B") }
	if err := checkG(); err != nil {
		t.Fatalf("after a normal step: %v", err)
	}
	poison := func(x *tensor.Tensor, v float32) {
		data := x.Float32s()
		data[len(data)-1] = v
		tensor.CPU.Upload(x.Storage(), data)
	}
	state, _ := tr.OptG.State()
	poison(state["state.3.exp_avg"], float32(math.Inf(-1)))
	var nf *NonFiniteStateError
	if err := checkG(); !errors.As(err, &nf) || nf.Tensor != "optimizer_G.state.3.exp_avg" {
		t.Errorf("with -Inf in optimizer_G.state.3.exp_avg: %v", err)
	}
	weight := tr.GB.NamedParameters()[1]
	poison(weight.Param.Value, float32(math.NaN()))
	if err := checkG(); !errors.As(err, &nf) || nf.Tensor != "G_B."+weight.Name {
		t.Errorf("with NaN in G_B.%s too: %v", weight.Name, err)
	}
	if err := tr.checkFinite("optimizer_D", tr.OptD, "D_A", "D_B"); err != nil {
		t.Errorf("the discriminators' state: %v", err)
	}
}

// firstNonFinite finds the first NaN or infinity of either sign, in float32 and float64, and
// passes every finite value, the largest and the smallest included.
func TestFirstNonFinite(t *testing.T) {
	finite := []float64{0, math.Copysign(0, -1), 1, -2.5, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for at := range len(finite) + 1 {
			xs := slices.Insert(slices.Clone(finite), at, bad)
			xs = append(xs, math.NaN()) // a later one must not win
			if i, v := firstNonFinite(xs); i != at || v != bad && !(math.IsNaN(v) && math.IsNaN(bad)) {
				t.Errorf("float64 %v: (%d, %g), want (%d, %g)", xs, i, v, at, bad)
			}
			xs32 := make([]float32, len(xs))
			for j, x := range xs {
				xs32[j] = float32(x)
			}
			if i, _ := firstNonFinite(xs32); i != at {
				t.Errorf("float32 %v: index %d, want %d", xs32, i, at)
			}
		}
	}
	if i, _ := firstNonFinite(finite); i != -1 {
		t.Errorf("finite values: index %d, want -1", i)
	}
	if i, _ := firstNonFinite([]float64{math.MaxFloat64, -math.MaxFloat64}); i != -1 {
		t.Errorf("±MaxFloat64: index %d, want -1", i)
	}
}
