package autograd

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// naiveConvTranspose2d is the definition: every input pixel scatters the kernel, weighted, into the
// output.
func naiveConvTranspose2d(x, w, b *tensor.Tensor, o ConvTranspose2dOptions) *tensor.Tensor {
	s, p, op, d := orOne(o.Stride), o.Padding, o.OutputPadding, orOne(o.Dilation)
	n, cin, h, wd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	cout, kh, kw := w.Dim(1), w.Dim(2), w.Dim(3)
	oh := (h-1)*s[0] - 2*p[0] + d[0]*(kh-1) + op[0] + 1
	ow := (wd-1)*s[1] - 2*p[1] + d[1]*(kw-1) + op[1] + 1
	xs, ws := x.Float64s(), w.Float64s()
	out := make([]float64, n*cout*oh*ow)
	for i := range n {
		for o := range cout {
			plane := out[(i*cout+o)*oh*ow:][:oh*ow]
			if b != nil {
				for k := range plane {
					plane[k] = b.Float64s()[o]
				}
			}
			for c := range cin {
				for y := range h {
					for z := range wd {
						for ky := range kh {
							for kx := range kw {
								oy, ox := y*s[0]-p[0]+ky*d[0], z*s[1]-p[1]+kx*d[1]
								if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
									continue
								}
								plane[oy*ow+ox] += xs[((i*cin+c)*h+y)*wd+z] * ws[((c*cout+o)*kh+ky)*kw+kx]
							}
						}
					}
				}
			}
		}
	}
	return tensor.FromFloat64(out, n, cout, oh, ow)
}

type convTransposeCase struct {
	name               string
	n, cin, h, w       int
	cout, kh, kw       int
	opts               ConvTranspose2dOptions
	bias, fast         bool
	wantOutH, wantOutW int
}

// conv runs the case's transposed convolution.
func (c convTransposeCase) conv(x, w, b *Var) *Var { return ConvTranspose2d(x, w, b, c.opts) }

var convTransposeCases = []convTransposeCase{
	{"3x3 stride1 bias", 1, 2, 4, 5, 3, 3, 3, ConvTranspose2dOptions{}, true, false, 6, 7},
	{"3x3 stride2 pad1 outpad1 (CycleGAN)", 1, 3, 3, 4, 2, 3, 3,
		ConvTranspose2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}}, true, false, 6, 8},
	{"stride2 batch3 nobias odd", 3, 2, 3, 3, 2, 3, 3, ConvTranspose2dOptions{Stride: [2]int{2, 2}}, false, false, 7, 7},
	{"dilation2 pad1 outpad1 > stride", 1, 2, 4, 3, 2, 3, 2,
		ConvTranspose2dOptions{Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}, Dilation: [2]int{2, 2}}, true, false, 7, 4},
	{"1x1 pointwise batch3", 3, 3, 3, 2, 2, 1, 1, ConvTranspose2dOptions{}, true, false, 3, 2},
	{"1x1 dilation2 outpad1", 1, 2, 3, 2, 2, 1, 1, ConvTranspose2dOptions{OutputPadding: [2]int{1, 1}, Dilation: [2]int{2, 2}}, true, false, 4, 3},
	{"rectangular stride and padding", 2, 2, 3, 4, 3, 4, 3,
		ConvTranspose2dOptions{Stride: [2]int{3, 2}, Padding: [2]int{2, 0}, OutputPadding: [2]int{2, 0}}, true, false, 8, 9},
	{"4x4 stride2 larger fast", 3, 4, 6, 5, 3, 4, 4, ConvTranspose2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true, true, 12, 10},
}

func TestConvTranspose2dForwardMatchesDefinition(t *testing.T) {
	rng := tensor.NewRNG(11)
	for _, c := range convTransposeCases {
		in := layerConvInputs(rng, c.n, c.cin, c.h, c.w, []int{c.cin, c.cout, c.kh, c.kw}, c.cout, c.bias)
		want := naiveConvTranspose2d(in[0], in[1], layerConvBias(in), c.opts)
		layerCheckConvForward(t, c.name, c.conv, in, want, c.wantOutH, c.wantOutW)
	}
}

func TestConvTranspose2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(12)
	for _, c := range convTransposeCases {
		in := layerConvInputs(rng, c.n, c.cin, c.h, c.w, []int{c.cin, c.cout, c.kh, c.kw}, c.cout, c.bias)
		layerGradCheck(t, c.name, layerConvFunc(c.conv), in, c.fast)
	}
}

// The transposed convolution is the adjoint of the convolution with the same weight and geometry:
// <ConvTranspose2d(x), y> = <x, Conv2d(y)> for every x and y of matching sizes.
func TestConvTranspose2dIsAdjointOfConv2d(t *testing.T) {
	rng := tensor.NewRNG(13)
	// As a Conv2d weight w maps 2 channels to 3; as a ConvTranspose2d weight it maps 3 back to 2.
	w := layerRandn(rng, 3, 2, 3, 3)
	x := layerRandn(rng, 2, 3, 4, 4)
	opts := ConvTranspose2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}}
	up := ConvTranspose2d(Constant(x), Constant(w), nil, opts).Value // [2, 2, 8, 8]
	y := layerRandn(rng, up.Shape()...)
	down := Conv2d(Constant(y), Constant(w), nil, Conv2dOptions{Stride: opts.Stride, Padding: opts.Padding}).Value // [2, 3, 4, 4]
	var lhs, rhs float64
	for i, v := range up.Float64s() {
		lhs += v * y.Float64s()[i]
	}
	for i, v := range x.Float64s() {
		rhs += v * down.Float64s()[i]
	}
	if d := lhs - rhs; d > 1e-10 || d < -1e-10 {
		t.Errorf("<T(x), y> = %.15g, <x, C(y)> = %.15g", lhs, rhs)
	}
}

func TestConvTranspose2dRejectsBadGeometry(t *testing.T) {
	x := Constant(tensor.Zeros(tensor.Float64, 1, 2, 4, 4))
	w := Constant(tensor.Zeros(tensor.Float64, 2, 3, 3, 3))
	layerExpectPanic(t, func() {
		ConvTranspose2d(x, w, nil, ConvTranspose2dOptions{Stride: [2]int{2, 2}, OutputPadding: [2]int{2, 2}})
	}, "autograd.ConvTranspose2d", "output padding [2 2]", "stride [2 2]")
	layerExpectPanic(t, func() {
		ConvTranspose2d(x, Constant(tensor.Zeros(tensor.Float64, 3, 3, 3, 3)), nil, ConvTranspose2dOptions{})
	}, "autograd.ConvTranspose2d", "[1 2 4 4]", "[3 3 3 3]")
	layerExpectPanic(t, func() {
		ConvTranspose2d(x, w, nil, ConvTranspose2dOptions{Padding: [2]int{4, 4}})
	}, "autograd.ConvTranspose2d", "empty")
}

// CycleGAN's second upsampling layer at a quarter of its channels (32 -> 16, 64×64 -> 128×128).
func BenchmarkConvTranspose2dUpsample(b *testing.B) {
	up := func(x, w, bias *Var) *Var {
		return ConvTranspose2d(x, w, bias, ConvTranspose2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}})
	}
	// Weight [32, 16, 3, 3]; the forward GEMM is [144, 32] × [32, 4096].
	flops := 2.0 * 32 * 16 * 9 * 64 * 64
	b.Run("forward", func(b *testing.B) { benchConv(b, up, []int{1, 32, 64, 64}, []int{32, 16, 3, 3}, 16, flops, false) })
	b.Run("forward+backward", func(b *testing.B) { benchConv(b, up, []int{1, 32, 64, 64}, []int{32, 16, 3, 3}, 16, flops, true) })
}
