package autograd

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// Convolutions that map many channels to few run as a transposed convolution with a flipped
// kernel (convAsTransposed); these cases take that path, which must agree with the definition
// and pass the gradient check like any other.
var transposedFormCases = []convCase{
	{"7x7 many to few (CycleGAN's last layer)", 1, 12, 16, 15, 1, 7, 7, Conv2dOptions{}, true, true, 10, 9},
	{"4x4 pad1 to one channel (PatchGAN's last)", 2, 5, 5, 6, 1, 4, 4, Conv2dOptions{Padding: [2]int{1, 1}}, true, false, 4, 5},
	{"3x2 pad(2,1) dilation(2,1) no bias", 1, 4, 7, 6, 1, 3, 2, Conv2dOptions{Padding: [2]int{2, 1}, Dilation: [2]int{2, 1}}, false, false, 7, 7},
}

func TestConv2dTransposedForm(t *testing.T) {
	rng := tensor.NewRNG(11)
	for _, c := range transposedFormCases {
		g := newConvGeom("test", c.n, c.cin, c.h, c.w, c.kh, c.kw, c.opts.Stride, c.opts.Padding, c.opts.Dilation)
		if !prefersTransposedForm(g, c.cout) {
			t.Fatalf("%s: does not take the transposed form", c.name)
		}
		in := layerConvInputs(rng, c.n, c.cin, c.h, c.w, []int{c.cout, c.cin, c.kh, c.kw}, c.cout, c.bias)
		want := naiveConv2d(in[0], in[1], layerConvBias(in), c.opts)
		layerCheckConvForward(t, c.name, c.conv, in, want, c.wantOutH, c.wantOutW)
		layerGradCheck(t, c.name, layerConvFunc(c.conv), in, c.fast)
	}
}

// The transposed form is only for stride 1, a padding the flipped kernel can absorb, and
// columns that really are smaller.
func TestConv2dTransposedFormChoice(t *testing.T) {
	for _, c := range []struct {
		name                     string
		cin, h, cout, k, s, p, d int
		want                     bool
	}{
		{"64 to 3, 7x7", 64, 262, 3, 7, 1, 0, 1, true},
		{"512 to 1, 4x4 pad 1", 512, 31, 1, 4, 1, 1, 1, true},
		{"equal channels", 256, 66, 256, 3, 1, 0, 1, false},
		{"stride 2", 64, 32, 3, 3, 2, 1, 1, false},
		{"padding beyond the kernel", 64, 16, 3, 3, 1, 3, 1, false},
		{"few to many", 3, 262, 64, 7, 1, 0, 1, false},
	} {
		g := newConvGeom("test", 1, c.cin, c.h, c.h, c.k, c.k, [2]int{c.s, c.s}, [2]int{c.p, c.p}, [2]int{c.d, c.d})
		if got := prefersTransposedForm(g, c.cout); got != c.want {
			t.Errorf("%s: prefersTransposedForm = %v, want %v", c.name, got, c.want)
		}
	}
}
