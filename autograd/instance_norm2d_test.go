package autograd

import (
	"math"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

func TestInstanceNorm2dForward(t *testing.T) {
	rng := tensor.NewRNG(31)
	x := layerRandn(rng, 2, 3, 4, 5)
	xs := tensor.Scale(tensor.AddScalar(x, 3), 2).Float64s() // a mean and spread far from 0 and 1
	w, b := layerRandn(rng, 3), layerRandn(rng, 3)
	const eps = 1e-5
	in := tensor.FromFloat64(xs, 2, 3, 4, 5)
	plain := InstanceNorm2d(Constant(in), nil, nil, eps).Value.Float64s()
	affine := InstanceNorm2d(Constant(in), Constant(w), Constant(b), eps).Value.Float64s()
	for p := range 6 {
		plane := xs[p*20:][:20]
		var mean, sq float64
		for _, v := range plane {
			mean += v / 20
		}
		for _, v := range plane {
			sq += (v - mean) * (v - mean) / 20 // biased variance
		}
		for i, v := range plane {
			want := (v - mean) / math.Sqrt(sq+eps)
			if d := math.Abs(plain[p*20+i] - want); d > 1e-12 {
				t.Fatalf("plane %d element %d: %g, want %g", p, i, plain[p*20+i], want)
			}
			c := p % 3
			wantAffine := want*w.Float64s()[c] + b.Float64s()[c]
			if d := math.Abs(affine[p*20+i] - wantAffine); d > 1e-12 {
				t.Fatalf("affine plane %d element %d: %g, want %g", p, i, affine[p*20+i], wantAffine)
			}
		}
	}
}

func TestInstanceNorm2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(32)
	cases := []struct {
		name   string
		shape  []int
		affine bool
		eps    float64
	}{
		{"batch1 affine off odd", []int{1, 2, 3, 5}, false, 1e-5},
		{"batch3 affine on even", []int{3, 2, 4, 2}, true, 1e-5},
		{"3-D input affine on", []int{3, 3, 3}, true, 1e-5},
		{"large eps affine off", []int{2, 1, 3, 3}, false, 0.5},
	}
	for _, c := range cases {
		inputs := []*tensor.Tensor{layerRandn(rng, c.shape...)}
		ch := c.shape[len(c.shape)-3]
		if c.affine {
			inputs = append(inputs, layerRandn(rng, ch), layerRandn(rng, ch))
		}
		f := func(xs []*Var) *Var {
			if c.affine {
				return InstanceNorm2d(xs[0], xs[1], xs[2], c.eps)
			}
			return InstanceNorm2d(xs[0], nil, nil, c.eps)
		}
		layerGradCheck(t, c.name, f, inputs, false)
	}
}

func TestInstanceNorm2dRejectsBadOperands(t *testing.T) {
	x := Constant(tensor.Zeros(tensor.Float64, 1, 3, 4, 4))
	layerExpectPanic(t, func() { InstanceNorm2d(Constant(tensor.Zeros(tensor.Float64, 4, 4)), nil, nil, 1e-5) },
		"autograd.InstanceNorm2d", "[4 4]")
	layerExpectPanic(t, func() { InstanceNorm2d(x, Constant(tensor.Ones(tensor.Float64, 3)), nil, 1e-5) },
		"autograd.InstanceNorm2d", "both")
	layerExpectPanic(t, func() {
		InstanceNorm2d(x, Constant(tensor.Ones(tensor.Float64, 2)), Constant(tensor.Zeros(tensor.Float64, 2)), 1e-5)
	}, "autograd.InstanceNorm2d", "[2]", "3 channels")
}
