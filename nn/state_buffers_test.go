package nn

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// TestStateDictHoldsBuffers: a module's buffers are in its state dict beside its parameters, and
// SaveFile then LoadFile carries them (running statistics, the batch count) into a fresh layer.
func TestStateDictHoldsBuffers(t *testing.T) {
	bn := NewBatchNorm2d(3, BatchNorm2dOptions{})
	tensor.CopyInto(bn.RunningMean, tensor.FromFloat32([]float32{1, 2, 3}, 3))
	bn.NumBatchesTracked.Fill(7)
	sd := StateDict(bn)
	for _, key := range []string{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"} {
		if sd[key] == nil {
			t.Errorf("state dict lacks %q: has %v", key, slices.Sorted(maps.Keys(sd)))
		}
	}
	path := filepath.Join(t.TempDir(), "bn.safetensors")
	if err := SaveFile(path, bn); err != nil {
		t.Fatal(err)
	}
	fresh := NewBatchNorm2d(3, BatchNorm2dOptions{})
	if err := LoadFile(path, fresh, true); err != nil {
		t.Fatal(err)
	}
	if got := fresh.RunningMean.Float32s(); !slices.Equal(got, []float32{1, 2, 3}) {
		t.Errorf("running_mean after the round trip = %v, want [1 2 3]", got)
	}
	if got := fresh.NumBatchesTracked.Item(); got != 7 {
		t.Errorf("num_batches_tracked after the round trip = %g, want 7", got)
	}
}

// TestLoadFileBuffers: a BatchNorm2d state dict saved by torch.save (scripts/golden/nn_buffers.py),
// with its int64 num_batches_tracked, loads strictly into nn.BatchNorm2d with every value.
func TestLoadFileBuffers(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "batchnorm_state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	bn := NewBatchNorm2d(3, BatchNorm2dOptions{})
	if err := LoadFile(filepath.Join("testdata", "batchnorm_state.pth"), bn, true); err != nil {
		t.Fatal(err)
	}
	sd := StateDict(bn)
	if len(sd) != len(want) {
		t.Errorf("state dict has %d keys, the file %d", len(sd), len(want))
	}
	for key, w := range want {
		got := sd[key]
		if got == nil {
			t.Errorf("no %q", key)
			continue
		}
		if !slices.Equal(got.Shape(), w.Shape) {
			t.Errorf("%s: shape %v, want %v", key, got.Shape(), w.Shape)
		}
		if g := tensor.Cast(got, tensor.Float64).Float64s(); !slices.Equal(g, w.Values) {
			t.Errorf("%s = %v, want %v", key, g, w.Values)
		}
	}
}
