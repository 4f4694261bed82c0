package cyclegan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

// savedTiny saves an untrained tiny trainer and returns the checkpoint's path.
func savedTiny(t testing.TB) string {
	t.Helper()
	o := tinyOptions(t.TempDir())
	o.NGF, o.NDF, o.Blocks = 2, 2, 1
	tr, err := NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "latest.safetensors")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// rewrite writes a copy of the checkpoint at src with its tensors and metadata edited.
func rewrite(t *testing.T, src string, edit func(tensors []safetensors.Tensor, meta map[string]string) []safetensors.Tensor) string {
	t.Helper()
	f, err := safetensors.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// A crafted file carries no checksum, like a checkpoint written before them: the checks
	// under test, not the digests, must catch it.
	delete(f.Metadata, digestKey)
	tensors := edit(f.Tensors, f.Metadata)
	dst := filepath.Join(t.TempDir(), "crafted.safetensors")
	if err := safetensors.WriteFile(dst, tensors, f.Metadata); err != nil {
		t.Fatal(err)
	}
	return dst
}

// editOptions changes one option in the checkpoint's JSON.
func editOptions(t testing.TB, key string, value any) func([]safetensors.Tensor, map[string]string) []safetensors.Tensor {
	return func(tensors []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
		var o map[string]any
		if err := json.Unmarshal([]byte(meta["options"]), &o); err != nil {
			t.Fatal(err)
		}
		o[key] = value
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		meta["options"] = string(data)
		return tensors
	}
}

// noPanic runs load and turns a panic into a test error.
func noPanic(t *testing.T, what string, load func() error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: panic: %v", what, r)
		}
	}()
	if err := load(); err == nil {
		t.Errorf("%s: loaded without an error", what)
	} else {
		t.Logf("%s: %v", what, err)
	}
}

// TestCraftedCheckpoints: corrupt or crafted checkpoints are errors from LoadTrainer and
// LoadGenerator, never panics there or later, and never huge allocations.
func TestCraftedCheckpoints(t *testing.T) {
	good := savedTiny(t)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.safetensors")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	pool := func(shape ...int) func([]safetensors.Tensor, map[string]string) []safetensors.Tensor {
		return func(tensors []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
			n := 1
			for _, d := range shape {
				n *= d
			}
			return append(tensors, safetensors.FromFloat32("pool_fake_A.0", shape, make([]float32, n)))
		}
	}
	checkpoints := map[string]string{
		"truncated":        truncated,
		"n_blocks -1":      rewrite(t, good, editOptions(t, "n_blocks", -1)),
		"ngf 2^20":         rewrite(t, good, editOptions(t, "ngf", 1<<20)),
		"n_blocks 10^6":    rewrite(t, good, editOptions(t, "n_blocks", 1000000)),
		"pool image 1x1x1": rewrite(t, good, pool(1, 1, 1, 1)),
		"pool image 16x16": rewrite(t, good, pool(1, 3, 16, 16)),
		"pool_size 10^9":   rewrite(t, good, editOptions(t, "pool_size", 1000000000)),
		"n_layers_D 10^9":  rewrite(t, good, editOptions(t, "n_layers_D", 1000000000)),
		"crop_size 2^30":   rewrite(t, good, editOptions(t, "crop_size", 1<<30)),
		"generator bias gone": rewrite(t, good, func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
			return dropTensor(ts, "G_A.model.1.bias")
		}),
	}
	for name, path := range checkpoints {
		noPanic(t, "LoadTrainer "+name, func() error { _, err := LoadTrainer(path, tensor.CPU); return err })
	}
	for _, name := range []string{"truncated", "n_blocks -1", "ngf 2^20", "n_blocks 10^6", "generator bias gone"} {
		noPanic(t, "LoadGenerator "+name, func() error { _, err := LoadGenerator(checkpoints[name], AtoB, tensor.CPU); return err })
	}

	// Bare state_dicts whose shapes give no usable generator.
	for _, shape := range [][]int{{0, 3, 7, 7}, {1 << 16, 3, 1, 1}, {4, 3, 7}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		path := filepath.Join(t.TempDir(), "bare.safetensors")
		if err := safetensors.WriteFile(path, []safetensors.Tensor{safetensors.FromFloat32("model.1.weight", shape, make([]float32, n))}, nil); err != nil {
			t.Fatal(err)
		}
		noPanic(t, fmt.Sprintf("LoadGenerator bare model.1.weight %v", shape), func() error { _, err := LoadGenerator(path, AtoB, tensor.CPU); return err })
	}
}

func dropTensor(tensors []safetensors.Tensor, name string) []safetensors.Tensor {
	var out []safetensors.Tensor
	for _, st := range tensors {
		if st.Name != name {
			out = append(out, st)
		}
	}
	return out
}

// TestLoadGeneratorReadsOnlyItsTensors: LoadGenerator converts only the tensors of the generator
// it returns (a 256x256 checkpoint holds ~420 MB, the generator 45 MB), so a tensor elsewhere in
// the file that it could not convert does not concern it.
func TestLoadGeneratorReadsOnlyItsTensors(t *testing.T) {
	path := rewrite(t, savedTiny(t), func(ts []safetensors.Tensor, _ map[string]string) []safetensors.Tensor {
		return append(ts, safetensors.FromInt64("D_A.not_a_float", []int{2}, []int64{1, 2}))
	})
	for _, d := range []Direction{AtoB, BtoA} {
		if _, err := LoadGenerator(path, d, tensor.CPU); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := LoadTrainer(path, tensor.CPU); err == nil {
		t.Error("LoadTrainer accepted an integer tensor among the discriminator's")
	}
}
