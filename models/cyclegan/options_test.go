package cyclegan

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// TestCheckImageSizes: sizes the networks cannot take are errors from Check, not panics in the
// first step: a crop that is not a multiple of 4 (the generator halves it twice), or too small
// for the discriminator's last output to be at least 1x1.
func TestCheckImageSizes(t *testing.T) {
	for _, c := range []struct {
		preprocess         string
		load, crop, layers int
		ok                 bool
	}{
		{PreprocessResizeAndCrop, 286, 256, 3, true},
		{PreprocessResizeAndCrop, 34, 30, 3, false}, // not a multiple of 4
		{PreprocessResizeAndCrop, 16, 16, 3, false}, // 16 → 8 → 4 → 2 → 1 → 0
		{PreprocessResizeAndCrop, 24, 24, 3, true},  // 24 → 12 → 6 → 3 → 2 → 1
		{PreprocessResizeAndCrop, 20, 20, 3, false},
		{PreprocessCrop, 0, 30, 3, false},
		{PreprocessCrop, 0, 32, 3, true},
		{PreprocessCrop, 0, 40, 5, false},
		{PreprocessCrop, 0, 4, 1, false}, // the generator's residual blocks need 8
		{PreprocessCrop, 0, 8, 1, true},
		{PreprocessNone, 0, 0, 5, true}, // checked per image
	} {
		o := DefaultOptions()
		o.Preprocess, o.LoadSize, o.CropSize, o.DLayers = c.preprocess, c.load, c.crop, c.layers
		err := o.Check()
		if (err == nil) != c.ok {
			t.Errorf("%s load %d crop %d, %d layers: Check gives %v, want ok %v", c.preprocess, c.load, c.crop, c.layers, err, c.ok)
		}
		if err == nil && c.preprocess != PreprocessNone {
			// What Check accepts, the networks take.
			rng := tensor.NewRNG(1)
			x := autograd.Constant(tensor.Zeros(tensor.Float32, 1, 3, c.crop, c.crop))
			NewResnetGenerator(rng, 1, 1).Forward(x)
			if y := NewNLayerDiscriminator(rng, 1, c.layers).Forward(x); y.Value.Dim(2) < 1 {
				t.Errorf("crop %d, %d layers: discriminator output %v", c.crop, c.layers, y.Shape())
			}
		}
	}
}

// TestPreprocessNoneTooSmall: with -preprocess none, an image too small for the discriminator
// is an error naming the file, not a panic in the step.
func TestPreprocessNoneTooSmall(t *testing.T) {
	o := tinyOptions(tinyData(t, 2, 2, 40, 40))
	o.Preprocess, o.DLayers = PreprocessNone, 5
	tr, data := newTiny(t, o)
	err := tr.Train(context.Background(), data, 1, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(o.DataRoot, "train")) {
		t.Fatalf("training 40x40 images with 5 discriminator layers: %v, want an error naming the file", err)
	}
	t.Log(err)
}

// TestCheckNonFiniteOptions: every float option must be a finite number. A NaN identity weight
// used to pass (NaN > 0 is false, so the identity loss was silently off for a whole epoch) and
// then made the checkpoint's JSON fail to encode.
func TestCheckNonFiniteOptions(t *testing.T) {
	fields := map[string]func(*Options) *float64{
		"lr":              func(o *Options) *float64 { return &o.LR },
		"beta1":           func(o *Options) *float64 { return &o.Beta1 },
		"lambda_A":        func(o *Options) *float64 { return &o.LambdaA },
		"lambda_B":        func(o *Options) *float64 { return &o.LambdaB },
		"lambda_identity": func(o *Options) *float64 { return &o.LambdaIdentity },
	}
	for name, field := range fields {
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			o := DefaultOptions()
			*field(&o) = v
			if err := o.Check(); err == nil {
				t.Errorf("%s %g passed Check", name, v)
			} else if !strings.Contains(err.Error(), "finite") {
				t.Errorf("%s %g: %v, want an error asking for a finite number", name, v, err)
			}
		}
	}
}
