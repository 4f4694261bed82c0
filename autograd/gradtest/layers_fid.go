package gradtest

import (
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// The layers of the FID Inception network (models/inception): BatchNorm2d in both modes, the
// poolings and bilinear resizing. Max pooling draws distinct values, so that no window's maximum
// changes under a finite-difference step.
func init() {
	batchNorm := func(c int, training bool, o nn.BatchNorm2dOptions) func(*tensor.RNG) nn.Module {
		return func(rng *tensor.RNG) nn.Module {
			b := nn.NewBatchNorm2d(c, o)
			b.SetTraining(training)
			if b.RunningMean != nil { // statistics away from PyTorch's zeros and ones
				b.RunningMean = Normal(rng, c)
				b.RunningVar = Positive(rng, c)
			}
			return b
		}
	}
	module := func(m nn.Module) func(*tensor.RNG) nn.Module { return func(*tensor.RNG) nn.Module { return m } }

	for _, l := range []layerCase{
		{"BatchNorm2d/train", batchNorm(3, true, nn.BatchNorm2dOptions{}), []int{2, 3, 3, 3}, Normal, false},
		{"BatchNorm2d/train_noaffine", batchNorm(2, true, nn.BatchNorm2dOptions{NoAffine: true}), []int{3, 2, 2, 3}, Normal, false},
		{"BatchNorm2d/eval", batchNorm(3, false, nn.BatchNorm2dOptions{Eps: 1e-3}), []int{2, 3, 3, 2}, Normal, false},
		{"BatchNorm2d/eval_no_running_stats", batchNorm(2, false, nn.BatchNorm2dOptions{NoRunningStats: true}), []int{2, 2, 3, 3}, Normal, false},

		{"MaxPool2d/3_stride2", module(nn.NewMaxPool2d(3, nn.Pool2dOptions{Stride: 2})), []int{2, 2, 7, 5}, Distinct, false},
		{"MaxPool2d/3_stride1_pad1", module(nn.NewMaxPool2d(3, nn.Pool2dOptions{Stride: 1, Padding: 1})), []int{1, 2, 4, 5}, Distinct, false},
		{"MaxPool2d/2_ceil", module(nn.NewMaxPool2d(2, nn.Pool2dOptions{CeilMode: true})), []int{1, 3, 5, 3}, Distinct, false},

		{"AvgPool2d/3_stride1_pad1", module(nn.NewAvgPool2d(3, nn.Pool2dOptions{Stride: 1, Padding: 1})), []int{2, 2, 4, 5}, Normal, false},
		{"AvgPool2d/3_stride1_pad1_exclude", module(nn.NewAvgPool2d(3, nn.Pool2dOptions{Stride: 1, Padding: 1, ExcludePadding: true})), []int{2, 2, 4, 5}, Normal, false},
		{"AvgPool2d/3_stride2_pad1_ceil_exclude", module(nn.NewAvgPool2d(3, nn.Pool2dOptions{Stride: 2, Padding: 1, CeilMode: true, ExcludePadding: true})), []int{1, 2, 6, 5}, Normal, false},

		{"AdaptiveAvgPool2d/1x1", module(nn.NewAdaptiveAvgPool2d(1, 1)), []int{2, 3, 4, 4}, Normal, false},
		{"AdaptiveAvgPool2d/3x2", module(nn.NewAdaptiveAvgPool2d(3, 2)), []int{1, 2, 7, 5}, Normal, false},

		{"Upsample/bilinear_up", module(nn.NewUpsample(7, 5)), []int{1, 2, 3, 4}, Normal, false},
		{"Upsample/bilinear_down", module(nn.NewUpsample(3, 2)), []int{2, 2, 7, 5}, Normal, false},
	} {
		registerLayer(l.name, l.layer, l.x, l.draw, l.fast)
	}
}
