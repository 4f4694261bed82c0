package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// ReflectionPad2d pads the last two dimensions by reflecting the input at its edges, without
// repeating the edge pixel (PyTorch's nn.ReflectionPad2d): a row [1 2 3] padded by 2 on both
// sides becomes [3 2 1 2 3 2 1]. CycleGAN pads by 3 before its 7×7 convolutions and by 1 inside
// its residual blocks, so that borders look like image content rather than black frames.
//
// Shape: input [N, C, H, W] (or [C, H, W]), output [N, C, H + top + bottom, W + left + right].
// Every pad must be smaller than the dimension it pads, as in PyTorch; Forward panics otherwise,
// naming the pads and the input size.
type ReflectionPad2d struct {
	Pad tensor.Pad2d
}

// NewReflectionPad2d pads all four sides by pad; set the Pad field for four different pads.
func NewReflectionPad2d(pad int) *ReflectionPad2d {
	if pad < 0 {
		panic(fmt.Sprintf("nn.NewReflectionPad2d: negative padding %d", pad))
	}
	return &ReflectionPad2d{Pad: tensor.Pad2d{Left: pad, Right: pad, Top: pad, Bottom: pad}}
}

// Forward pads x.
func (r *ReflectionPad2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.ReflectionPad2d(x, r.Pad)
}

// NamedParameters returns nothing: the layer has no parameters.
func (r *ReflectionPad2d) NamedParameters() []NamedParam { return nil }

func (r *ReflectionPad2d) String() string {
	p := r.Pad
	return fmt.Sprintf("ReflectionPad2d((%d, %d, %d, %d))", p.Left, p.Right, p.Top, p.Bottom)
}
