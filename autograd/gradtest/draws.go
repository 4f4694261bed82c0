package gradtest

import "github.com/zebra-go/zebra/tensor"

// Normal is a float64 tensor of standard normal values.
func Normal(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	return tensor.Normal(rng, tensor.Float64, 0, 1, shape...)
}

// Uniform is a float64 tensor of values drawn from [lo, hi).
func Uniform(rng *tensor.RNG, lo, hi float64, shape ...int) *tensor.Tensor {
	return tensor.Uniform(rng, tensor.Float64, lo, hi, shape...)
}

// Positive draws from [0.2, 3): inside the domain of log, sqrt and fractional powers, and far enough
// from 0 that their derivatives stay moderate.
func Positive(rng *tensor.RNG, shape ...int) *tensor.Tensor { return Uniform(rng, 0.2, 3, shape...) }

// AwayFromZero draws 0.1 ≤ |x| < 2 with random signs, for functions with a kink at 0 (ReLU, |x|)
// or a pole there (a denominator).
func AwayFromZero(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	x := Uniform(rng, 0.1, 2, shape...)
	data := tensor.CPUFloat64s(x)
	for i := range data {
		if rng.IntN(2) == 0 {
			data[i] = -data[i]
		}
	}
	return x
}

// Grid draws offset + k + u, with k a random integer in [-2, 2] and |u| < 0.2. Two tensors drawn
// with offsets 0 and 0.5 are never within 0.1 of each other, so their elementwise maximum or
// minimum has no near-ties, while which side wins still varies from element to element.
func Grid(rng *tensor.RNG, offset float64, shape ...int) *tensor.Tensor {
	x := Uniform(rng, -0.2, 0.2, shape...)
	data := tensor.CPUFloat64s(x)
	for i := range data {
		data[i] += offset + float64(rng.IntN(5)-2)
	}
	return x
}

// Distinct draws values at least 0.15 apart in a random order, so that the maximum or minimum of
// any group of them is unique and stays so under a finite-difference step (max and min reductions,
// max pooling).
func Distinct(rng *tensor.RNG, shape ...int) *tensor.Tensor {
	x := Uniform(rng, -0.05, 0.05, shape...)
	data := tensor.CPUFloat64s(x)
	for i, k := range rng.Perm(len(data)) {
		data[i] += 0.25 * float64(k-len(data)/2)
	}
	return x
}
