package main

import (
	"bytes"
	"image"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/internal/imageio"

	"github.com/zebra-go/zebra/internal/repo"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestCommittedDemoSet checks the bundled files: the right count per split, 64x64, decodable
// by the loader, the grayscale zebras still single-channel, and well under 1 MB in all.
func TestCommittedDemoSet(t *testing.T) {
	demo := filepath.Join(repoRoot(t), "data", "demo", "horse2zebra")
	var total int64
	gray := 0
	for _, split := range splits {
		paths, err := imageio.ListImages(filepath.Join(demo, split))
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != len(picks[split]) {
			t.Errorf("%s holds %d images, want %d", split, len(paths), len(picks[split]))
		}
		for _, p := range paths {
			img, err := imageio.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, 64, 64) {
				t.Errorf("%s is %v, want 64x64", p, img.Bounds())
			}
			if _, ok := img.(*image.Gray); ok {
				gray++
			}
			info, _ := os.Stat(p)
			total += info.Size()
		}
	}
	if gray != 2 {
		t.Errorf("%d single-channel images in the demo set, want 2 (n02391049_226, _2361)", gray)
	}
	if total >= 1<<20 {
		t.Errorf("demo set is %d bytes, want well under 1 MB", total)
	}
	t.Logf("demo set: %d bytes", total)
}

// TestBuildReproducesCommittedFiles rebuilds the set from the full dataset into a temporary
// folder and compares it byte for byte with the committed files.
func TestBuildReproducesCommittedFiles(t *testing.T) {
	data, err := repo.Horse2Zebra()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	out := t.TempDir()
	// A stray file in a split folder must be removed by the rebuild.
	os.MkdirAll(filepath.Join(out, "trainA"), 0o755)
	os.WriteFile(filepath.Join(out, "trainA", "stray.jpg"), []byte("x"), 0o644)
	if _, err := build(data, out, 64, 90, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, split := range splits {
		entries, _ := os.ReadDir(filepath.Join(out, split))
		if len(entries) != len(picks[split]) {
			t.Errorf("%s: rebuilt %d files, want %d", split, len(entries), len(picks[split]))
		}
		for _, name := range picks[split] {
			got, err := os.ReadFile(filepath.Join(out, split, name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(repoRoot(t), "data", "demo", "horse2zebra", split, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from the committed file; rerun go run ./internal/tools/mkdemo", split, name)
			}
		}
	}
}
