package autograd

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// InstanceNorm2d normalizes every [H, W] plane of x ([N, C, H, W] or [C, H, W]) on its own, as
// torch.nn.functional.instance_norm without running statistics:
//
//	x̂ = (x − mean) / sqrt(var + eps),   y = x̂·weight[c] + bias[c]
//
// where mean and the biased variance var (divided by H·W, not H·W − 1) are taken over the plane,
// eps sits inside the square root, and weight and bias ([C]) are the optional affine transform:
// pass both nil to leave it out (CycleGAN's choice), or both non-nil.
//
// The normalization runs as one fused kernel each way (tensor.InstanceNorm and
// InstanceNormBackward, which keep the per-plane mean and 1/std between the two). Its input
// gradient is
//
//	dx = rstd · (dŷ − mean(dŷ) − x̂ · mean(dŷ · x̂))
//
// whose two subtracted means remove any part of dŷ that is constant over a plane: that is why a
// convolution bias feeding an InstanceNorm receives a zero gradient. The affine transform is built
// from the broadcasting Mul and Add, which need no backward code of their own.
func InstanceNorm2d(x, weight, bias *Var, eps float64) *Var {
	const op = "autograd.InstanceNorm2d"
	if nd := x.Value.NDim(); nd != 3 && nd != 4 {
		panic(fmt.Sprintf("%s: input %v must be [N, C, H, W] or [C, H, W]", op, x.Shape()))
	}
	if (weight == nil) != (bias == nil) {
		panic(op + ": weight and bias must be both given (affine) or both nil")
	}
	if eps < 0 {
		panic(fmt.Sprintf("%s: eps %g must not be negative", op, eps))
	}
	y, mean, rstd := tensor.InstanceNorm(x.Value, eps)
	out := Record("instance_norm2d", y, []*Var{x}, func(g *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.InstanceNormBackward(g, x.Value, mean, rstd)}
	})
	if weight == nil {
		return out
	}
	c := x.Value.Dim(-3)
	for _, p := range []*Var{weight, bias} {
		if p.Value.NDim() != 1 || p.Value.Dim(0) != c {
			panic(fmt.Sprintf("%s: affine parameter %v does not match the %d channels of input %v", op, p.Shape(), c, x.Shape()))
		}
	}
	return Add(Mul(out, Reshape(weight, c, 1, 1)), Reshape(bias, c, 1, 1))
}
