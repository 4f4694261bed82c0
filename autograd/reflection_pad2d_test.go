package autograd

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

func TestReflectionPad2dForward(t *testing.T) {
	// One 3x4 plane; PyTorch: F.pad(torch.arange(12.).view(1,1,3,4), (2, 1, 1, 2), mode="reflect").
	x := tensor.Arange(tensor.Float64, 0, 12, 1)
	got := ReflectionPad2d(Constant(tensor.Reshape(x, 1, 1, 3, 4)), tensor.Pad2d{Left: 2, Right: 1, Top: 1, Bottom: 2}).Value
	want := tensor.FromFloat64([]float64{
		6, 5, 4, 5, 6, 7, 6,
		2, 1, 0, 1, 2, 3, 2,
		6, 5, 4, 5, 6, 7, 6,
		10, 9, 8, 9, 10, 11, 10,
		6, 5, 4, 5, 6, 7, 6,
		2, 1, 0, 1, 2, 3, 2,
	}, 1, 1, 6, 7)
	if d := layerMaxDiff(t, got, want); d != 0 {
		t.Errorf("got %v, want %v", got.Float64s(), want.Float64s())
	}
}

func TestReflectionPad2dGradCheck(t *testing.T) {
	rng := tensor.NewRNG(21)
	cases := []struct {
		name  string
		shape []int
		pad   tensor.Pad2d
	}{
		{"symmetric 1", []int{1, 2, 3, 3}, tensor.Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}},
		{"asymmetric batch3 even", []int{3, 1, 4, 6}, tensor.Pad2d{Left: 3, Right: 0, Top: 2, Bottom: 3}},
		{"largest allowed", []int{2, 2, 3, 2}, tensor.Pad2d{Left: 1, Right: 1, Top: 2, Bottom: 2}},
		{"3-D input", []int{2, 5, 4}, tensor.Pad2d{Left: 3, Right: 2, Top: 4, Bottom: 1}},
	}
	for _, c := range cases {
		f := func(xs []*Var) *Var { return ReflectionPad2d(xs[0], c.pad) }
		layerGradCheck(t, c.name, f, []*tensor.Tensor{layerRandn(rng, c.shape...)}, false)
	}
}

// A pad as large as the dimension would have to reflect the image more than once; PyTorch refuses
// it and so do we, with a message that names the pads and the size.
func TestReflectionPad2dTooLarge(t *testing.T) {
	x := Constant(tensor.Zeros(tensor.Float64, 1, 3, 4, 5))
	layerExpectPanic(t, func() { ReflectionPad2d(x, tensor.Pad2d{Left: 5}) }, "ReflectPad2d", "(5, 0, 0, 0)", "4x5")
	layerExpectPanic(t, func() { ReflectionPad2d(x, tensor.Pad2d{Bottom: 4}) }, "ReflectPad2d", "(0, 0, 0, 4)", "4x5")
}
