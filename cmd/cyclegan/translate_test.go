package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// TestTranslateReportsAFailedWrite: the PNGs of an image are written while the next one is
// translated, yet a write that fails still fails the command, naming the file, and no later
// image is written after it.
func TestTranslateReportsAFailedWrite(t *testing.T) {
	dir := t.TempDir()
	checkpoint := filepath.Join(dir, "G.safetensors")
	if err := nn.SaveFile(checkpoint, cyclegan.NewResnetGenerator(tensor.NewRNG(1), 2, 1)); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in")
	for _, name := range []string{"a", "b", "c"} {
		writePNG(t, filepath.Join(in, name+".png"), 12, 8, false)
	}
	out := filepath.Join(dir, "out")
	// A folder where a's output belongs: renaming the written file onto it fails.
	if err := os.MkdirAll(filepath.Join(out, "a_fake.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := runTranslate([]string{"-checkpoint", checkpoint, "-out", out, in})
	if err == nil || !strings.Contains(err.Error(), "a_fake.png") {
		t.Fatalf("translate with an unwritable output: %v, want an error naming a_fake.png", err)
	}
	for _, name := range []string{"b_real.png", "b_fake.png", "c_real.png", "c_fake.png", "index.html"} {
		if _, err := os.Stat(filepath.Join(out, name)); err == nil {
			t.Errorf("%s was written after a_fake.png failed", name)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "a_real.png")); err != nil {
		t.Errorf("a_real.png, written before the failure: %v", err)
	}
}
