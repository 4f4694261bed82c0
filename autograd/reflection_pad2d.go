package autograd

import "github.com/zebra-go/zebra/tensor"

// ReflectionPad2d pads the last two dimensions of x ([..., H, W]) by reflecting it at its edges,
// without repeating the edge pixel, as torch.nn.functional.pad(x, (left, right, top, bottom),
// mode="reflect"): padding [1 2 3] by 2 on both sides gives [3 2 1 2 3 2 1]. The result is
// [..., H+Top+Bottom, W+Left+Right]. Each pad must be smaller than the dimension it pads (a larger
// one would need to reflect more than once); tensor.ReflectPad2d panics otherwise.
//
// Backward is the adjoint gather-to-scatter: every input pixel receives the sum of the gradients
// of all output pixels that were copies of it. It needs x's shape only, so x's value is not kept
// for it.
func ReflectionPad2d(x *Var, p tensor.Pad2d) *Var {
	out := tensor.ReflectPad2d(x.Value, p)
	shape := x.Shape()
	return Record("reflection_pad2d", out, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.ReflectPad2dBackward(g, shape, p)}
	})
}
