// Instance normalization and the Adam update. The normalization kernels give each plane a
// work-group; its GROUP work-items stride over the plane and combine partial sums with group_sum.

// instance_norm_forward: two passes (the mean, then the mean of squared deviations), because the
// one-pass E[x²]-E[x]² cancels badly when the mean is large relative to the spread. The variance
// is biased and eps sits inside the root, as in PyTorch.
//
// The mean is accumulated relative to the plane's first element. That costs nothing and makes a
// constant plane (a channel that an earlier ReLU zeroed, plus a bias) normalize to exact zeros,
// as the CPU backend's float64 sums do: a float sum would leave rounding noise of either sign,
// which rstd = 1/sqrt(eps) then magnifies and the next ReLU passes or blocks at random.
KERNEL instance_norm_forward(int size, real eps, GLOBAL real* y, GLOBAL real* mean, GLOBAL real* rstd, GLOBAL const real* x) {
	SHARED real buf[GROUP];
	int p = GROUP_ID(0), t = LOCAL_ID(0);
	GLOBAL const real* xs = x + (long)p * size;
	GLOBAL real* ys = y + (long)p * size;
	real shift = xs[0];
	real s = 0;
	for (int i = t; i < size; i += GROUP) {
		s += xs[i] - shift;
	}
	real mu = shift + group_sum(buf, s) / (real)size;
	real q = 0;
	for (int i = t; i < size; i += GROUP) {
		real d = xs[i] - mu;
		q += d * d;
	}
	real r = 1 / R_SQRT(group_sum(buf, q) / (real)size + eps);
	for (int i = t; i < size; i += GROUP) {
		ys[i] = (xs[i] - mu) * r;
	}
	if (t == 0) {
		mean[p] = mu;
		rstd[p] = r;
	}
}

// instance_norm_backward: with x̂ = (x-μ)·r, dx = r·(dy − mean(dy) − x̂·mean(dy·x̂)).
KERNEL instance_norm_backward(int size, GLOBAL real* dx, GLOBAL const real* dy, GLOBAL const real* x, GLOBAL const real* mean, GLOBAL const real* rstd) {
	SHARED real buf[GROUP];
	int p = GROUP_ID(0), t = LOCAL_ID(0);
	GLOBAL const real* xs = x + (long)p * size;
	GLOBAL const real* gs = dy + (long)p * size;
	GLOBAL real* out = dx + (long)p * size;
	real mu = mean[p], r = rstd[p];
	real sg = 0, sgx = 0;
	for (int i = t; i < size; i += GROUP) {
		real g = gs[i];
		sg += g;
		sgx += g * (xs[i] - mu) * r;
	}
	real mg = group_sum(buf, sg) / (real)size;
	real mgx = group_sum(buf, sgx) / (real)size;
	for (int i = t; i < size; i += GROUP) {
		real xhat = (xs[i] - mu) * r;
		out[i] = r * (gs[i] - mg - xhat * mgx);
	}
}

// adam_step follows torch.optim.Adam operation by operation (see tensor.AdamHyper); the host passes
// one_minus_beta1/2, step_size = lr/bias_correction1 and bc2_sqrt = sqrt(bias_correction2),
// each computed in double and rounded once, as PyTorch does.
KERNEL adam_step(int n, real beta1, real beta2, real one_minus_beta1, real one_minus_beta2, real eps, real weight_decay, real step_size, real bc2_sqrt,
	GLOBAL real* param, GLOBAL const real* grad, GLOBAL real* m, GLOBAL real* v) {
	int i = GLOBAL_ID(0);
	if (i >= n) {
		return;
	}
	real g = grad[i];
	if (weight_decay != 0) {
		g += weight_decay * param[i];
	}
	real mi = m[i] * beta1 + one_minus_beta1 * g;
	real vi = v[i] * beta2 + one_minus_beta2 * g * g;
	m[i] = mi;
	v[i] = vi;
	param[i] -= step_size * mi / (R_SQRT(vi) / bc2_sqrt + eps);
}
