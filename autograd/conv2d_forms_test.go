package autograd

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// Convolutions that map many channels to few run as a transposed convolution with a flipped
// kernel (package tensor's swapped form; its tests check that these geometries take it); they
// must agree with the definition and pass the gradient check like any other.
var transposedFormCases = []convCase{
	{"7x7 many to few (CycleGAN's last layer)", 1, 12, 16, 15, 1, 7, 7, Conv2dOptions{}, true, true, 10, 9},
	{"4x4 pad1 to one channel (PatchGAN's last)", 2, 5, 5, 6, 1, 4, 4, Conv2dOptions{Padding: [2]int{1, 1}}, true, false, 4, 5},
	{"3x2 pad(2,1) dilation(2,1) no bias", 1, 4, 7, 6, 1, 3, 2, Conv2dOptions{Padding: [2]int{2, 1}, Dilation: [2]int{2, 1}}, false, false, 7, 7},
}

func TestConv2dTransposedForm(t *testing.T) {
	rng := tensor.NewRNG(11)
	for _, c := range transposedFormCases {
		in := layerConvInputs(rng, c.n, c.cin, c.h, c.w, []int{c.cout, c.cin, c.kh, c.kw}, c.cout, c.bias)
		want := naiveConv2d(in[0], in[1], layerConvBias(in), c.opts)
		layerCheckConvForward(t, c.name, c.conv, in, want, c.wantOutH, c.wantOutW)
		layerGradCheck(t, c.name, layerConvFunc(c.conv), in, c.fast)
	}
}
