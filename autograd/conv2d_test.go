package autograd

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// This file also holds the helpers shared by the tests of the layer ops (conv2d, conv_transpose2d,
// reflection_pad2d, instance_norm2d); their names start with "layer" to stay out of the way of the
// other op tests in this package.

// layerRandn returns a float64 tensor of standard normal values.
func layerRandn(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	return tensor.Normal(rng, tensor.Float64, 0, 1, shape...)
}

// layerGradCheck runs GradCheck on the whole Jacobian, or one random projection when fast is set.
// Its tolerances are 100 times tighter than torch.autograd.gradcheck's defaults: central
// differences of these smooth (piecewise linear or polynomial) float64 ops are accurate to about
// 1e-9, and a loose rtol would let a gradient that is wrong by 0.1% pass.
func layerGradCheck(t *testing.T, name string, f func(xs []*Var) *Var, inputs []*tensor.Tensor, fast bool) {
	t.Helper()
	res, err := GradCheck(f, inputs, GradCheckOptions{Fast: fast, Seed: 7, Atol: 1e-7, Rtol: 1e-5})
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if res.Entries == 0 {
		t.Errorf("%s: GradCheck compared nothing", name)
	}
}

// layerMaxDiff is the largest absolute elementwise difference of two tensors of the same shape.
func layerMaxDiff(t *testing.T, got, want *tensor.Tensor) float64 {
	t.Helper()
	if fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape()) {
		t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	d := 0.0
	for i := range g {
		d = max(d, math.Abs(g[i]-w[i]))
		if math.IsNaN(g[i]) {
			return math.Inf(1)
		}
	}
	return d
}

// layerConvInputs draws a convolution's inputs in a fixed order: x [n, cin, h, w], a weight of
// wShape and, when bias is set, a bias of cout values. The slice is what GradCheck differentiates.
func layerConvInputs(rng *tensor.RNG, n, cin, h, w int, wShape []int, cout int, bias bool) []*tensor.Tensor {
	inputs := []*tensor.Tensor{layerRandn(rng, n, cin, h, w), layerRandn(rng, wShape...)}
	if bias {
		inputs = append(inputs, layerRandn(rng, cout))
	}
	return inputs
}

// layerConvBias is the bias among layerConvInputs' tensors, nil when there is none.
func layerConvBias(inputs []*tensor.Tensor) *tensor.Tensor {
	if len(inputs) > 2 {
		return inputs[2]
	}
	return nil
}

// layerConvFunc adapts a convolution to GradCheck's inputs: xs[2] is the bias when there is one.
func layerConvFunc(conv func(x, w, b *Var) *Var) func(xs []*Var) *Var {
	return func(xs []*Var) *Var {
		var b *Var
		if len(xs) > 2 {
			b = xs[2]
		}
		return conv(xs[0], xs[1], b)
	}
}

// layerCheckConvForward runs conv on constants holding inputs and compares the output's spatial
// size with wantH x wantW and its values with want, the convolution's definition.
func layerCheckConvForward(t *testing.T, name string, conv func(x, w, b *Var) *Var, inputs []*tensor.Tensor, want *tensor.Tensor, wantH, wantW int) {
	t.Helper()
	xs := make([]*Var, len(inputs))
	for i, in := range inputs {
		xs[i] = Constant(in)
	}
	got := layerConvFunc(conv)(xs).Value
	if got.Dim(2) != wantH || got.Dim(3) != wantW {
		t.Errorf("%s: output %v, want %dx%d", name, got.Shape(), wantH, wantW)
	}
	if d := layerMaxDiff(t, got, want); d > 1e-12 {
		t.Errorf("%s: forward differs from the definition by %g", name, d)
	}
}

// layerExpectPanic runs f and checks that it panics with a message containing every fragment.
func layerExpectPanic(t *testing.T, f func(), fragments ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic; want one mentioning %q", fragments)
		}
		msg := fmt.Sprint(r)
		for _, frag := range fragments {
			if !strings.Contains(msg, frag) {
				t.Errorf("panic %q does not mention %q", msg, frag)
			}
		}
	}()
	f()
}

// naiveConv2d is the definition of the convolution, one output element at a time.
func naiveConv2d(x, w, b *tensor.Tensor, o Conv2dOptions) *tensor.Tensor {
	s, p, d := orOne(o.Stride), o.Padding, orOne(o.Dilation)
	n, cin, h, wd := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	cout, kh, kw := w.Dim(0), w.Dim(2), w.Dim(3)
	oh := (h+2*p[0]-d[0]*(kh-1)-1)/s[0] + 1
	ow := (wd+2*p[1]-d[1]*(kw-1)-1)/s[1] + 1
	xs, ws := x.Float64s(), w.Float64s()
	out := make([]float64, n*cout*oh*ow)
	for i := range n {
		for o := range cout {
			for y := range oh {
				for z := range ow {
					var acc float64
					if b != nil {
						acc = b.Float64s()[o]
					}
					for c := range cin {
						for ky := range kh {
							for kx := range kw {
								iy, ix := y*s[0]-p[0]+ky*d[0], z*s[1]-p[1]+kx*d[1]
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								acc += ws[((o*cin+c)*kh+ky)*kw+kx] * xs[((i*cin+c)*h+iy)*wd+ix]
							}
						}
					}
					out[((i*cout+o)*oh+y)*ow+z] = acc
				}
			}
		}
	}
	return tensor.FromFloat64(out, n, cout, oh, ow)
}

type convCase struct {
	name               string
	n, cin, h, w       int
	cout, kh, kw       int
	opts               Conv2dOptions
	bias, fast         bool
	wantOutH, wantOutW int
}

// conv runs the case's convolution.
func (c convCase) conv(x, w, b *Var) *Var { return Conv2d(x, w, b, c.opts) }

var convCases = []convCase{
	{"3x3 stride1 bias odd", 1, 2, 5, 5, 3, 3, 3, Conv2dOptions{}, true, false, 3, 3},
	{"3x3 stride2 pad1 batch3 nobias even", 3, 2, 6, 4, 2, 3, 3, Conv2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, false, false, 3, 2},
	{"3x2 pad2 dilation2 bias", 1, 3, 7, 6, 2, 3, 2, Conv2dOptions{Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}, true, false, 7, 8},
	{"1x1 pointwise batch3 bias", 3, 3, 3, 4, 2, 1, 1, Conv2dOptions{}, true, false, 3, 4},
	{"1x1 stride2", 1, 2, 5, 5, 2, 1, 1, Conv2dOptions{Stride: [2]int{2, 2}}, true, false, 3, 3},
	{"4x4 stride2 pad1 (PatchGAN)", 1, 2, 8, 8, 3, 4, 4, Conv2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true, false, 4, 4},
	{"rectangular geometry", 3, 2, 7, 6, 2, 3, 3, Conv2dOptions{Stride: [2]int{2, 1}, Padding: [2]int{0, 1}, Dilation: [2]int{1, 2}}, true, false, 3, 4},
	{"7x7 larger fast", 3, 4, 12, 11, 5, 7, 7, Conv2dOptions{Padding: [2]int{3, 3}, Stride: [2]int{2, 2}}, true, true, 6, 6},
}

func TestConv2dForwardMatchesDefinition(t *testing.T) {
	rng := tensor.NewRNG(1)
	for _, c := range convCases {
		in := layerConvInputs(rng, c.n, c.cin, c.h, c.w, []int{c.cout, c.cin, c.kh, c.kw}, c.cout, c.bias)
		want := naiveConv2d(in[0], in[1], layerConvBias(in), c.opts)
		layerCheckConvForward(t, c.name, c.conv, in, want, c.wantOutH, c.wantOutW)
	}
}

func TestConv2dForwardFloat32(t *testing.T) {
	rng := tensor.NewRNG(2)
	c := convCases[1]
	x := layerRandn(rng, c.n, c.cin, c.h, c.w)
	w := layerRandn(rng, c.cout, c.cin, c.kh, c.kw)
	b := layerRandn(rng, c.cout)
	got := Conv2d(Constant(tensor.Cast(x, tensor.Float32)), Constant(tensor.Cast(w, tensor.Float32)), Constant(tensor.Cast(b, tensor.Float32)), c.opts).Value
	if got.DType() != tensor.Float32 {
		t.Fatalf("dtype %s, want float32", got.DType())
	}
	if d := layerMaxDiff(t, got, naiveConv2d(x, w, b, c.opts)); d > 1e-5 {
		t.Errorf("float32 forward differs from the float64 definition by %g", d)
	}
}

func TestConv2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(3)
	for _, c := range convCases {
		in := layerConvInputs(rng, c.n, c.cin, c.h, c.w, []int{c.cout, c.cin, c.kh, c.kw}, c.cout, c.bias)
		layerGradCheck(t, c.name, layerConvFunc(c.conv), in, c.fast)
	}
}

// Only the operands that need a gradient get one; a constant input must not cost a col2im.
func TestConv2dGradientOnlyWhereNeeded(t *testing.T) {
	rng := tensor.NewRNG(4)
	x := Constant(layerRandn(rng, 1, 2, 4, 4))
	w := NewVar(layerRandn(rng, 3, 2, 3, 3), true)
	b := NewVar(layerRandn(rng, 3), false)
	y := Conv2d(x, w, b, Conv2dOptions{Padding: [2]int{1, 1}})
	Sum(y, nil, false).Backward()
	if w.Grad == nil || x.Grad != nil || b.Grad != nil {
		t.Errorf("grads: x %v, w %v, b %v; want only w's", x.Grad != nil, w.Grad != nil, b.Grad != nil)
	}
}

func TestConv2dRejectsBadOperands(t *testing.T) {
	x := Constant(tensor.Zeros(tensor.Float64, 1, 2, 4, 4))
	layerExpectPanic(t, func() { Conv2d(x, Constant(tensor.Zeros(tensor.Float64, 3, 5, 3, 3)), nil, Conv2dOptions{}) },
		"autograd.Conv2d", "[1 2 4 4]", "[3 5 3 3]")
	layerExpectPanic(t, func() { Conv2d(x, Constant(tensor.Zeros(tensor.Float64, 3, 2, 5, 5)), nil, Conv2dOptions{}) },
		"autograd.Conv2d", "smaller than the 5x5 kernel")
	layerExpectPanic(t, func() {
		Conv2d(x, Constant(tensor.Zeros(tensor.Float64, 3, 2, 3, 3)), Constant(tensor.Zeros(tensor.Float64, 4)), Conv2dOptions{})
	}, "autograd.Conv2d", "bias [4]")
	layerExpectPanic(t, func() { Conv2d(x, Constant(tensor.Zeros(tensor.Float32, 3, 2, 3, 3)), nil, Conv2dOptions{}) },
		"autograd.Conv2d", "float32")
}

// benchConv runs forward (and, with backward, the backward pass too) of one layer in float32 and
// reports the GEMM work as GFLOP/s: 2·Cout·Cin·KH·KW·OH·OW·N multiply-adds per GEMM, one GEMM
// forward and two backward. The rest (im2col, col2im, bias) is memory traffic, so the rate
// measures how much of the time the GEMM gets.
func benchConv(b *testing.B, forward func(x, w, bias *Var) *Var, xShape, wShape []int, channels int, flops float64, backward bool) {
	rng := tensor.NewRNG(1)
	x := NewVar(tensor.Normal(rng, tensor.Float32, 0, 1, xShape...), backward)
	w := NewVar(tensor.Normal(rng, tensor.Float32, 0, 0.02, wShape...), backward)
	bias := NewVar(tensor.Zeros(tensor.Float32, channels), backward)
	gemms := 1.0
	if backward {
		gemms = 3
	}
	b.ResetTimer()
	for range b.N {
		y := forward(x, w, bias)
		if backward {
			y.BackwardWith(tensor.FullLike(y.Value, 1))
			x.ZeroGrad()
			w.ZeroGrad()
			bias.ZeroGrad()
		}
	}
	b.ReportMetric(gemms*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// A residual-block convolution of CycleGAN's generator at a quarter of its width (64 channels at
// 64×64 instead of 256): the shapes of the GEMM are [64, 576] × [576, 4096].
func BenchmarkConv2dResBlock(b *testing.B) {
	conv := func(x, w, bias *Var) *Var {
		return Conv2d(x, w, bias, Conv2dOptions{Padding: [2]int{1, 1}})
	}
	flops := 2.0 * 64 * 64 * 9 * 64 * 64
	b.Run("forward", func(b *testing.B) { benchConv(b, conv, []int{1, 64, 64, 64}, []int{64, 64, 3, 3}, 64, flops, false) })
	b.Run("forward+backward", func(b *testing.B) { benchConv(b, conv, []int{1, 64, 64, 64}, []int{64, 64, 3, 3}, 64, flops, true) })
}
