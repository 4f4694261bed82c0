package shiftconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// geoms are ragged convolutions: 1 to 5 channels on either side (so that the last block of
// output channels is partial), every kernel size CycleGAN's and small networks use, padding
// from none to KH−1, non-square kernels and images, images narrower than a chunk and wider than
// a tile, and batches of two.
func geoms() []Geom {
	gs := []Geom{
		{N: 1, C: 3, H: 20, W: 23, Cout: 5, KH: 7, KW: 7, PadH: 3, PadW: 3},
		{N: 2, C: 5, H: 17, W: 9, Cout: 3, KH: 7, KW: 7, PadH: 3, PadW: 3},
		{N: 1, C: 1, H: 1, W: 1, Cout: 1, KH: 1, KW: 1},
		{N: 1, C: 2, H: 4, W: 3, Cout: 4, KH: 3, KW: 2, PadH: 2, PadW: 1},
		{N: 2, C: 4, H: 13, W: 11, Cout: 2, KH: 5, KW: 5, PadH: 4, PadW: 0},
		{N: 1, C: 1, H: 50, W: 70, Cout: 1, KH: 3, KW: 3, PadH: 1, PadW: 1},
		{N: 1, C: 3, H: 9, W: 8, Cout: 9, KH: 2, KW: 3},
		{N: 1, C: 7, H: 6, W: 5, Cout: 2, KH: 1, KW: 1},
		// More than one segment of the weight gradient's positions.
		{N: 1, C: 2, H: 100, W: 90, Cout: 3, KH: 3, KW: 3, PadH: 1, PadW: 1},
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 12 {
		k := []int{1, 2, 3, 5, 7}[rng.IntN(5)]
		padH, padW := rng.IntN(k), rng.IntN(k)
		// The smallest images with at least one output, and up to 11 more rows and 14 more columns.
		h, w := max(1, k-2*padH)+rng.IntN(12), max(1, k-2*padW)+rng.IntN(15)
		gs = append(gs, Geom{N: 1 + rng.IntN(2), C: 1 + rng.IntN(5), H: h, W: w,
			Cout: 1 + rng.IntN(5), KH: k, KW: k, PadH: padH, PadW: padW})
	}
	return gs
}

// refForward is the convolution in float64, and the sum of its terms' magnitudes (the scale
// against which float32 rounding is measured).
func refForward(x, w, bias []float32, g Geom) (y, scale []float64) {
	oh, ow := g.OutH(), g.OutW()
	y, scale = make([]float64, g.N*g.Cout*oh*ow), make([]float64, g.N*g.Cout*oh*ow)
	for n := range g.N {
		for o := range g.Cout {
			for r := range oh {
				for s := range ow {
					var sum, abs float64
					if bias != nil {
						sum, abs = float64(bias[o]), math.Abs(float64(bias[o]))
					}
					for c := range g.C {
						for i := range g.KH {
							for j := range g.KW {
								xr, xs := r+i-g.PadH, s+j-g.PadW
								if xr < 0 || xr >= g.H || xs < 0 || xs >= g.W {
									continue
								}
								term := float64(w[((o*g.C+c)*g.KH+i)*g.KW+j]) * float64(x[((n*g.C+c)*g.H+xr)*g.W+xs])
								sum += term
								abs += math.Abs(term)
							}
						}
					}
					at := ((n*g.Cout+o)*oh+r)*ow + s
					y[at], scale[at] = sum, abs
				}
			}
		}
	}
	return y, scale
}

// refWeight is the weight gradient in float64, and its terms' magnitudes.
func refWeight(dy, x []float32, g Geom) (dw, scale []float64) {
	oh, ow := g.OutH(), g.OutW()
	dw, scale = make([]float64, g.Cout*g.C*g.KH*g.KW), make([]float64, g.Cout*g.C*g.KH*g.KW)
	for n := range g.N {
		for o := range g.Cout {
			for c := range g.C {
				for i := range g.KH {
					for j := range g.KW {
						at := ((o*g.C+c)*g.KH+i)*g.KW + j
						for r := range oh {
							for s := range ow {
								xr, xs := r+i-g.PadH, s+j-g.PadW
								if xr < 0 || xr >= g.H || xs < 0 || xs >= g.W {
									continue
								}
								term := float64(dy[((n*g.Cout+o)*oh+r)*ow+s]) * float64(x[((n*g.C+c)*g.H+xr)*g.W+xs])
								dw[at] += term
								scale[at] += math.Abs(term)
							}
						}
					}
				}
			}
		}
	}
	return dw, scale
}

// checkAgainst compares float32 results with float64 ones: each may be off by the float32
// rounding of a sum of its terms, 1e-6 of their magnitudes (a few ulps for the longest sums
// here), and the guard past the end of got must still be NaN.
func checkAgainst(t *testing.T, name string, got []float32, n int, want, scale []float64) {
	t.Helper()
	for i, v := range got {
		if i >= n {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("%s: wrote %v past the end of the result (index %d of %d)", name, v, i, n)
			}
			continue
		}
		if d := math.Abs(float64(v) - want[i]); !(d <= 1e-6*scale[i]+1e-30) {
			t.Fatalf("%s: element %d is %v, want %v (scale %.3g)", name, i, v, want[i], scale[i])
		}
	}
}

// TestForwardAgainstReference checks Forward on every path, with and without a bias, against
// the float64 convolution, with a workspace full of NaN (which must not matter).
func TestForwardAgainstReference(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ *path) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, g := range geoms() {
			x := normals(rng, g.N*g.C*g.H*g.W)
			w := normals(rng, g.Cout*g.C*g.KH*g.KW)
			for _, bias := range [][]float32{nil, normals(rng, g.Cout)} {
				name := fmt.Sprintf("%+v bias=%v", g, bias != nil)
				n := g.N * g.Cout * g.OutH() * g.OutW()
				y := nanBuffer(n + 3)
				Forward(y, x, w, bias, g, nanBuffer(ForwardWorkspace(g)))
				want, scale := refForward(x, w, bias, g)
				checkAgainst(t, name, y, n, want, scale)
			}
		}
	})
}

// TestWeightAgainstReference checks Weight on every path against the float64 weight
// gradient, summed over the batch, with a workspace full of NaN.
func TestWeightAgainstReference(t *testing.T) {
	forEachPath(t, func(t *testing.T, _ *path) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, g := range geoms() {
			x := normals(rng, g.N*g.C*g.H*g.W)
			dy := normals(rng, g.N*g.Cout*g.OutH()*g.OutW())
			n := g.Cout * g.C * g.KH * g.KW
			dw := nanBuffer(n + 3)
			Weight(dw, dy, x, g, nanBuffer(WeightWorkspace(g)))
			want, scale := refWeight(dy, x, g)
			checkAgainst(t, fmt.Sprintf("%+v", g), dw, n, want, scale)
		}
	})
}

// TestWeightIsDeterministic runs Weight twice on a gradient of several segments: the threads
// share the work differently each time, and the sums must not change by a bit.
func TestWeightIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	g := Geom{N: 2, C: 3, H: 120, W: 110, Cout: 3, KH: 7, KW: 7, PadH: 3, PadW: 3}
	x := normals(rng, g.N*g.C*g.H*g.W)
	dy := normals(rng, g.N*g.Cout*g.OutH()*g.OutW())
	ws := make([]float32, WeightWorkspace(g))
	first := make([]float32, g.Cout*g.C*g.KH*g.KW)
	Weight(first, dy, x, g, ws)
	for round := range 5 {
		again := make([]float32, len(first))
		Weight(again, dy, x, g, ws)
		for i := range first {
			if math.Float32bits(first[i]) != math.Float32bits(again[i]) {
				t.Fatalf("round %d: dw[%d] = %v, first run %v", round, i, again[i], first[i])
			}
		}
	}
}

// TestRejectsBadArguments checks that a short buffer or an impossible geometry panics with a
// message instead of letting the assembly read or write out of bounds.
func TestRejectsBadArguments(t *testing.T) {
	g := Geom{N: 1, C: 2, H: 5, W: 5, Cout: 2, KH: 3, KW: 3, PadH: 1, PadW: 1}
	x, w, y := make([]float32, 50), make([]float32, 36), make([]float32, 50)
	cases := map[string]func(){
		"short workspace": func() { Forward(y, x, w, nil, g, make([]float32, ForwardWorkspace(g)-1)) },
		"short input":     func() { Forward(y, x[:49], w, nil, g, make([]float32, ForwardWorkspace(g))) },
		"short bias":      func() { Forward(y, x, w, []float32{1}, g, make([]float32, ForwardWorkspace(g))) },
		"short gradient":  func() { Weight(w, y[:49], x, g, make([]float32, WeightWorkspace(g))) },
		"kernel too big": func() {
			g := Geom{N: 1, C: 1, H: 2, W: 2, Cout: 1, KH: 5, KW: 5, PadH: 1, PadW: 1}
			Forward(y, x, w, nil, g, make([]float32, 1000))
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Fatal("did not panic")
				} else if s := fmt.Sprint(r); len(s) < 20 {
					t.Fatalf("panic message %q says too little", s)
				}
			}()
			f()
		})
	}
}
