// Reductions of the middle axis of src seen as [outer, mid, inner] into dst [outer, inner], mid ≥ 1
// (the host fills dst with the identity when mid is 0). Op codes are tensor.ReduceOp.

#define REDUCE_SUM 0
#define REDUCE_MAX 1
#define REDUCE_MIN 2

DEVICE real apply_reduce(int op, real acc, real x) {
	switch (op) {
	case REDUCE_MAX: // NaN propagates, as torch.amax
		return (acc != acc || x != x) ? R_NAN : (x > acc ? x : acc);
	case REDUCE_MIN:
		return (acc != acc || x != x) ? R_NAN : (x < acc ? x : acc);
	}
	return acc + x;
}

// reduce_rows gives each output its own work-item, which loops over mid: right when there are many
// outputs (neighbouring work-items then read neighbouring elements) or mid is short.
KERNEL reduce_rows(int outer, int mid, int inner, int op, GLOBAL real* dst, GLOBAL const real* src) {
	int i = GLOBAL_ID(0);
	if (i >= outer * inner) {
		return;
	}
	int o = i / inner, j = i % inner;
	GLOBAL const real* p = src + (long)o * mid * inner + j;
	real acc = p[0];
	for (int m = 1; m < mid; m++) {
		acc = apply_reduce(op, acc, p[(long)m * inner]);
	}
	dst[i] = acc;
}

// reduce_groups gives each output `chunks` work-groups, each of which reduces `chunk` consecutive
// elements of mid: its GROUP work-items stride over them and combine their partial results in a
// tree. It writes dst[output*chunks + chunk index]. Right for few, long reductions (a loss, a
// bias gradient): with one group per output a whole-tensor sum would run on one multiprocessor,
// so the host splits long rows into chunks and reduces the partial results again.
KERNEL reduce_groups(int outer, int mid, int inner, int op, int chunks, int chunk, GLOBAL real* dst, GLOBAL const real* src) {
	SHARED real part[GROUP];
	int g = GROUP_ID(0), t = LOCAL_ID(0);
	int i = g / chunks, c = g % chunks;
	int o = i / inner, j = i % inner;
	GLOBAL const real* p = src + (long)o * mid * inner + j;
	real acc = op == REDUCE_MAX ? -R_INF : op == REDUCE_MIN ? R_INF : (real)0;
	int end = (c + 1) * chunk < mid ? (c + 1) * chunk : mid;
	for (int m = c * chunk + t; m < end; m += GROUP) {
		acc = apply_reduce(op, acc, p[(long)m * inner]);
	}
	part[t] = acc;
	BARRIER();
	for (int s = GROUP / 2; s > 0; s >>= 1) {
		if (t < s) {
			part[t] = apply_reduce(op, part[t], part[t + s]);
		}
		BARRIER();
	}
	if (t == 0) {
		dst[g] = part[0];
	}
}
