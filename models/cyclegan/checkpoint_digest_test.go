package cyclegan

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

// flipBit flips the lowest bit of the first byte of tensor name's data in the safetensors file
// at path: in a little-endian float32, the last bit of the mantissa, so the value stays finite
// and only a checksum can tell.
func flipBit(t *testing.T, path, name string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(data[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	var entry struct {
		Offsets [2]uint64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(header[name], &entry); err != nil {
		t.Fatalf("tensor %s: %v", name, err)
	}
	data[8+n+entry.Offsets[0]] ^= 1
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointChecksumNamesTheDamagedTensor: a bit flipped in a tensor's data (a finite
// value still, which every other check passes) is refused by LoadTrainer and by the
// LoadGenerator that reads that tensor, with an error that names it; the other generator, whose
// tensors are intact, still loads, and SkipChecksum loads the damaged file.
func TestCheckpointChecksumNamesTheDamagedTensor(t *testing.T) {
	for _, c := range []struct {
		tensor          string
		damaged, intact Direction
	}{{"G_A.model.1.weight", AtoB, BtoA}, {"G_B.model.18.bias", BtoA, AtoB}} {
		path := savedTiny(t)
		flipBit(t, path, c.tensor)
		_, err := LoadTrainer(path, tensor.CPU)
		if err == nil || !strings.Contains(err.Error(), c.tensor) || !strings.Contains(err.Error(), "SHA-256") {
			t.Errorf("LoadTrainer with a bit flipped in %s: %v, want an error naming it and its SHA-256", c.tensor, err)
		}
		if _, err := LoadGenerator(path, c.damaged, tensor.CPU); err == nil || !strings.Contains(err.Error(), c.tensor) {
			t.Errorf("LoadGenerator %s with a bit flipped in %s: %v, want an error naming it", c.damaged, c.tensor, err)
		}
		if _, err := LoadGenerator(path, c.intact, tensor.CPU); err != nil {
			t.Errorf("LoadGenerator %s, whose tensors are intact: %v", c.intact, err)
		}
		skip := CheckpointReader{SkipChecksum: true}
		if _, err := skip.LoadTrainer(path, tensor.CPU); err != nil {
			t.Errorf("LoadTrainer with SkipChecksum: %v", err)
		}
		if _, err := skip.LoadGenerator(path, c.damaged, tensor.CPU); err != nil {
			t.Errorf("LoadGenerator with SkipChecksum: %v", err)
		}
	}
}

// TestCheckpointWithoutChecksumLoads: a checkpoint written before the digests existed (no
// "sha256" metadata) still loads, unchecked.
func TestCheckpointWithoutChecksumLoads(t *testing.T) {
	old := rewrite(t, savedTiny(t), func(tensors []safetensors.Tensor, _ map[string]string) []safetensors.Tensor { return tensors })
	if _, err := LoadTrainer(old, tensor.CPU); err != nil {
		t.Errorf("LoadTrainer of a checkpoint without digests: %v", err)
	}
	if _, err := LoadGenerator(old, AtoB, tensor.CPU); err != nil {
		t.Errorf("LoadGenerator of a checkpoint without digests: %v", err)
	}
}
