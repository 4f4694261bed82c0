package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// DefaultKIDSubsetSize is torch-fidelity's and clean-fid's subset size, used when a set has at
// least that many images.
const DefaultKIDSubsetSize = 1000

// KIDOptions are the settings of KID.
type KIDOptions struct {
	// Subsets is the number of random subsets to average over (torch-fidelity's default is 100);
	// 0 computes the estimate once, on the full sets.
	Subsets int
	// SubsetSize is the number of images drawn from each set for each subset, without
	// replacement; 0 means min(DefaultKIDSubsetSize, smallest set). It must not exceed either set.
	SubsetSize int
	// Seed seeds the draw of the subsets: the same seed gives the same subsets.
	Seed uint64
}

// KIDResult is the KID estimate: the mean over the subsets and their standard deviation (the
// population's, numpy's std, as torch-fidelity reports it); Std is 0 for a single estimate.
type KIDResult struct {
	Mean, Std float64
	Subsets   int // the number of estimates averaged
}

// KID returns the Kernel Inception Distance between two sets of features, one row per image:
// the unbiased estimate of the squared maximum mean discrepancy with the polynomial kernel
// k(a, b) = (a·b/d + 1)³,
//
//	MMD² = Σ_{i≠j} k(xᵢ, xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ)/(n(n−1)) − 2·Σ_{i,j} k(xᵢ, yⱼ)/(mn),
//
// averaged over o.Subsets random subsets of o.SubsetSize images of each set (or computed once on
// the full sets, which may then differ in size). Unlike FID it is unbiased, so it may be slightly
// negative for two samples of one distribution. The kernel matrices of the full sets are computed
// once; each subset only sums some of their entries.
func KID(x, y [][]float64, o KIDOptions) (KIDResult, error) {
	const op = "metrics.KID"
	mx, my, err := featureMatrices(op, x, y)
	if err != nil {
		return KIDResult{}, err
	}
	if o.Subsets < 0 {
		return KIDResult{}, fmt.Errorf("%s: %d subsets", op, o.Subsets)
	}
	k := newKernels(mx, my)
	if o.Subsets == 0 {
		return KIDResult{Mean: k.mmd2(indices(len(x)), indices(len(y))), Subsets: 1}, nil
	}
	size := o.SubsetSize
	if size == 0 {
		size = min(DefaultKIDSubsetSize, len(x), len(y))
	}
	if size < 2 || size > len(x) || size > len(y) {
		return KIDResult{}, fmt.Errorf("%s: subsets of %d from sets of %d and %d images: want 2 to %d", op, size, len(x), len(y), min(len(x), len(y)))
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x4b4944)) // "KID"
	values := make([]float64, o.Subsets)
	for s := range values {
		values[s] = k.mmd2(rng.Perm(len(x))[:size], rng.Perm(len(y))[:size])
	}
	mean := 0.0
	for _, v := range values {
		mean += v
	}
	mean /= float64(len(values))
	variance := 0.0
	for _, v := range values {
		variance += (v - mean) * (v - mean)
	}
	return KIDResult{Mean: mean, Std: math.Sqrt(variance / float64(len(values))), Subsets: len(values)}, nil
}

// kernels holds the polynomial kernel between every pair of images: within x, within y and
// across.
type kernels struct {
	xx, yy, xy *mat.Dense
}

func newKernels(x, y *mat.Dense) kernels {
	_, d := x.Dims()
	poly := func(a, b *mat.Dense) *mat.Dense {
		var k mat.Dense
		k.Mul(a, b.T())
		k.Apply(func(_, _ int, v float64) float64 {
			t := v/float64(d) + 1
			return t * t * t
		}, &k)
		return &k
	}
	return kernels{xx: poly(x, x), yy: poly(y, y), xy: poly(x, y)}
}

// mmd2 is the unbiased MMD² of the images ix of x and iy of y.
func (k kernels) mmd2(ix, iy []int) float64 {
	within := func(km *mat.Dense, idx []int) float64 {
		sum := 0.0
		for a, i := range idx {
			for b, j := range idx {
				if a != b {
					sum += km.At(i, j)
				}
			}
		}
		return sum / float64(len(idx)*(len(idx)-1))
	}
	across := 0.0
	for _, i := range ix {
		for _, j := range iy {
			across += k.xy.At(i, j)
		}
	}
	return within(k.xx, ix) + within(k.yy, iy) - 2*across/float64(len(ix)*len(iy))
}

// indices is 0, 1, ..., n−1.
func indices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
