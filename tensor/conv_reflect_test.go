package tensor

import (
	"math"
	"testing"
)

// reflectTwoCalls is ReflectPad2dConv2dInput's definition: the input gradient of the padded
// image, then the pad's adjoint.
func reflectTwoCalls(dy, w *Tensor, g ConvGeom, p Pad2d) *Tensor {
	shape := []int{g.N, g.C, g.H - p.Top - p.Bottom, g.W - p.Left - p.Right}
	return ReflectPad2dBackward(Conv2dInput(dy, w, g), shape, p)
}

// TestReflectPad2dConv2dInput compares the one call with its definition evaluated in float64,
// under every algorithm: where the CPU takes winograd.ConvInputReflect (float32, a one-pixel
// pad, 3×3) within Winograd's tolerances (internal/winograd's winograd_test.go: F2 2.5e-6, F4
// 3e-5 of the largest value), and bit for bit where it falls back to the two calls. The shapes
// are a residual block of the demo model at 32x32 and 16x16 (auto: F4, and the fallback), a
// ragged batch of 2, and pads it does not handle (2 pixels; asymmetric).
func TestReflectPad2dConv2dInput(t *testing.T) {
	saved := SetConvAlgorithm(ConvAuto)
	defer SetConvAlgorithm(saved)
	one := Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}
	rng := NewRNG(41)
	for _, c := range []struct {
		name     string
		x        []int // the unpadded image
		cout     int
		p        Pad2d
		autoFast bool // auto takes ConvInputReflect: F4
	}{
		{"64ch 32x32", []int{1, 64, 32, 32}, 64, one, true},
		{"64ch 16x16", []int{1, 64, 16, 16}, 64, one, false},
		{"ragged batch 2", []int{2, 5, 9, 6}, 3, one, false},
		{"pad 2", []int{1, 4, 8, 8}, 4, Pad2d{Left: 2, Right: 2, Top: 2, Bottom: 2}, false},
		{"asymmetric", []int{1, 4, 8, 7}, 4, Pad2d{Left: 1, Right: 0, Top: 1, Bottom: 1}, false},
	} {
		h, w := c.x[2]+c.p.Top+c.p.Bottom, c.x[3]+c.p.Left+c.p.Right
		g := NewConvGeom(c.x[0], c.x[1], h, w, 3, 3, 1, 1, 0, 0, 1, 1)
		w32 := Normal(rng, Float32, 0, 0.1, c.cout, c.x[1], 3, 3)
		dy32 := Normal(rng, Float32, 0, 1, g.N, c.cout, g.OH, g.OW)
		SetConvAlgorithm(ConvDirect)
		ref := reflectTwoCalls(Cast(dy32, Float64), Cast(w32, Float64), g, c.p).Float64s()
		maxRef := 0.0
		for _, v := range ref {
			maxRef = max(maxRef, math.Abs(v))
		}
		results := map[ConvAlgorithm][]float64{}
		for _, algo := range []ConvAlgorithm{ConvDirect, ConvWinograd, ConvWinograd4, ConvAuto} {
			SetConvAlgorithm(algo)
			got := ReflectPad2dConv2dInput(dy32, w32, g, c.p).Float64s()
			results[algo] = got
			worst := 0.0
			for i, v := range got {
				worst = max(worst, math.Abs(v-ref[i])/maxRef)
			}
			tol := map[ConvAlgorithm]float64{ConvDirect: 1e-6, ConvWinograd: 2.5e-6, ConvWinograd4: 3e-5, ConvAuto: 3e-5}[algo]
			if !(worst <= tol) {
				t.Errorf("%s under %s: relative error %.3g > %.3g", c.name, algo, worst, tol)
			}
			twoCalls := reflectTwoCalls(dy32, w32, g, c.p).Float64s()
			fast := c.p == one && algo != ConvDirect && (algo != ConvAuto || c.autoFast)
			if same := sameBits(got, twoCalls); same == fast {
				t.Errorf("%s under %s: same bits as the two calls %v, want %v (the one-pass path taken: %v)", c.name, algo, same, !fast, fast)
			}
		}
		if c.autoFast && !sameBits(results[ConvAuto], results[ConvWinograd4]) {
			t.Errorf("%s: auto does not run F4", c.name)
		}
	}
	// float64 always runs the two calls, bit for bit.
	SetConvAlgorithm(ConvWinograd4)
	g := NewConvGeom(1, 3, 10, 10, 3, 3, 1, 1, 0, 0, 1, 1)
	w64, dy64 := Normal(rng, Float64, 0, 1, 2, 3, 3, 3), Normal(rng, Float64, 0, 1, 1, 2, 8, 8)
	if !sameBits(ReflectPad2dConv2dInput(dy64, w64, g, one).Float64s(), reflectTwoCalls(dy64, w64, g, one).Float64s()) {
		t.Error("float64: the one call differs from the two")
	}
}

func TestReflectPad2dConv2dInputRejectsBadShapes(t *testing.T) {
	g := NewConvGeom(1, 2, 6, 6, 3, 3, 1, 1, 0, 0, 1, 1)
	w := Zeros(Float32, 4, 2, 3, 3)
	expectPanic(t, func() { ReflectPad2dConv2dInput(Zeros(Float32, 1, 4, 5, 4), w, g, Pad2d{1, 1, 1, 1}) }, "tensor.ReflectPad2dConv2dInput", "[1 4 5 4]")
	expectPanic(t, func() { ReflectPad2dConv2dInput(Zeros(Float32, 1, 4, 4, 4), w, g, Pad2d{3, 3, 1, 1}) }, "tensor.ReflectPad2dConv2dInput", "leaves no image")
}
