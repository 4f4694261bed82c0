package nn

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// DefaultBatchNormMomentum is PyTorch's default momentum of the running statistics.
const DefaultBatchNormMomentum = 0.1

// BatchNorm2dOptions are the optional settings of BatchNorm2d; the zero value is PyTorch's
// default: eps 1e-5, momentum 0.1, affine, with running statistics.
type BatchNorm2dOptions struct {
	Eps float64 // added to the variance inside the square root; 0 means 1e-5
	// Momentum is the weight of each new batch in the running statistics; 0 means 0.1.
	Momentum float64
	// CumulativeAverage makes the running statistics the plain average of all batches seen
	// (PyTorch's momentum=None): the momentum of batch k is 1/k.
	CumulativeAverage bool
	NoAffine          bool // PyTorch's affine=False: no weight and bias
	// NoRunningStats keeps no running statistics (track_running_stats=False): evaluation
	// normalizes with the batch's own statistics, as training does.
	NoRunningStats bool
}

// BatchNorm2d normalizes every channel over the batch and the image (PyTorch's nn.BatchNorm2d,
// Ioffe and Szegedy 2015):
//
//	y = (x − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c]
//
// In training mode mean and var are the batch's: the mean and the biased variance (divided by
// N·H·W) over the batch, height and width of channel c, and each batch updates the running
// statistics with momentum m,
//
//	running_mean = (1 − m)·running_mean + m·mean,  running_var = (1 − m)·running_var + m·var·n/(n − 1)
//
// with the unbiased variance (n = N·H·W), as PyTorch does; num_batches_tracked counts the batches.
// In evaluation mode (SetTraining(false)) mean and var are the running statistics, so the layer
// is the per-channel affine map y = x·scale[c] + shift[c] and each image is normalized on its own.
// The gradient of the training mode flows through the batch statistics as well (it is a
// composite of Mean, Variance and elementwise ops); running statistics are constants.
//
// Shape: input [N, C, H, W], output the same.
//
// Parameters: weight [C] (ones) and bias [C] (zeros) unless NoAffine. Buffers (NamedBuffers):
// running_mean [C] (zeros), running_var [C] (ones) and num_batches_tracked (a scalar, float64
// here where PyTorch's is int64), unless NoRunningStats. The buffers stay in float32 on the CPU
// whatever Cast and To do to the parameters; Forward converts them to the input's dtype and
// device where it reads them.
type BatchNorm2d struct {
	NumFeatures       int
	Eps               float64
	Momentum          float64
	CumulativeAverage bool
	Weight, Bias      *autograd.Var // [C], nil with NoAffine
	RunningMean       *tensor.Tensor
	RunningVar        *tensor.Tensor
	NumBatchesTracked *tensor.Tensor // float64 scalar
	// Training selects the batch's statistics and updates the running ones (true on creation,
	// as in PyTorch); SetTraining sets it.
	Training bool
}

// NewBatchNorm2d returns a BatchNorm2d for numFeatures channels, in float32 on the CPU.
func NewBatchNorm2d(numFeatures int, o BatchNorm2dOptions) *BatchNorm2d {
	if numFeatures < 1 || o.Eps < 0 || o.Momentum < 0 || o.Momentum > 1 {
		panic(fmt.Sprintf("nn.NewBatchNorm2d: %d features, eps %g, momentum %g: want at least one feature, eps ≥ 0 and momentum in [0, 1]",
			numFeatures, o.Eps, o.Momentum))
	}
	b := &BatchNorm2d{NumFeatures: numFeatures, Eps: o.Eps, Momentum: o.Momentum, CumulativeAverage: o.CumulativeAverage, Training: true}
	if b.Eps == 0 {
		b.Eps = DefaultInstanceNormEps
	}
	if b.Momentum == 0 {
		b.Momentum = DefaultBatchNormMomentum
	}
	if !o.NoAffine {
		b.Weight = newParam(tensor.Ones(tensor.Float32, numFeatures))
		b.Bias = newParam(tensor.Zeros(tensor.Float32, numFeatures))
	}
	if !o.NoRunningStats {
		b.RunningMean = tensor.Zeros(tensor.Float32, numFeatures)
		b.RunningVar = tensor.Ones(tensor.Float32, numFeatures)
		b.NumBatchesTracked = tensor.Scalar(tensor.Float64, 0)
	}
	return b
}

// Forward normalizes x with the batch's statistics in training mode (or without running
// statistics) and with the running statistics in evaluation mode.
func (b *BatchNorm2d) Forward(x *autograd.Var) *autograd.Var {
	if x.Value.NDim() != 4 || x.Value.Dim(1) != b.NumFeatures {
		panic(fmt.Sprintf("nn.BatchNorm2d: input %v, want [N, %d, H, W]", x.Shape(), b.NumFeatures))
	}
	if b.Training || b.RunningMean == nil {
		return b.forwardBatch(x)
	}
	c := b.NumFeatures
	mean, rstd := b.like(b.RunningMean, x), tensor.PowScalar(tensor.AddScalar(b.like(b.RunningVar, x), b.Eps), -0.5)
	// y = x·scale + shift with scale = weight·rstd and shift = bias − mean·scale: two passes
	// over x instead of four, as PyTorch's evaluation kernel folds them.
	var scale, shift *autograd.Var
	if b.Weight != nil {
		scale = autograd.Mul(b.Weight, autograd.Constant(rstd))
		shift = autograd.Sub(b.Bias, autograd.Mul(autograd.Constant(mean), scale))
	} else {
		scale, shift = autograd.Constant(rstd), autograd.Constant(tensor.Neg(tensor.Mul(mean, rstd)))
	}
	return autograd.Add(autograd.Mul(x, autograd.Reshape(scale, c, 1, 1)), autograd.Reshape(shift, c, 1, 1))
}

// forwardBatch normalizes with the batch's statistics and, in training mode with running
// statistics, updates them.
func (b *BatchNorm2d) forwardBatch(x *autograd.Var) *autograd.Var {
	axes := []int{0, 2, 3}
	n := x.Value.Numel() / b.NumFeatures
	if n < 2 {
		panic(fmt.Sprintf("nn.BatchNorm2d: input %v has one value per channel; training needs more to take a variance", x.Shape()))
	}
	mean := autograd.Mean(x, axes, true)
	variance := autograd.Variance(x, axes, true, 0) // biased, as PyTorch normalizes
	y := autograd.Div(autograd.Sub(x, mean), autograd.Sqrt(autograd.AddScalar(variance, b.Eps)))
	if b.Training && b.RunningMean != nil {
		b.updateRunningStats(mean.Value, variance.Value, n)
	}
	if b.Weight == nil {
		return y
	}
	c := b.NumFeatures
	return autograd.Add(autograd.Mul(y, autograd.Reshape(b.Weight, c, 1, 1)), autograd.Reshape(b.Bias, c, 1, 1))
}

// updateRunningStats moves the running statistics towards the batch's mean and unbiased
// variance, in place (the tensors keep their identity for whoever holds them).
func (b *BatchNorm2d) updateRunningStats(mean, biasedVar *tensor.Tensor, n int) {
	count := b.NumBatchesTracked.Item() + 1
	b.NumBatchesTracked.Fill(count)
	m := b.Momentum
	if b.CumulativeAverage {
		m = 1 / count
	}
	c := b.NumFeatures
	toBuffer := func(t *tensor.Tensor) *tensor.Tensor {
		return tensor.Cast(tensor.Reshape(t, c), b.RunningMean.DType()).To(b.RunningMean.Backend())
	}
	newMean := tensor.Add(tensor.Scale(b.RunningMean, 1-m), tensor.Scale(toBuffer(mean), m))
	unbiased := tensor.Scale(toBuffer(biasedVar), float64(n)/float64(n-1))
	newVar := tensor.Add(tensor.Scale(b.RunningVar, 1-m), tensor.Scale(unbiased, m))
	tensor.CopyInto(b.RunningMean, newMean)
	tensor.CopyInto(b.RunningVar, newVar)
}

// like returns buffer t in x's dtype and on x's device.
func (b *BatchNorm2d) like(t *tensor.Tensor, x *autograd.Var) *tensor.Tensor {
	return tensor.Cast(t, x.DType()).To(x.Value.Backend())
}

// NamedParameters returns "weight" and "bias", or nothing with NoAffine.
func (b *BatchNorm2d) NamedParameters() []NamedParam {
	return paramList(NamedParam{"weight", b.Weight}, NamedParam{"bias", b.Bias})
}

// NamedBuffers returns "running_mean", "running_var" and "num_batches_tracked", the layer's own
// tensors, or nothing with NoRunningStats.
func (b *BatchNorm2d) NamedBuffers() []NamedBuffer {
	if b.RunningMean == nil {
		return nil
	}
	return []NamedBuffer{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}, {"num_batches_tracked", b.NumBatchesTracked}}
}

// SetTraining selects training or evaluation mode.
func (b *BatchNorm2d) SetTraining(training bool) { b.Training = training }

func (b *BatchNorm2d) String() string {
	momentum := fmt.Sprint(b.Momentum)
	if b.CumulativeAverage {
		momentum = "None"
	}
	return fmt.Sprintf("BatchNorm2d(%d, eps=%g, momentum=%s, affine=%s, track_running_stats=%s)",
		b.NumFeatures, b.Eps, momentum, pyBool(b.Weight != nil), pyBool(b.RunningMean != nil))
}
