package tensor

import (
	"fmt"
	"math"
	"testing"

	"github.com/zebra-go/zebra/internal/shiftconv"
)

// naiveConvTaps calls visit(yIndex, xIndex, wIndex) for every multiply-add of the convolution g
// with cout output channels, straight from its definition: output element y[n, o, oh, ow] reads
// x[n, c, oh·sH − padH + kh·dH, ow·sW − padW + kw·dW] through weight w[o, c, kh, kw]. The three
// passes are the three ways of summing these products.
func naiveConvTaps(g ConvGeom, cout int, visit func(yi, xi, wi int)) {
	for n := range g.N {
		for o := range cout {
			for oh := range g.OH {
				for ow := range g.OW {
					yi := ((n*cout+o)*g.OH+oh)*g.OW + ow
					for c := range g.C {
						for kh := range g.KH {
							for kw := range g.KW {
								ih := oh*g.StrideH - g.PadH + kh*g.DilH
								iw := ow*g.StrideW - g.PadW + kw*g.DilW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								visit(yi, ((n*g.C+c)*g.H+ih)*g.W+iw, ((o*g.C+c)*g.KH+kh)*g.KW+kw)
							}
						}
					}
				}
			}
		}
	}
}

func naiveConvForward(x, w, b []float64, g ConvGeom, cout int) []float64 {
	y := make([]float64, g.N*cout*g.OH*g.OW)
	if b != nil {
		for i := range y {
			y[i] = b[i/(g.OH*g.OW)%cout]
		}
	}
	naiveConvTaps(g, cout, func(yi, xi, wi int) { y[yi] += w[wi] * x[xi] })
	return y
}

func naiveConvInput(dy, w []float64, g ConvGeom, cout int) []float64 {
	dx := make([]float64, g.N*g.C*g.H*g.W)
	naiveConvTaps(g, cout, func(yi, xi, wi int) { dx[xi] += w[wi] * dy[yi] })
	return dx
}

func naiveConvWeight(dy, x []float64, g ConvGeom, cout int) []float64 {
	dw := make([]float64, cout*g.C*g.KH*g.KW)
	naiveConvTaps(g, cout, func(yi, xi, wi int) { dw[wi] += dy[yi] * x[xi] })
	return dw
}

// convCase is a convolution to test the three passes on.
type convCase struct {
	name string
	g    ConvGeom
	cout int
}

// convTestCases are the reference model's geometries at small sizes (cycleGANGeoms) with two
// output-channel counts, and the shapes that take other routes: pointwise, many-to-few (the
// swapped form), a transposed convolution's geometry that keeps fewer output positions than its
// formula, and a batch of three.
func convTestCases() []convCase {
	var cs []convCase
	for _, g := range cycleGANGeoms() {
		for _, cout := range []int{1, 4} {
			cs = append(cs, convCase{fmt.Sprintf("%+v cout %d", g, cout), g, cout})
		}
	}
	cut := NewConvGeom(1, 2, 8, 9, 3, 3, 1, 1, 1, 1, 2, 2)
	cut.OH, cut.OW = cut.OH-1, cut.OW-1 // ConvTranspose2d with an output padding of 1 at stride 1, dilation 2
	return append(cs,
		convCase{"pointwise", NewConvGeom(2, 3, 4, 5, 1, 1, 1, 1, 0, 0, 1, 1), 2},
		convCase{"pointwise stride 2", NewConvGeom(1, 3, 5, 5, 1, 1, 2, 2, 0, 0, 1, 1), 2},
		convCase{"7x7 many to few (swapped)", NewConvGeom(1, 12, 16, 15, 7, 7, 1, 1, 0, 0, 1, 1), 1},
		convCase{"4x4 pad 1 to one channel (swapped)", NewConvGeom(2, 5, 5, 6, 4, 4, 1, 1, 1, 1, 1, 1), 1},
		convCase{"3x3 batch 3 pad 1", NewConvGeom(3, 5, 6, 7, 3, 3, 1, 1, 1, 1, 1, 1), 6},
		convCase{"fewer outputs than the formula", cut, 3},
	)
}

// runConvPasses runs the three passes of c on random operands and compares them with the
// definition: forward (with and without a bias), input gradient and weight gradient.
func runConvPasses(t *testing.T, rng *RNG, c convCase, what string) {
	t.Helper()
	g, cout := c.g, c.cout
	x := randomData(rng, g.N*g.C*g.H*g.W)
	w := randomData(rng, cout*g.C*g.KH*g.KW)
	b := randomData(rng, cout)
	dy := randomData(rng, g.N*cout*g.OH*g.OW)
	for _, dt := range dtypes {
		X := Cast(FromFloat64(x, g.N, g.C, g.H, g.W), dt)
		W := Cast(FromFloat64(w, cout, g.C, g.KH, g.KW), dt)
		B := Cast(FromFloat64(b, cout), dt)
		DY := Cast(FromFloat64(dy, g.N, cout, g.OH, g.OW), dt)
		xr, wr, br, dyr := X.Float64s(), W.Float64s(), B.Float64s(), DY.Float64s() // as rounded
		xa, wa, ba, dya := absValues(xr), absValues(wr), absValues(br), absValues(dyr)
		// Errors are measured against each sum's Σ|terms| (the pass on absolute values): a
		// float32 sum of K terms rounds to about that times K·2⁻²⁴ whatever its value, so a
		// large cancelling sum (a 7×7 kernel over 12 channels: 588 terms) is judged fairly
		// and a wrong or missing term is not hidden.
		tl := tolFor(dt, tolerance{rtol: 1e-12}, tolerance{rtol: 1e-5})
		name := fmt.Sprintf("%s %s %s", what, c.name, dt)
		checkScaled(t, name+" forward", Conv2d(X, W, B, g).Float64s(), naiveConvForward(xr, wr, br, g, cout), naiveConvForward(xa, wa, ba, g, cout), tl)
		checkScaled(t, name+" forward without bias", Conv2d(X, W, nil, g).Float64s(), naiveConvForward(xr, wr, nil, g, cout), naiveConvForward(xa, wa, nil, g, cout), tl)
		checkScaled(t, name+" input gradient", Conv2dInput(DY, W, g).Float64s(), naiveConvInput(dyr, wr, g, cout), naiveConvInput(dya, wa, g, cout), tl)
		checkScaled(t, name+" weight gradient", Conv2dWeight(DY, X, g).Float64s(), naiveConvWeight(dyr, xr, g, cout), naiveConvWeight(dya, xa, g, cout), tl)
	}
}

// withConvSettings runs f with the composed path forced on or off, maxColumns set, and the
// direct algorithm, restoring all three afterwards.
func withConvSettings(t *testing.T, composed bool, columns int, f func()) {
	savedComposed, savedMax := composedOnly, maxColumns
	savedAlgo := SetConvAlgorithm(ConvDirect)
	defer func() {
		composedOnly, maxColumns = savedComposed, savedMax
		SetConvAlgorithm(savedAlgo)
	}()
	composedOnly, maxColumns = composed, columns
	f()
}

func TestConvPassesMatchDefinition(t *testing.T) {
	rng := NewRNG(31)
	for _, composed := range []bool{false, true} {
		withConvSettings(t, composed, maxColumns, func() {
			for _, c := range convTestCases() {
				runConvPasses(t, rng, c, fmt.Sprintf("composed=%v", composed))
			}
		})
	}
}

// A pass whose columns exceed maxColumns runs in strips of output rows on the composed path;
// with the cap lowered every case runs in strips of one and of three rows, which must change
// nothing: the strips' input rows overlap (and reach into the padding), so their input gradients
// are summed.
func TestConvInStrips(t *testing.T) {
	rng := NewRNG(32)
	for _, c := range convTestCases() {
		g := c.g
		perRow := g.N * g.C * g.KH * g.KW * g.OW
		for _, rows := range []int{1, 3} {
			withConvSettings(t, true, rows*perRow, func() {
				want := (g.OH + rows - 1) / rows
				if isPointwise(g) {
					want = 1 // no columns to build
				}
				if got := len(convBands(g)); got != want {
					t.Errorf("%s: %d strips of %d rows for %d output rows", c.name, got, rows, g.OH)
				}
				runConvPasses(t, rng, c, fmt.Sprintf("strips of %d", rows))
			})
		}
	}
}

// The CPU's Convolver forms the columns inside its GEMM (tensor.Im2colGemmer) where the composed
// path builds them: the outputs and both gradients must be the same bits, float32 and float64.
func TestConvolverMatchesComposedBits(t *testing.T) {
	rng := NewRNG(33)
	for _, c := range convTestCases() {
		g := c.g
		x := randomData(rng, g.N*g.C*g.H*g.W)
		w := randomData(rng, c.cout*g.C*g.KH*g.KW)
		b := randomData(rng, c.cout)
		dy := randomData(rng, g.N*c.cout*g.OH*g.OW)
		for _, dt := range dtypes {
			X := Cast(FromFloat64(x, g.N, g.C, g.H, g.W), dt)
			W := Cast(FromFloat64(w, c.cout, g.C, g.KH, g.KW), dt)
			B := Cast(FromFloat64(b, c.cout), dt)
			DY := Cast(FromFloat64(dy, g.N, c.cout, g.OH, g.OW), dt)
			run := func(composed bool) (out [3]*Tensor) {
				withConvSettings(t, composed, maxColumns, func() {
					out = [3]*Tensor{Conv2d(X, W, B, g), Conv2dInput(DY, W, g), Conv2dWeight(DY, X, g)}
				})
				return out
			}
			want, got := run(true), run(false)
			for i, pass := range []string{"forward", "input gradient", "weight gradient"} {
				if !sameBits(got[i].Float64s(), want[i].Float64s()) {
					t.Errorf("%s %s: the %s differs between the Convolver and the composed path", c.name, dt, pass)
				}
			}
		}
	}
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestConvPassesMatchDefinitionAuto runs the passes under ConvAuto, where the CPU takes the
// layers with few channels on one side to internal/shiftconv: convTestCases and shapes that
// shiftconv takes in every form, many to few and few to many (the input gradient is the
// forward of the swapped geometry), non-square kernels, padding on one axis only, a batch of
// two.
func TestConvPassesMatchDefinitionAuto(t *testing.T) {
	defer SetConvAlgorithm(SetConvAlgorithm(ConvAuto))
	shifted := []convCase{
		{"64 to 3, 7x7 pad 3", NewConvGeom(1, 64, 9, 11, 7, 7, 1, 1, 3, 3, 1, 1), 3},
		{"3 to 16, 7x7, batch 2", NewConvGeom(2, 3, 12, 10, 7, 7, 1, 1, 0, 0, 1, 1), 16},
		{"2 to 5, 2x3 pad 1,2", NewConvGeom(1, 2, 6, 5, 2, 3, 1, 1, 1, 2, 1, 1), 5},
		{"5 to 8, 1x7 pad 0,3", NewConvGeom(1, 5, 4, 9, 1, 7, 1, 1, 0, 3, 1, 1), 8},
		{"32 to 8, 5x5 pad 2", NewConvGeom(1, 32, 7, 6, 5, 5, 1, 1, 2, 2, 1, 1), 8},
	}
	rng := NewRNG(32)
	for _, c := range shifted {
		if shiftconv.Path() != "generic" && !shiftApplies(c.g, c.cout, Float32) {
			t.Errorf("%s: shiftconv does not take it; the case is meant to test it", c.name)
		}
		runConvPasses(t, rng, c, "auto")
	}
	for _, c := range convTestCases() {
		runConvPasses(t, rng, c, "auto")
	}
}

// The swapped form is only for stride 1, a padding the flipped kernel can absorb, all output
// positions kept, and columns that really are smaller.
func TestSwappedFormChoice(t *testing.T) {
	cut := NewConvGeom(1, 64, 16, 16, 3, 3, 1, 1, 1, 1, 2, 2)
	cut.OH--
	for _, c := range []struct {
		name string
		g    ConvGeom
		cout int
		want bool
	}{
		{"64 to 3, 7x7", NewConvGeom(1, 64, 262, 262, 7, 7, 1, 1, 0, 0, 1, 1), 3, true},
		{"512 to 1, 4x4 pad 1", NewConvGeom(1, 512, 31, 31, 4, 4, 1, 1, 1, 1, 1, 1), 1, true},
		{"equal channels", NewConvGeom(1, 256, 66, 66, 3, 3, 1, 1, 0, 0, 1, 1), 256, false},
		{"stride 2", NewConvGeom(1, 64, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1), 3, false},
		{"padding beyond the kernel", NewConvGeom(1, 64, 16, 16, 3, 3, 1, 1, 3, 3, 1, 1), 3, false},
		{"few to many", NewConvGeom(1, 3, 262, 262, 7, 7, 1, 1, 0, 0, 1, 1), 64, false},
		{"output positions cut", cut, 3, false},
	} {
		if got := prefersSwapped(c.g, c.cout); got != c.want {
			t.Errorf("%s: prefersSwapped = %v, want %v", c.name, got, c.want)
		}
	}
}

// Where the CPU runs a convolution in internal/shiftconv it takes it as it is, in every pass
// (the swapped form would flip the weight for nothing); under ConvDirect, in float64, or for a
// layer shiftconv does not take, the swapped form stays prefersSwapped's choice.
func TestShiftconvTakesTheDirectForm(t *testing.T) {
	if shiftconv.Path() == "generic" {
		t.Skip("shiftconv runs only its Go twins here (purego or ZEBRA_CPU=generic), and the CPU keeps the GEMM path")
	}
	defer SetConvAlgorithm(SetConvAlgorithm(ConvAuto))
	last := NewConvGeom(1, 64, 262, 262, 7, 7, 1, 1, 0, 0, 1, 1) // CycleGAN's last layer, 64 to 3
	patch := NewConvGeom(1, 512, 31, 31, 4, 4, 1, 1, 1, 1, 1, 1) // PatchGAN's last, 512 to 1
	for _, c := range []struct {
		name string
		algo ConvAlgorithm
		dt   DType
		g    ConvGeom
		cout int
		want bool
	}{
		{"64 to 3, 7x7", ConvAuto, Float32, last, 3, false},
		{"64 to 3, 7x7, direct", ConvDirect, Float32, last, 3, true},
		{"64 to 3, 7x7, float64", ConvAuto, Float64, last, 3, true},
		{"512 to 1, 4x4 pad 1", ConvAuto, Float32, patch, 1, true},
	} {
		SetConvAlgorithm(c.algo)
		if got := runsSwapped(CPU, c.g, c.cout, c.dt); got != c.want {
			t.Errorf("%s: runsSwapped = %v, want %v", c.name, got, c.want)
		}
	}
}

// flipWeight applied twice is the identity, and once it moves each element where the swapped
// form's definition says.
func TestFlipWeight(t *testing.T) {
	const a, b, kh, kw = 3, 2, 3, 4
	src := FromFloat64(randomData(NewRNG(34), a*b*kh*kw), a, b, kh, kw)
	flipped := New(CPU, Float64, b, a, kh, kw)
	flipWeight(flipped.storage, src.storage, a, b, kh, kw)
	s, f := src.Float64s(), flipped.Float64s()
	for i := range a {
		for j := range b {
			for p := range kh {
				for q := range kw {
					if got, want := f[((j*a+i)*kh+p)*kw+q], s[((i*b+j)*kh+kh-1-p)*kw+kw-1-q]; got != want {
						t.Fatalf("flipped[%d %d %d %d] = %g, want %g", j, i, p, q, got, want)
					}
				}
			}
		}
	}
	back := New(CPU, Float64, a, b, kh, kw)
	flipWeight(back.storage, flipped.storage, b, a, kh, kw)
	if !sameBits(back.Float64s(), s) {
		t.Error("flipping twice is not the identity")
	}
}

func TestConvRejectsBadShapes(t *testing.T) {
	g := NewConvGeom(1, 2, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1)
	x, w := Zeros(Float64, 1, 2, 5, 5), Zeros(Float64, 4, 2, 3, 3)
	expectPanic(t, func() { Conv2d(Zeros(Float64, 1, 3, 5, 5), w, nil, g) }, "tensor.Conv2d", "[1 3 5 5]")
	expectPanic(t, func() { Conv2d(x, Zeros(Float64, 4, 2, 3, 2), nil, g) }, "tensor.Conv2d", "[4 2 3 2]")
	expectPanic(t, func() { Conv2d(x, w, Zeros(Float64, 3), g) }, "tensor.Conv2d", "bias [3]")
	expectPanic(t, func() { Conv2d(x, Zeros(Float32, 4, 2, 3, 3), nil, g) }, "tensor.Conv2d", "float32")
	expectPanic(t, func() { Conv2dInput(Zeros(Float64, 1, 4, 4, 3), w, g) }, "tensor.Conv2dInput", "[1 4 4 3]", "[1 4 3 3]")
	expectPanic(t, func() { Conv2dWeight(Zeros(Float64, 1, 4, 3, 3), Zeros(Float64, 1, 2, 5, 4), g) }, "tensor.Conv2dWeight", "[1 2 5 4]")
}

// Under ConvAuto each pass takes the tile autoTile's rules give: F2 for a training forward, F4
// for a forward-only one from 32x32 on, F4 for weight gradients from 32x32 on (F2 below), F4 or
// direct for input gradients. The tile a pass ran with shows in its bits: each is compared with
// the same pass forced to F4 (ConvWinograd4), F2 (ConvWinograd) and direct, which give three
// different roundings.
func TestAutoPicksTilePerPass(t *testing.T) {
	saved := SetConvAlgorithm(ConvAuto)
	defer SetConvAlgorithm(saved)
	rng := NewRNG(35)
	for _, c := range []struct {
		name     string
		g        ConvGeom
		cout     int
		pass     convPass
		dt       DType
		training ConvAlgorithm // what auto runs when a gradient will be taken
		infer    ConvAlgorithm // and when none will
	}{
		// 32 channels at 32x32: F2 in training, F4 forward-only.
		{"Conv 32ch 32x32", NewConvGeom(1, 32, 34, 34, 3, 3, 1, 1, 0, 0, 1, 1), 32, forwardPass, Float32, ConvWinograd, ConvWinograd4},
		// The generator's residual blocks at 128x128 (32x32 planes), padding 1 instead of a
		// reflection pad: the same choice.
		{"Conv 256ch 32x32 pad 1", NewConvGeom(1, 256, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1), 256, forwardPass, Float32, ConvWinograd, ConvWinograd4},
		// Below 32x32 forward-only keeps the training choice.
		{"Conv 128ch 16x16", NewConvGeom(1, 128, 18, 18, 3, 3, 1, 1, 0, 0, 1, 1), 128, forwardPass, Float32, ConvWinograd, ConvWinograd},
		// Fewer than 32 channels: direct.
		{"Conv 16ch 32x32", NewConvGeom(1, 16, 34, 34, 3, 3, 1, 1, 0, 0, 1, 1), 16, forwardPass, Float32, ConvDirect, ConvDirect},
		// Weight gradients: F4 from 32x32, F2 below.
		{"ConvWeight 64ch 32x32", NewConvGeom(1, 64, 34, 34, 3, 3, 1, 1, 0, 0, 1, 1), 64, weightPass, Float32, ConvWinograd4, ConvWinograd4},
		{"ConvWeight 64ch 16x16", NewConvGeom(1, 64, 18, 18, 3, 3, 1, 1, 0, 0, 1, 1), 64, weightPass, Float32, ConvWinograd, ConvWinograd},
		// Input gradients (or a transposed convolution's forward): F4 from 32x32 at 64 channels,
		// direct below and at 32 channels until 64x64.
		{"ConvInput 256ch 64x64", NewConvGeom(1, 256, 66, 66, 3, 3, 1, 1, 0, 0, 1, 1), 256, inputPass, Float32, ConvWinograd4, ConvWinograd4},
		{"ConvInput 64ch 32x32", NewConvGeom(1, 64, 34, 34, 3, 3, 1, 1, 0, 0, 1, 1), 64, inputPass, Float32, ConvWinograd4, ConvWinograd4},
		{"ConvInput 32ch 32x32", NewConvGeom(1, 32, 34, 34, 3, 3, 1, 1, 0, 0, 1, 1), 32, inputPass, Float32, ConvDirect, ConvDirect},
		{"ConvInput 64ch 16x16", NewConvGeom(1, 64, 18, 18, 3, 3, 1, 1, 0, 0, 1, 1), 64, inputPass, Float32, ConvDirect, ConvDirect},
		// float64 always runs direct.
		{"Conv 32ch 32x32 float64", NewConvGeom(1, 32, 34, 34, 3, 3, 1, 1, 0, 0, 1, 1), 32, forwardPass, Float64, ConvDirect, ConvDirect},
	} {
		g := c.g
		x := Uniform(rng, c.dt, -1, 1, g.N, g.C, g.H, g.W)
		w := Uniform(rng, c.dt, -0.1, 0.1, c.cout, g.C, 3, 3)
		b := Uniform(rng, c.dt, -1, 1, c.cout)
		dy := Uniform(rng, c.dt, -1, 1, g.N, c.cout, g.OH, g.OW)
		run := func(algo ConvAlgorithm, forwardOnly bool) []float64 {
			SetConvAlgorithm(algo)
			gg := g
			gg.ForwardOnly = forwardOnly
			switch c.pass {
			case inputPass:
				return Conv2dInput(dy, w, gg).Float64s()
			case weightPass:
				return Conv2dWeight(dy, x, gg).Float64s()
			}
			return Conv2d(x, w, b, gg).Float64s()
		}
		forced := map[ConvAlgorithm][]float64{}
		for _, algo := range []ConvAlgorithm{ConvDirect, ConvWinograd, ConvWinograd4} {
			forced[algo] = run(algo, false)
			// Forcing an algorithm overrides ForwardOnly.
			if !sameBits(run(algo, true), forced[algo]) {
				t.Errorf("%s: %s gives other bits when forward-only", c.name, algo)
			}
		}
		if c.dt == Float32 && (sameBits(forced[ConvDirect], forced[ConvWinograd]) || sameBits(forced[ConvWinograd], forced[ConvWinograd4])) {
			t.Fatalf("%s: direct, F2 and F4 give the same bits, so this test cannot tell them apart", c.name)
		}
		for _, fo := range []bool{false, true} {
			want := c.training
			if fo {
				want = c.infer
			}
			got := run(ConvAuto, fo)
			if !sameBits(got, forced[want]) {
				ran := "none of direct, F2, F4"
				for algo, bits := range forced {
					if sameBits(got, bits) {
						ran = algo.String()
					}
				}
				t.Errorf("%s forward-only=%v: auto ran %s, want %s", c.name, fo, ran, want)
			}
		}
	}
}

// The swapped form computes the same pass, so it keeps ForwardOnly.
func TestSwappedGeomKeepsForwardOnly(t *testing.T) {
	for _, fo := range []bool{false, true} {
		g := NewConvGeom(1, 64, 262, 262, 7, 7, 1, 1, 0, 0, 1, 1)
		g.ForwardOnly = fo
		if s := swappedGeom(g, 3); s.ForwardOnly != fo {
			t.Errorf("ForwardOnly %v: the swapped geometry has %v", fo, s.ForwardOnly)
		}
	}
}
