package autograd

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// TestReflectionPad2dConv2dMatchesTwoOps: the fused op gives the output and the gradients of
// ReflectionPad2d followed by Conv2d bit for bit, in float32 as training runs it, with and without
// a bias, at stride 1 and 2, and when x needs no gradient (a real image).
func TestReflectionPad2dConv2dMatchesTwoOps(t *testing.T) {
	rng := tensor.NewRNG(5)
	for _, c := range []struct {
		name    string
		x, w    []int
		pad     tensor.Pad2d
		o       Conv2dOptions
		bias    bool
		xNoGrad bool
	}{
		{"3x3 block", []int{1, 8, 9, 7}, []int{8, 8, 3, 3}, tensor.Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}, Conv2dOptions{}, true, false},
		{"7x7 image", []int{2, 3, 12, 10}, []int{4, 3, 7, 7}, tensor.Pad2d{Left: 3, Right: 3, Top: 3, Bottom: 3}, Conv2dOptions{}, true, true},
		{"asymmetric stride 2 no bias", []int{1, 2, 6, 5}, []int{3, 2, 3, 3}, tensor.Pad2d{Left: 2, Top: 1, Bottom: 2}, Conv2dOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, false, false},
	} {
		xv := tensor.Normal(rng, tensor.Float32, 0, 1, c.x...)
		wv := tensor.Normal(rng, tensor.Float32, 0, 1, c.w...)
		bv := tensor.Normal(rng, tensor.Float32, 0, 1, c.w[0])
		gy := tensor.Normal(rng, tensor.Float32, 0, 1, 1) // replaced below once the shape is known
		run := func(fused bool) (*tensor.Tensor, []*tensor.Tensor) {
			x, w := NewVar(xv.Clone(), !c.xNoGrad), NewVar(wv.Clone(), true)
			var b *Var
			if c.bias {
				b = NewVar(bv.Clone(), true)
			}
			var y *Var
			if fused {
				y = ReflectionPad2dConv2d(x, c.pad, w, b, c.o)
			} else {
				y = Conv2d(ReflectionPad2d(x, c.pad), w, b, c.o)
			}
			if gy.Numel() != y.Value.Numel() {
				gy = tensor.Normal(rng, tensor.Float32, 0, 1, y.Shape()...)
			}
			y.BackwardWith(gy)
			grads := []*tensor.Tensor{x.Grad, w.Grad}
			if b != nil {
				grads = append(grads, b.Grad)
			}
			return y.Value, grads
		}
		wantY, want := run(false)
		gotY, got := run(true)
		same := func(what string, a, b *tensor.Tensor) {
			t.Helper()
			if (a == nil) != (b == nil) {
				t.Errorf("%s: %s: fused %v, two ops %v", c.name, what, a, b)
				return
			}
			if a == nil {
				return
			}
			af, bf := a.Float32s(), b.Float32s()
			for i := range af {
				if af[i] != bf[i] {
					t.Errorf("%s: %s[%d]: fused %v, two ops %v", c.name, what, i, af[i], bf[i])
					return
				}
			}
		}
		same("output", gotY, wantY)
		for i, name := range []string{"dx", "dw", "db"}[:len(want)] {
			same(name, got[i], want[i])
		}
	}
}
