package cyclegan

import (
	"encoding/binary"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensorfile"
)

// The .pth fixtures: internal/torchfile's generator state dicts (scripts/golden/
// torchfile_fixtures.py) and, in testdata/pth, what the official code makes of them
// (scripts/golden/pth_translate.py).
var (
	torchfileTestdata = filepath.Join("..", "..", "internal", "torchfile", "testdata")
	pthTestdata       = filepath.Join("testdata", "pth")
)

// TestTranslatePth: a bare official generator state dict, in torch.save's zip and legacy formats
// and with the InstanceNorm buffers of old checkpoints, translates an image to the bytes that the
// official test code (load_networks, then tensor2im, which truncates to uint8) writes.
func TestTranslatePth(t *testing.T) {
	input := loadRGB(t, filepath.Join(pthTestdata, "input.png"))
	want := loadRGB(t, filepath.Join(pthTestdata, "generator_expected.png"))
	wantY := readFloat32s(t, filepath.Join(pthTestdata, "generator_expected.f32"))
	for _, path := range []string{
		filepath.Join(torchfileTestdata, "generator_zip.pth"),
		filepath.Join(torchfileTestdata, "generator_legacy.pth"),
		filepath.Join(pthTestdata, "generator_buffers_legacy.pth"),
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			g, err := LoadGenerator(path, AtoB, tensor.CPU)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Model.Layers) != 10+2+7+2 { // ngf 4 with 2 blocks: the fixture's size, read from its shapes
				t.Fatalf("%d layers, want the 21 of 2 blocks", len(g.Model.Layers))
			}
			y := g.Forward(autograd.Constant(ImageTensor(input))).Value.Float32s()
			if len(y) != len(wantY) {
				t.Fatalf("output of %d values, want %d", len(y), len(wantY))
			}
			for i := range y {
				if d := math.Abs(float64(y[i] - wantY[i])); d > 1e-5 {
					t.Fatalf("output %d is %g, PyTorch %g", i, y[i], wantY[i])
				}
			}
			got := Translate(g, input)
			b := want.Bounds()
			h, w := b.Dy(), b.Dx()
			nearEdge := 0
			for c := range 3 {
				for row := range h {
					for col := range w {
						gv, wv := got.Pix[row*got.Stride+4*col+c], want.Pix[row*want.Stride+4*col+c]
						if gv == wv {
							continue
						}
						// tensor2im truncates (y+1)/2*255: where PyTorch's float lies within
						// float32 rounding of an integer, a last-bit difference flips the byte.
						v := (float64(wantY[(c*h+row)*w+col]) + 1) / 2 * 255
						if math.Abs(v-math.Round(v)) < 1e-3 && int(gv)-int(wv) <= 1 && int(wv)-int(gv) <= 1 {
							nearEdge++
							continue
						}
						t.Errorf("pixel (%d, %d) channel %d: %d, official %d (PyTorch's value %.6f)", col, row, c, gv, wv, v)
					}
				}
			}
			if nearEdge > 0 {
				t.Logf("%d bytes differ by one where PyTorch's value is within 0.001 of a truncation boundary", nearEdge)
			}
		})
	}
}

// TestLoadGeneratorPthStrict: keys that are neither the generator's nor the InstanceNorm
// buffers the official loader drops are reported, all at once, naming the file.
// instancenorm_legacy.pth holds a conv at model.1 ([4, 3, 3, 3]: ngf 4, but the wrong kernel)
// and an InstanceNorm's buffers at model.2, which is where the generator's first norm is.
func TestLoadGeneratorPthStrict(t *testing.T) {
	path := filepath.Join(torchfileTestdata, "instancenorm_legacy.pth")
	_, err := LoadGenerator(path, AtoB, tensor.CPU)
	var e *nn.StateDictError
	if !errors.As(err, &e) || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadGenerator(%s): %v; want a *nn.StateDictError naming the file", path, err)
	}
	if len(e.Mismatched) != 1 || e.Mismatched[0].Key != "model.1.weight" || len(e.Unexpected) != 0 || len(e.Missing) != 10 {
		t.Errorf("got missing %q, unexpected %q, mismatched %v; want 10 missing, model.1.weight mismatched and the buffers dropped", e.Missing, e.Unexpected, e.Mismatched)
	}

	// A buffer where no InstanceNorm is (model.3 is a ReLU) is unexpected, and a missing weight
	// is missing.
	f, err := tensorfile.Open(filepath.Join(torchfileTestdata, "generator_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	sd := map[string]*tensor.Tensor{"model.3.running_mean": tensor.FromFloat32(make([]float32, 4), 4)}
	for _, name := range f.Names() {
		if name != "model.19.bias" {
			if sd[name], err = f.Tensor(name); err != nil {
				t.Fatal(err)
			}
		}
	}
	crafted := filepath.Join(t.TempDir(), "crafted.safetensors")
	if err := tensorfile.Write(crafted, sd, nil); err != nil {
		t.Fatal(err)
	}
	_, err = LoadGenerator(crafted, AtoB, tensor.CPU)
	if !errors.As(err, &e) || !strings.Contains(err.Error(), crafted) ||
		strings.Join(e.Missing, ",") != "model.19.bias" || strings.Join(e.Unexpected, ",") != "model.3.running_mean" {
		t.Errorf("LoadGenerator of a state dict with a stray buffer and a missing bias: %v", err)
	}
}

// TestLoadDiscriminatorPth: an official NLayerDiscriminator state dict with old InstanceNorm
// buffers (ndf 2, 3 layers, legacy format) scores an image as PyTorch does.
func TestLoadDiscriminatorPth(t *testing.T) {
	d, err := LoadDiscriminator(filepath.Join(pthTestdata, "discriminator_legacy.pth"), AtoB, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	x := ImageTensor(loadRGB(t, filepath.Join(pthTestdata, "discriminator_input.png")))
	got := d.Forward(autograd.Constant(x)).Value
	want := readFloat32s(t, filepath.Join(pthTestdata, "discriminator_expected.f32"))
	if g := got.Float32s(); len(g) != len(want) || got.Dim(2) != 2 || got.Dim(3) != 2 {
		t.Fatalf("scores of shape %v, want [1 1 2 2]", got.Shape())
	}
	for i, g := range got.Float32s() {
		if math.Abs(float64(g-want[i])) > 1e-5 {
			t.Errorf("score %d is %g, PyTorch %g", i, g, want[i])
		}
	}
	// A generator file is no discriminator, and says why.
	if _, err := LoadDiscriminator(filepath.Join(torchfileTestdata, "generator_zip.pth"), AtoB, tensor.CPU); err == nil || !strings.Contains(err.Error(), "no model.0.weight") {
		t.Errorf("LoadDiscriminator of a generator: %v", err)
	}
}

// TestLoadDiscriminatorCheckpoint: D_A and D_B come back from a zebra checkpoint.
func TestLoadDiscriminatorCheckpoint(t *testing.T) {
	tr, err := NewTrainer(tinyOptions(t.TempDir()), tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "latest.safetensors")
	if err := tr.Save(path); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[Direction]*NLayerDiscriminator{AtoB: tr.DA, BtoA: tr.DB} {
		got, err := LoadDiscriminator(path, d, tensor.CPU)
		if err != nil {
			t.Fatal(err)
		}
		requireSameParameters(t, string(d), want, got)
	}
}

func loadRGB(t *testing.T, path string) *image.RGBA {
	t.Helper()
	img, err := imageio.LoadRGB(path)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func readFloat32s(t *testing.T, path string) []float32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}
