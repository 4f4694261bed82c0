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

// reduce_groups gives each output a work-group, whose GROUP work-items stride over mid and combine
// their partial results in a tree: right for few, long reductions (a loss, a whole-tensor sum).
KERNEL reduce_groups(int outer, int mid, int inner, int op, GLOBAL real* dst, GLOBAL const real* src) {
	SHARED real part[GROUP];
	int i = GROUP_ID(0), t = LOCAL_ID(0);
	int o = i / inner, j = i % inner;
	GLOBAL const real* p = src + (long)o * mid * inner + j;
	real acc = op == REDUCE_MAX ? -R_INF : op == REDUCE_MIN ? R_INF : (real)0;
	for (int m = t; m < mid; m += GROUP) {
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
		dst[i] = part[0];
	}
}
