package main

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/imageio"
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

// tinyGenerator saves a tiny generator in dir and returns its path.
func tinyGenerator(t *testing.T, dir string) string {
	t.Helper()
	checkpoint := filepath.Join(dir, "G.safetensors")
	if err := nn.SaveFile(checkpoint, cyclegan.NewResnetGenerator(tensor.NewRNG(1), 2, 1)); err != nil {
		t.Fatal(err)
	}
	return checkpoint
}

// TestTranslateNeverOverwritesAnInput: with -out set to the input folder, an input whose name
// is another input's output name (a_real.png beside a.png) keeps its bytes, and every input
// gets its own pair of outputs.
func TestTranslateNeverOverwritesAnInput(t *testing.T) {
	dir := t.TempDir()
	checkpoint := tinyGenerator(t, dir)
	in := filepath.Join(dir, "in")
	writePNG(t, filepath.Join(in, "a.png"), 12, 8, false)
	writePNG(t, filepath.Join(in, "a_real.png"), 16, 8, true)
	before, err := os.ReadFile(filepath.Join(in, "a_real.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := runTranslate([]string{"-checkpoint", checkpoint, "-out", in, in}); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(in, "a_real.png"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the input a_real.png was overwritten by a.png's copy")
	}
	checkDistinctOutputs(t, in, 2)
}

// TestTranslateGivesEveryInputItsOwnName: x/a.png, y/a.png and z/a_2.png used to get the
// names a, a_2 and a_2, so the third replaced the second while translate said "wrote 3".
func TestTranslateGivesEveryInputItsOwnName(t *testing.T) {
	dir := t.TempDir()
	checkpoint := tinyGenerator(t, dir)
	inputs := []string{filepath.Join(dir, "x", "a.png"), filepath.Join(dir, "y", "a.png"), filepath.Join(dir, "z", "a_2.png")}
	for i, p := range inputs {
		writePNG(t, p, 8+4*i, 8, false) // different sizes tell the outputs apart
	}
	out := filepath.Join(dir, "out")
	if err := runTranslate(append([]string{"-checkpoint", checkpoint, "-out", out}, inputs...)); err != nil {
		t.Fatal(err)
	}
	checkDistinctOutputs(t, out, len(inputs))
}

// checkDistinctOutputs reads index.html in out and checks that it lists n rows whose files are
// all different and all exist.
func checkDistinctOutputs(t *testing.T, out string, n int) {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`src="([^"]+)"`).FindAllStringSubmatch(string(index), -1) {
		if names[m[1]] {
			t.Errorf("index.html lists %s twice", m[1])
		}
		names[m[1]] = true
		if _, err := os.Stat(filepath.Join(out, m[1])); err != nil {
			t.Error(err)
		}
	}
	if len(names) != 2*n {
		t.Errorf("index.html lists %d distinct files, want %d: %v", len(names), 2*n, names)
	}
}

// TestTranslateFailureLeavesNoEmptyFolder: a translation that fails at its first image (not an
// image at all) removes the -out folder it created, parents included, and writes nothing.
func TestTranslateFailureLeavesNoEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	checkpoint := tinyGenerator(t, dir)
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "translated", "run")
	if err := runTranslate([]string{"-checkpoint", checkpoint, "-out", out, bad}); err == nil {
		t.Fatal("translating a file that is not an image succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "translated")); !os.IsNotExist(err) {
		t.Errorf("the failed translation left its output folder behind (%v)", err)
	}
}

// TestTranslateDirectionInAnyCase: -direction atob, BTOA and BtoA are all accepted.
func TestTranslateDirectionInAnyCase(t *testing.T) {
	for _, s := range []string{"AtoB", "atob", "BTOA", "btoA"} {
		if _, ok := parseDirection(s); !ok {
			t.Errorf("-direction %s was refused", s)
		}
	}
	if d, _ := parseDirection("btoa"); d != cyclegan.BtoA {
		t.Errorf("btoa is %q, want BtoA", d)
	}
	if _, ok := parseDirection("AtoC"); ok {
		t.Error("-direction AtoC was accepted")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "a.png")
	writePNG(t, in, 8, 8, false)
	if err := runTranslate([]string{"-checkpoint", tinyGenerator(t, dir), "-direction", "atob", "-out", filepath.Join(dir, "out"), in}); err != nil {
		t.Errorf("translate -direction atob: %v", err)
	}
}

// TestTranslateResize: -resize scales each image so that its shorter side has the given length,
// keeping the aspect ratio, and both saved images (input and output) have that size.
func TestTranslateResize(t *testing.T) {
	dir := t.TempDir()
	checkpoint := tinyGenerator(t, dir)
	wide, tall := filepath.Join(dir, "wide.png"), filepath.Join(dir, "tall.png")
	writePNG(t, wide, 30, 20, false)
	writePNG(t, tall, 8, 12, false)
	out := filepath.Join(dir, "out")
	if err := runTranslate([]string{"-checkpoint", checkpoint, "-resize", "16", "-out", out, wide, tall}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]image.Point{
		"wide_real.png": {24, 16}, "wide_fake.png": {24, 16}, "tall_real.png": {16, 24}, "tall_fake.png": {16, 24},
	} {
		img, err := imageio.Load(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != want {
			t.Errorf("%s is %v, want %v", name, got, want)
		}
	}
	var usage *cli.UsageError
	if err := runTranslate([]string{"-checkpoint", checkpoint, "-resize", "-1", "-out", out, wide}); !errors.As(err, &usage) {
		t.Errorf("-resize -1: %v, want a usage error", err)
	}
}
