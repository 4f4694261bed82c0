package cyclegan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

// FuzzLoadCheckpoint gives arbitrary file contents to LoadGenerator (both directions) and
// LoadTrainer, under a 64 MiB memory budget: each returns an error or a network, and never
// panics or allocates beyond the budget. The seeds are a tiny trainer checkpoint, the same with
// its checksum dropped (so that mutations reach the checks behind it), its metadata alone asking
// for ngf 512 with 64 blocks (issue 11's 1.4 KB out-of-memory crash), and the corpus in
// testdata/fuzz/FuzzLoadCheckpoint (a bare one-filter generator), all run in every go test.
//
//	go test -fuzz=FuzzLoadCheckpoint -fuzztime=60s ./models/cyclegan
func FuzzLoadCheckpoint(f *testing.F) {
	good := savedTiny(f)
	data, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	file, err := safetensors.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	delete(file.Metadata, digestKey)
	f.Add(encodeCheckpoint(f, file.Tensors, file.Metadata))
	editOptions(f, "ngf", 512)(nil, file.Metadata)
	editOptions(f, "n_blocks", 64)(nil, file.Metadata)
	f.Add(encodeCheckpoint(f, nil, file.Metadata))

	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "checkpoint.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := CheckpointReader{MaxMemory: 64 << 20}
		for _, d := range []Direction{AtoB, BtoA} {
			if g, err := r.LoadGenerator(path, d, tensor.CPU); err == nil && len(g.Parameters()) == 0 {
				t.Fatalf("LoadGenerator %s: a generator without parameters", d)
			}
		}
		if tr, err := r.LoadTrainer(path, tensor.CPU); err == nil && tr.GA == nil {
			t.Fatal("LoadTrainer: a trainer without G_A")
		}
	})
}

// encodeCheckpoint returns the bytes of a safetensors file of tensors and meta.
func encodeCheckpoint(tb testing.TB, tensors []safetensors.Tensor, meta map[string]string) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "seed.safetensors")
	if err := safetensors.WriteFile(path, tensors, meta); err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
