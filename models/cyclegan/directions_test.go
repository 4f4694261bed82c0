package cyclegan

import (
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

// TestHoldsBothGenerators: true for a full checkpoint and for both kinds of weights-only one,
// false for a bare generator state dict, a file that is not safetensors and a missing file.
func TestHoldsBothGenerators(t *testing.T) {
	dir := t.TempDir()
	trainer, err := NewTrainer(tinyOptions(tinyData(t, 1, 1, 16, 16)), tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(dir, "full.safetensors")
	if err := trainer.Save(full); err != nil {
		t.Fatal(err)
	}
	generators := filepath.Join(dir, "generators.safetensors")
	if err := trainer.SaveWeights(generators, WeightsOptions{Networks: Generators}); err != nil {
		t.Fatal(err)
	}
	g := NewResnetGenerator(tensor.NewRNG(1), 4, 1)
	var named []safetensors.Tensor
	for _, np := range g.NamedParameters() {
		named = append(named, safetensors.FromFloat32(np.Name, np.Param.Value.Shape(), np.Param.Value.Float32s()))
	}
	bare := filepath.Join(dir, "bare.safetensors")
	if err := safetensors.WriteFile(bare, named, nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		full: true, generators: true, bare: false,
		filepath.Join(dir, "missing.safetensors"): false,
	} {
		if got := HoldsBothGenerators(path); got != want {
			t.Errorf("HoldsBothGenerators(%s) = %v, want %v", filepath.Base(path), got, want)
		}
	}
}
