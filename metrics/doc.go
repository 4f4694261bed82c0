// Package metrics computes the Fréchet Inception Distance (FID, Heusel et al. 2017) and the
// Kernel Inception Distance (KID, Bińkowski et al. 2018) between two sets of image features,
// in float64, as pytorch-fid and torch-fidelity compute them. The features are usually the
// 2048 numbers per image of models/inception.Features; any feature vectors of one width work.
//
// Each set is a [][]float64, one row per image. FID compares the sets' Gaussian fits,
//
//	FID = |μ₁ − μ₂|² + Tr(Σ₁ + Σ₂ − 2·(Σ₁Σ₂)^½),
//
// and KID is an unbiased estimate of the squared maximum mean discrepancy under the polynomial
// kernel k(x, y) = (x·y/d + 1)³, averaged over random subsets. See FID and KID for how each is
// computed and where it differs from its Python reference.
package metrics
