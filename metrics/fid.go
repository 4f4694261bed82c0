package metrics

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// fidEps is pytorch-fid's offset: when the square root fails it adds eps·I to both covariances
// and tries again.
const fidEps = 1e-6

// FID returns the Fréchet distance between the Gaussian fits of two sets of features,
//
//	|μ₁ − μ₂|² + Tr Σ₁ + Tr Σ₂ − 2·Tr (Σ₁Σ₂)^½,
//
// with the means μ and the unbiased covariances Σ (divided by n − 1, numpy's cov) of x and y,
// one row per image. The two sets may differ in size; each needs at least 2 rows.
//
// Only the trace of the square root matters, and it has an exact form when a set has no more
// images than features (horse2zebra's 120 and 140 test images against 2048 features): with A₁
// and A₂ the centred feature matrices, Σ₁Σ₂ = A₁ᵀ(A₁A₂ᵀ)A₂ / ((n₁−1)(n₂−1)) has the nonzero
// eigenvalues of M·Mᵀ, M = A₁A₂ᵀ, so
//
//	Tr (Σ₁Σ₂)^½ = Σ σᵢ(A₁A₂ᵀ) / sqrt((n₁−1)(n₂−1)),
//
// the sum of the singular values of an n₁×n₂ matrix. pytorch-fid instead takes scipy's sqrtm of
// the 2048×2048 product, which is singular then (its rank is at most min(n₁, n₂) − 1); sqrtm
// loses accuracy on it and returns complex values whose real part it keeps. The two agree to
// that accuracy (the test measures it).
//
// With more images than features in both sets it computes Tr (Σ₁Σ₂)^½ = Tr (Σ₁^½ Σ₂ Σ₁^½)^½,
// the same number as sqrtm(Σ₁Σ₂)'s trace, from two symmetric eigendecompositions (Σ₁^½ from Σ₁'s,
// then the eigenvalues of the symmetric Σ₁^½Σ₂Σ₁^½), clamping eigenvalues that rounding made
// slightly negative to zero. When a decomposition fails it retries with fidEps added to both
// diagonals, as pytorch-fid does when sqrtm's result is not finite.
func FID(x, y [][]float64) (float64, error) {
	const op = "metrics.FID"
	a1, a2, err := featureMatrices(op, x, y)
	if err != nil {
		return 0, err
	}
	mu1, mu2 := centre(a1), centre(a2)
	n1, d := a1.Dims()
	n2, _ := a2.Dims()
	meanTerm := 0.0
	for j := range d {
		meanTerm += (mu1[j] - mu2[j]) * (mu1[j] - mu2[j])
	}
	// Tr Σ = Σ of squared centred entries / (n − 1).
	f1, f2 := mat.Norm(a1, 2), mat.Norm(a2, 2) // Frobenius norms, each computed once
	tr1 := f1 * f1 / float64(n1-1)
	tr2 := f2 * f2 / float64(n2-1)
	var trSqrt float64
	if min(n1, n2) <= d {
		trSqrt, err = traceSqrtFromFeatures(a1, a2)
	} else {
		trSqrt, err = traceSqrtFromCovariances(a1, a2)
	}
	if err != nil {
		return 0, errors.New(op + ": " + err.Error())
	}
	return meanTerm + tr1 + tr2 - 2*trSqrt, nil
}

// traceSqrtFromFeatures is Σ σᵢ(A₁A₂ᵀ) / sqrt((n₁−1)(n₂−1)) for centred A₁ and A₂.
func traceSqrtFromFeatures(a1, a2 *mat.Dense) (float64, error) {
	n1, _ := a1.Dims()
	n2, _ := a2.Dims()
	var m mat.Dense
	m.Mul(a1, a2.T())
	var svd mat.SVD
	if !svd.Factorize(&m, mat.SVDNone) {
		return 0, errors.New("the singular value decomposition did not converge")
	}
	sum := 0.0
	for _, s := range svd.Values(nil) {
		sum += s
	}
	return sum / math.Sqrt(float64(n1-1)*float64(n2-1)), nil
}

// traceSqrtFromCovariances is Tr (Σ₁^½ Σ₂ Σ₁^½)^½ for centred A₁ and A₂, retried once with
// fidEps on the diagonals.
func traceSqrtFromCovariances(a1, a2 *mat.Dense) (float64, error) {
	s1, s2 := covariance(a1), covariance(a2)
	tr, ok := traceSqrtProduct(s1, s2)
	if ok {
		return tr, nil
	}
	_, d := a1.Dims()
	for i := range d {
		s1.SetSym(i, i, s1.At(i, i)+fidEps)
		s2.SetSym(i, i, s2.At(i, i)+fidEps)
	}
	if tr, ok = traceSqrtProduct(s1, s2); !ok {
		return 0, errors.New("the eigendecomposition of the covariances failed, even with eps added")
	}
	return tr, nil
}

// covariance is AᵀA / (n − 1) for a centred A.
func covariance(a *mat.Dense) *mat.SymDense {
	n, d := a.Dims()
	s := mat.NewSymDense(d, nil)
	s.SymOuterK(1/float64(n-1), a.T())
	return s
}

// traceSqrtProduct is Σ sqrt(λ(S₁^½ S₂ S₁^½)), false when a decomposition fails.
func traceSqrtProduct(s1, s2 *mat.SymDense) (float64, bool) {
	root, ok := sqrtSym(s1)
	if !ok {
		return 0, false
	}
	var inner mat.Dense
	inner.Product(root, s2, root)
	d, _ := inner.Dims()
	sym := mat.NewSymDense(d, nil)
	for i := range d { // symmetric up to rounding; average the two halves
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (inner.At(i, j)+inner.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, false
	}
	tr := 0.0
	for _, l := range eig.Values(nil) {
		tr += math.Sqrt(max(l, 0))
	}
	return tr, true
}

// sqrtSym is the positive semi-definite square root V·diag(sqrt(λ))·Vᵀ of a symmetric S, its
// eigenvalues clamped at 0.
func sqrtSym(s *mat.SymDense) (*mat.Dense, bool) {
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		return nil, false
	}
	var v mat.Dense
	eig.VectorsTo(&v)
	values := eig.Values(nil)
	scaled := mat.DenseCopyOf(&v)
	for j, l := range values {
		root := math.Sqrt(max(l, 0))
		for i := range len(values) {
			scaled.Set(i, j, scaled.At(i, j)*root)
		}
	}
	var out mat.Dense
	out.Mul(scaled, v.T())
	return &out, true
}
