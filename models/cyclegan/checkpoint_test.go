package cyclegan

import (
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// TestLoadGenerator reads each direction's generator from a trainer checkpoint, and a generator
// from a bare state_dict file (as PyTorch's safetensors would write it), inferring its size.
func TestLoadGenerator(t *testing.T) {
	o := tinyOptions(t.TempDir())
	o.NGF, o.Blocks = 4, 3
	tr, err := NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "latest.safetensors")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[Direction]*ResnetGenerator{AtoB: tr.GA, BtoA: tr.GB} {
		g, err := LoadGenerator(path, d, tensor.CPU)
		if err != nil {
			t.Fatal(err)
		}
		requireSameParameters(t, string(d), want, g)
	}
	bare := filepath.Join(dir, "G_B.safetensors")
	if err := nn.SaveFile(bare, tr.GB); err != nil {
		t.Fatal(err)
	}
	g, err := LoadGenerator(bare, AtoB, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	requireSameParameters(t, "bare state_dict", tr.GB, g)
	if _, err := LoadTrainer(bare, tensor.CPU); err == nil || !strings.Contains(err.Error(), "not a zebra CycleGAN checkpoint") {
		t.Errorf("LoadTrainer of a bare state_dict: %v", err)
	}
	if _, err := LoadTrainer(filepath.Join(dir, "missing.safetensors"), tensor.CPU); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("LoadTrainer of a missing file: %v", err)
	}
}

func requireSameParameters(t *testing.T, what string, want, got nn.Module) {
	t.Helper()
	w, g := want.NamedParameters(), got.NamedParameters()
	if len(w) != len(g) {
		t.Fatalf("%s: %d parameters, want %d", what, len(g), len(w))
	}
	for i := range w {
		if w[i].Name != g[i].Name {
			t.Fatalf("%s: parameter %d is %s, want %s", what, i, g[i].Name, w[i].Name)
		}
		requireBitwiseEqual(t, what+" "+w[i].Name, [][]float32{w[i].Param.Value.Float32s()}, [][]float32{g[i].Param.Value.Float32s()})
	}
}

// TestTranslateAnySize: odd sizes, and sizes below the generator's minimum, come back at their
// own size.
func TestTranslateAnySize(t *testing.T) {
	g := NewResnetGenerator(tensor.NewRNG(3), 4, 1)
	for _, size := range [][2]int{{37, 29}, {13, 5}, {1, 1}, {16, 8}} {
		img := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 7)
		}
		out := Translate(g, img)
		if b := out.Bounds(); b.Dx() != size[0] || b.Dy() != size[1] {
			t.Errorf("%dx%d image translated to %dx%d", size[0], size[1], b.Dx(), b.Dy())
		}
	}
}
