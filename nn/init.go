package nn

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/tensor"
)

// The Init functions overwrite a tensor in place, as torch.nn.init's trailing-underscore functions
// do. Random values are drawn on the CPU from the given generator, in row-major order, and copied
// to the tensor's backend, so a seed gives the same parameters on every device.

// InitNormal fills t with draws from the normal distribution N(mean, std²) (torch.nn.init.normal_;
// CycleGAN initializes its convolution weights with N(0, 0.02²)).
func InitNormal(t *tensor.Tensor, rng *tensor.RNG, mean, std float64) {
	fillFrom(t, tensor.Normal(rng, t.DType(), mean, std, t.Shape()...))
}

// InitUniform fills t with draws from the uniform distribution on [lo, hi)
// (torch.nn.init.uniform_).
func InitUniform(t *tensor.Tensor, rng *tensor.RNG, lo, hi float64) {
	fillFrom(t, tensor.Uniform(rng, t.DType(), lo, hi, t.Shape()...))
}

// InitZeros sets every element of t to 0 (torch.nn.init.zeros_).
func InitZeros(t *tensor.Tensor) { t.Fill(0) }

// InitConstant sets every element of t to v (torch.nn.init.constant_).
func InitConstant(t *tensor.Tensor, v float64) { t.Fill(v) }

// InitKaimingUniform fills t with draws from U(−bound, bound), bound = gain·sqrt(3 / fan_in),
// gain = sqrt(2 / (1 + a²)): torch.nn.init.kaiming_uniform_ for a leaky ReLU of negative slope a,
// in PyTorch's default fan_in mode (see FanIn).
func InitKaimingUniform(t *tensor.Tensor, rng *tensor.RNG, a float64) {
	gain := math.Sqrt(2 / (1 + a*a))
	bound := gain * math.Sqrt(3/float64(FanIn(t)))
	InitUniform(t, rng, -bound, bound)
}

// FanIn is the number of inputs that each output of a layer with weight w sums over, as PyTorch
// computes it: w.Dim(1) times the product of the remaining (kernel) dimensions. For a Conv2d weight
// [out, in, KH, KW] that is in·KH·KW. For a ConvTranspose2d weight [in, out, KH, KW] PyTorch's
// formula gives out·KH·KW, which is what its default initialization uses, so we do the same.
func FanIn(w *tensor.Tensor) int {
	if w.NDim() < 2 {
		panic(fmt.Sprintf("nn.FanIn: weight %v needs at least 2 dimensions", w.Shape()))
	}
	n := w.Dim(1)
	for _, d := range w.Shape()[2:] {
		n *= d
	}
	return n
}

// InitConvDefault is PyTorch's default initialization of a convolution (reset_parameters of
// Conv2d and ConvTranspose2d): kaiming_uniform_ with a = √5 for the weight, which works out to
// U(±1/sqrt(fan_in)), and U(±1/sqrt(fan_in)) for the bias, which may be nil. The weight is drawn
// first, then the bias.
func InitConvDefault(weight, bias *tensor.Tensor, rng *tensor.RNG) {
	InitKaimingUniform(weight, rng, math.Sqrt(5))
	if bias != nil {
		bound := 1 / math.Sqrt(float64(FanIn(weight)))
		InitUniform(bias, rng, -bound, bound)
	}
}

// fillFrom copies the CPU tensor src into t, on whatever backend t lives.
func fillFrom(t, src *tensor.Tensor) {
	tensor.CopyInto(t, src.To(t.Backend()))
}
