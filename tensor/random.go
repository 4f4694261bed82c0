package tensor

import (
	"math/rand/v2"
)

// RNG is an explicit, seeded source of randomness. zebra never uses a global random source, so that
// a run is reproducible from its seed and an RNG's state can be saved in a checkpoint.
type RNG struct {
	pcg *rand.PCG
	*rand.Rand
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	pcg := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &RNG{pcg: pcg, Rand: rand.New(pcg)}
}

// MarshalBinary saves the generator's state.
func (r *RNG) MarshalBinary() ([]byte, error) { return r.pcg.MarshalBinary() }

// UnmarshalBinary restores a state saved by MarshalBinary.
func (r *RNG) UnmarshalBinary(data []byte) error { return r.pcg.UnmarshalBinary(data) }

// Uniform returns a CPU tensor of values drawn uniformly from [lo, hi).
func Uniform(rng *RNG, dt DType, lo, hi float64, shape ...int) *Tensor {
	checkShape("tensor.Uniform", shape)
	data := make([]float64, Numel(shape))
	for i := range data {
		data[i] = lo + (hi-lo)*rng.Float64()
	}
	return Cast(FromFloat64(data, shape...), dt)
}

// Normal returns a CPU tensor of values drawn from the normal distribution N(mean, std²).
func Normal(rng *RNG, dt DType, mean, std float64, shape ...int) *Tensor {
	checkShape("tensor.Normal", shape)
	data := make([]float64, Numel(shape))
	for i := range data {
		data[i] = mean + std*rng.NormFloat64()
	}
	return Cast(FromFloat64(data, shape...), dt)
}
