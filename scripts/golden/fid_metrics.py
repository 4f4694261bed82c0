#!/usr/bin/python3
"""Reference FID and KID values for package metrics, from numpy and scipy in float64.

Feature matrices are drawn with a fixed numpy seed, in two regimes:
  - few: 30 and 40 feature vectors of 64 values, fewer images than features (as horse2zebra's
    120 and 140 test images against Inception's 2048), with different means and covariances;
  - many: 120 and 90 vectors of 16 values, more images than features.
For each it records
  - fid_scipy: pytorch-fid's calculate_frechet_distance, rewritten here: numpy's mean and cov,
    scipy.linalg.sqrtm of sigma1·sigma2 (retried with 1e-6·I added to both when not finite),
    its real part;
  - fid_svd: the exact form for few images, |mu1 − mu2|² + Tr S1 + Tr S2 − 2·Σ σ(A1·A2ᵀ) /
    sqrt((n1−1)(n2−1)) with A the centred features (recorded for both cases: it is exact in both);
  - kid_full: the unbiased MMD² with the kernel (x·y/d + 1)³ on the full sets;
  - kid_subset.K and subset.K.x/.y: the same on three fixed subsets of 20 of each set.
It writes metrics/testdata/reference.pth (torch.save of a dict of float64 and int64 tensors, read
in Go by internal/torchfile). The Go test is metrics/metrics_test.go.

Run from the repository root with Debian's python3-numpy, python3-scipy and python3-torch:

    /usr/bin/python3 scripts/golden/fid_metrics.py
"""
import os

import numpy as np
import scipy
import torch
from scipy import linalg

OUT = os.path.join("metrics", "testdata", "reference.pth")
rng = np.random.default_rng(15)


def draw(n, d, shift, mix):
    """n vectors in d dimensions: correlated through a random mixing matrix, shifted."""
    return rng.standard_normal((n, d)) @ mix + shift


def fid_scipy(x, y, eps=1e-6):
    mu1, mu2 = x.mean(axis=0), y.mean(axis=0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * eps
        covmean = linalg.sqrtm((s1 + offset).dot(s2 + offset))
    covmean = covmean.real
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def fid_svd(x, y):
    a1, a2 = x - x.mean(axis=0), y - y.mean(axis=0)
    n1, n2 = len(x), len(y)
    diff = x.mean(axis=0) - y.mean(axis=0)
    tr_sqrt = np.linalg.svd(a1 @ a2.T, compute_uv=False).sum() / np.sqrt((n1 - 1) * (n2 - 1))
    return diff.dot(diff) + (a1 ** 2).sum() / (n1 - 1) + (a2 ** 2).sum() / (n2 - 1) - 2 * tr_sqrt


def mmd2(x, y):
    d = x.shape[1]
    kxx, kyy, kxy = [(a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y))]
    m, n = len(x), len(y)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2 * kxy.mean())


out = {}
for name, n1, n2, d in [("few", 30, 40, 64), ("many", 120, 90, 16)]:
    x = draw(n1, d, 0.0, rng.standard_normal((d, d)) / np.sqrt(d))
    y = draw(n2, d, 0.3, rng.standard_normal((d, d)) / np.sqrt(d) + 0.5 * np.eye(d))
    out[f"{name}.x"], out[f"{name}.y"] = torch.from_numpy(x), torch.from_numpy(y)
    values = {"fid_scipy": fid_scipy(x, y), "fid_svd": fid_svd(x, y), "kid_full": mmd2(x, y)}
    for k in range(3):
        ix, iy = rng.choice(n1, 20, replace=False), rng.choice(n2, 20, replace=False)
        out[f"{name}.subset.{k}.x"], out[f"{name}.subset.{k}.y"] = torch.from_numpy(ix), torch.from_numpy(iy)
        values[f"kid_subset.{k}"] = mmd2(x[ix], y[iy])
    for k, v in values.items():
        out[f"{name}.{k}"] = torch.tensor([v], dtype=torch.float64)
        print(name, k, repr(v))
torch.save(out, OUT)
print("numpy", np.__version__, "scipy", scipy.__version__)
