// Elementwise kernels: fill, unary and binary ops (op codes are tensor.UnaryOp and tensor.BinaryOp),
// the strided copy and, in the double program, the casts between float and double.

KERNEL fill(int n, real v, GLOBAL real* dst) {
	int i = GLOBAL_ID(0);
	if (i < n) {
		dst[i] = v;
	}
}

// The op codes OP_NEG, OP_ABS, ... are defined ahead of this file from tensor.UnaryOp (see
// gpu/internal/device/opcodes.go); TestKernelsHandleEveryOp checks that each has a case here.

DEVICE real apply_unary(int op, real x, real p) {
	switch (op) {
	case OP_NEG:
		return -x;
	case OP_ABS:
		return R_FABS(x);
	case OP_SIGN:
		return x > 0 ? (real)1 : x < 0 ? (real)-1 : (real)0; // 0 at ±0 and NaN, as PyTorch
	case OP_EXP:
		return R_EXP(x);
	case OP_LOG:
		return R_LOG(x);
	case OP_SQRT:
		return R_SQRT(x);
	case OP_SQUARE:
		return x * x;
	case OP_TANH:
		return R_TANH(x);
	case OP_SIGMOID:
		// Two branches so that neither overflows: for x < 0, e^x is small.
		if (x >= 0) {
			return 1 / (1 + R_EXP(-x));
		} else {
			real e = R_EXP(x);
			return e / (1 + e);
		}
	case OP_RELU:
		return (x > 0 || x != x) ? x : (real)0; // NaN propagates, as PyTorch
	case OP_LEAKY_RELU:
		return x > 0 ? x : p * x;
	case OP_POW:
		// PyTorch computes x^0.5 as √x and x^-0.5 as 1/√x (they differ from pow at -Inf).
		if (p == (real)0.5) {
			return R_SQRT(x);
		}
		if (p == (real)-0.5) {
			return 1 / R_SQRT(x);
		}
		return R_POW(x, p);
	case OP_SCALE:
		return p * x;
	case OP_ADD_SCALAR:
		return x + p;
	}
	return R_NAN;
}

KERNEL unary(int n, int op, real p, GLOBAL real* dst, GLOBAL const real* src) {
	int i = GLOBAL_ID(0);
	if (i < n) {
		dst[i] = apply_unary(op, src[i], p);
	}
}

// The op codes OP_ADD, OP_SUB, ... are defined from tensor.BinaryOp likewise.

DEVICE real apply_binary(int op, real a, real b, real p) {
	switch (op) {
	case OP_ADD:
		return a + b;
	case OP_SUB:
		return a - b;
	case OP_MUL:
		return a * b;
	case OP_DIV:
		return a / b;
	case OP_MAXIMUM: // NaN if either is NaN, as torch.maximum
		return (a != a || b != b) ? R_NAN : (a > b ? a : b);
	case OP_MINIMUM:
		return (a != a || b != b) ? R_NAN : (a < b ? a : b);
	case OP_GREATER:
		return a > b ? (real)1 : (real)0;
	case OP_EQUAL:
		return a == b ? (real)1 : (real)0;
	case OP_LEAKY_RELU_BACKWARD: // a is the incoming gradient, b the input
		return b > 0 ? a : p * a;
	}
	return R_NAN;
}

// binary_contig is the common case: a, b and dst all contiguous with the same shape.
KERNEL binary_contig(int n, int op, real p, GLOBAL real* dst, GLOBAL const real* a, GLOBAL const real* b) {
	int i = GLOBAL_ID(0);
	if (i < n) {
		dst[i] = apply_binary(op, a[i], b[i], p);
	}
}

// binary_strided reads a through s.stride0 and b through s.stride1 (0 along broadcast dimensions);
// dst is contiguous.
KERNEL binary_strided(int n, int op, real p, strides_t s, GLOBAL real* dst, GLOBAL const real* a, GLOBAL const real* b) {
	int i = GLOBAL_ID(0);
	if (i >= n) {
		return;
	}
	long oa = 0, ob = 0;
	int rest = i;
	for (int d = s.ndim - 1; d >= 0; d--) {
		int idx = rest % s.shape[d];
		rest /= s.shape[d];
		oa += (long)idx * s.stride0[d];
		ob += (long)idx * s.stride1[d];
	}
	dst[i] = apply_binary(op, a[oa], b[ob], p);
}

// copy_strided writes dst[dst_off + Σ idx*stride0] = src[src_off + Σ idx*stride1].
KERNEL copy_strided(int n, strides_t s, GLOBAL real* dst, int dst_off, GLOBAL const real* src, int src_off) {
	int i = GLOBAL_ID(0);
	if (i >= n) {
		return;
	}
	long od = dst_off, os = src_off;
	int rest = i;
	for (int d = s.ndim - 1; d >= 0; d--) {
		int idx = rest % s.shape[d];
		rest /= s.shape[d];
		od += (long)idx * s.stride0[d];
		os += (long)idx * s.stride1[d];
	}
	dst[od] = src[os];
}

// copy_grid is copy_strided for a walk of three dimensions (outermost first; the host pads shorter
// ones with 1s) on a grid whose x is the innermost dimension and whose y and z are the other two,
// so that no work-item divides: integer division makes copy_strided instruction-bound on a GPU.
KERNEL copy_grid(strides_t s, GLOBAL real* dst, int dst_off, GLOBAL const real* src, int src_off) {
	int x = GLOBAL_ID(0);
	if (x >= s.shape[2]) {
		return;
	}
	int y = GROUP_ID(1), z = GROUP_ID(2);
	long od = dst_off + (long)z * s.stride0[0] + (long)y * s.stride0[1] + (long)x * s.stride0[2];
	long os = src_off + (long)z * s.stride1[0] + (long)y * s.stride1[1] + (long)x * s.stride1[2];
	dst[od] = src[os];
}

#ifdef REAL_DOUBLE
KERNEL cast_float_to_double(int n, GLOBAL double* dst, GLOBAL const float* src) {
	int i = GLOBAL_ID(0);
	if (i < n) {
		dst[i] = (double)src[i];
	}
}

KERNEL cast_double_to_float(int n, GLOBAL float* dst, GLOBAL const double* src) {
	int i = GLOBAL_ID(0);
	if (i < n) {
		dst[i] = (float)src[i];
	}
}
#endif

// flag_nonfinite sets flag[0] to 1 if an element of x is NaN or infinite (|x| < inf is false for
// both) and leaves it alone otherwise. Every work-item that finds one writes the same 1, so their
// race is harmless.
KERNEL flag_nonfinite(int n, GLOBAL real* flag, GLOBAL const real* x) {
	int i = GLOBAL_ID(0);
	if (i < n && !(R_FABS(x[i]) < R_INF)) {
		flag[0] = 1;
	}
}
