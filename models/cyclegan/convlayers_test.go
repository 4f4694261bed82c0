package cyclegan

import (
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

func TestConvLayers(t *testing.T) {
	rng := tensor.NewRNG(1)
	g := NewResnetGenerator(rng, 64, 9)
	layers := ConvLayers(g, 1, 3, 256, 256)
	if len(layers) != 1+2+18+2+1 {
		t.Fatalf("generator: %d convolutions, want 24", len(layers))
	}
	res := layers[3]
	if res.Name != "model.10.conv_block.1" || res.Geom.H != 66 || res.Geom.OH != 64 || res.Geom.C != 256 || res.Cout != 256 {
		t.Errorf("first residual convolution %s %+v cout %d, want model.10.conv_block.1 66x66 -> 64x64, 256 -> 256", res.Name, res.Geom, res.Cout)
	}
	one := tensor.Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}
	if res.Reflect != one || layers[0].Reflect != (tensor.Pad2d{Left: 3, Right: 3, Top: 3, Bottom: 3}) || layers[1].Reflect != (tensor.Pad2d{}) {
		t.Errorf("reflection pads %+v, %+v, %+v: want the residual block's 1, the first layer's 3 and none before the strided model.4", res.Reflect, layers[0].Reflect, layers[1].Reflect)
	}
	if last := layers[len(layers)-1]; last.Name != "model.26" || last.Geom.H != 262 || last.Geom.OH != 256 || last.Cout != 3 {
		t.Errorf("last convolution %s %+v cout %d, want model.26 262x262 -> 256x256 to 3 channels", last.Name, last.Geom, last.Cout)
	}
	d := ConvLayers(NewNLayerDiscriminator(rng, 64, 3), 1, 3, 256, 256)
	if len(d) != 5 || d[4].Name != "model.11" || d[4].Geom.OH != 30 || d[4].Geom.OW != 30 {
		t.Errorf("discriminator: %d convolutions, last %+v, want 5 ending in model.11 with a 30x30 map", len(d), d[len(d)-1])
	}
	// A transposed layer's geometry is the one autograd.ConvTranspose2d runs Conv2dInput with.
	up := layers[len(layers)-3]
	if !up.Transposed || up.Name != "model.19" {
		t.Fatalf("layer %s (transposed %v), want the transposed model.19", up.Name, up.Transposed)
	}
	small := ConvLayers(NewResnetGenerator(rng, 4, 1), 1, 3, 16, 16)
	up = small[len(small)-3]
	x := tensor.Uniform(rng, tensor.Float64, -1, 1, 1, up.Cout, up.Geom.OH, up.Geom.OW)
	w := tensor.Uniform(rng, tensor.Float64, -1, 1, up.Cout, up.Geom.C, 3, 3)
	want := autograd.ConvTranspose2d(autograd.Constant(x), autograd.Constant(w), nil,
		autograd.ConvTranspose2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}}).Value
	got := tensor.Conv2dInput(x, w, up.Geom)
	compareClose(t, "ConvTranspose2d through ConvLayers' geometry", got, want, 0)
}
