package cyclegan

import (
	"bytes"
	"image"
	"sync"
	"testing"

	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// TestTranslateConcurrentlyWithFrozenGenerator: two goroutines translate with one frozen
// generator at once, each several times, and every output equals the one a lone call gives.
// Under go test -race it fails if Translate writes anything in a frozen generator (it used to
// switch the parameters' gradients off and back on around every call).
func TestTranslateConcurrentlyWithFrozenGenerator(t *testing.T) {
	g := NewResnetGenerator(tensor.NewRNG(5), 4, 1)
	FreezeForTranslation(g)
	inputs := []*image.RGBA{stripedImage(24, 16, 1), stripedImage(20, 28, 2)}
	want := make([]*image.RGBA, len(inputs))
	for i, img := range inputs {
		want[i] = Translate(g, img)
	}
	const rounds = 3
	var wg sync.WaitGroup
	got := make([][]*image.RGBA, len(inputs))
	for i, img := range inputs {
		wg.Go(func() {
			for range rounds {
				got[i] = append(got[i], Translate(g, img))
			}
		})
	}
	wg.Wait()
	for i := range inputs {
		for r, out := range got[i] {
			if !bytes.Equal(out.Pix, want[i].Pix) {
				t.Errorf("input %d, round %d: the concurrent translation differs from the lone one", i, r)
			}
		}
	}
	for _, p := range nn.Parameters(g) {
		if p.RequiresGrad() {
			t.Fatal("a frozen generator's parameter requires a gradient after Translate")
		}
	}
}

// TestTranslateRestoresGradients: an unfrozen generator (one being trained) gets its gradients
// back after Translate, which switched them off only while it ran.
func TestTranslateRestoresGradients(t *testing.T) {
	g := NewResnetGenerator(tensor.NewRNG(6), 4, 1)
	Translate(g, stripedImage(8, 8, 3))
	for _, np := range g.NamedParameters() {
		if !np.Param.RequiresGrad() {
			t.Fatalf("%s no longer requires a gradient after Translate", np.Name)
		}
	}
}

// stripedImage returns a w x h image of diagonal colour stripes that depend on seed.
func stripedImage(w, h int, seed uint8) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7) + seed*31
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}
