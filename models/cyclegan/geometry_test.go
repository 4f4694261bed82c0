package cyclegan

import (
	"fmt"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// discriminatorScores runs a small discriminator on an s×s image and returns the side of its
// grid of scores, or an error when the network refuses the image (a convolution panics on an input
// smaller than its kernel) or gives no scores.
func discriminatorScores(dLayers, s int) (side int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	d := NewNLayerDiscriminator(tensor.NewRNG(1), 2, dLayers)
	out := d.Forward(autograd.NewVar(tensor.Zeros(tensor.Float32, 1, 3, s, s), false)).Value
	if out.Dim(2) != out.Dim(3) || out.Dim(2) < 1 {
		return 0, fmt.Errorf("scores of shape %v", out.Shape())
	}
	return out.Dim(2), nil
}

// TestDiscriminatorGeometryMatchesTheNetwork checks the size arithmetic against the network it
// describes: discriminatorOutputSize is the side of the real discriminator's output wherever it
// is positive, and where it is 0 the real discriminator refuses the image.
func TestDiscriminatorGeometryMatchesTheNetwork(t *testing.T) {
	for dLayers := 1; dLayers <= 4; dLayers++ {
		for s := 2; s <= 70; s += 3 {
			want := discriminatorOutputSize(s, dLayers)
			got, err := discriminatorScores(dLayers, s)
			switch {
			case want >= 1 && (err != nil || got != want):
				t.Errorf("%d layers, %dx%d: the network gives %d (%v), discriminatorOutputSize %d", dLayers, s, s, got, err, want)
			case want < 1 && err == nil:
				t.Errorf("%d layers, %dx%d: the network gives %dx%d scores, discriminatorOutputSize none", dLayers, s, s, got, got)
			}
		}
	}
}

// TestMinImageSize checks the documented sizes (3 layers: 24→12→6→3, then 2 and 1; 256 gives
// 30x30), that the smallest size is a multiple of 4 no smaller than the generator's least, and
// that 4 less leaves the discriminator without a score.
func TestMinImageSize(t *testing.T) {
	if got := MinImageSize(3); got != 24 {
		t.Errorf("MinImageSize(3) = %d, want 24", got)
	}
	if got := discriminatorOutputSize(256, 3); got != 30 {
		t.Errorf("256x256 with 3 layers gives %dx%d scores, want 30x30", got, got)
	}
	for dLayers := 1; dLayers <= 6; dLayers++ {
		least := MinImageSize(dLayers)
		if least%4 != 0 || least < MinTranslateSize || discriminatorOutputSize(least, dLayers) < 1 {
			t.Errorf("MinImageSize(%d) = %d: not a multiple of 4 from %d with a score", dLayers, least, MinTranslateSize)
		}
		if least-4 >= MinTranslateSize && discriminatorOutputSize(least-4, dLayers) >= 1 {
			t.Errorf("MinImageSize(%d) = %d, but %d is enough", dLayers, least, least-4)
		}
	}
	if got := MinImageSize(14); got != 0 {
		t.Errorf("MinImageSize(14) = %d, want 0: 2^14 is more than MaxImageSize %d", got, MaxImageSize)
	}
}
