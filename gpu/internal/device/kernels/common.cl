// Kernels shared by the OpenCL and CUDA backends.
//
// They are written once, in C with a handful of macros that each backend's prelude defines
// (gpu/opencl/prelude.cl, gpu/cuda/prelude.cu):
//
//	real            float or double: each program is compiled once per dtype (REAL_DOUBLE defined
//	                for double)
//	KERNEL          an entry point: __kernel void / extern "C" __global__ void
//	GLOBAL          qualifier of a pointer into device memory (empty in CUDA)
//	SHARED          declaration of a work-group (thread-block) array: __local / __shared__
//	SHARED_PTR      qualifier of a pointer to such an array (empty in CUDA)
//	DEVICE          a helper function called from kernels
//	BARRIER()       work-group barrier on local memory
//	GLOBAL_ID(d) LOCAL_ID(d) GROUP_ID(d)   as int
//	R_EXP R_LOG R_SQRT R_TANH R_POW R_FABS R_INF R_NAN   math on real
//
// Indices are int: the host checks that every buffer has fewer than 2^31 elements. Offsets that
// multiply two indices are computed in long. Every kernel is launched with 1-D work-groups of GROUP
// work-items unless it says otherwise.

#define GROUP 256
#define MAX_DIMS 8

// strides_t describes a walk over a shape of ndim dimensions (outermost first) through two
// operands: element i of the shape (row-major) is at Σ idx[d]*stride0[d] in the first and
// Σ idx[d]*stride1[d] in the second.
typedef struct {
	int ndim;
	int shape[MAX_DIMS];
	int stride0[MAX_DIMS];
	int stride1[MAX_DIMS];
} strides_t;

// group_sum returns the sum of v over the work-group to every work-item. buf holds GROUP reals.
DEVICE real group_sum(SHARED_PTR real* buf, real v) {
	int t = LOCAL_ID(0);
	buf[t] = v;
	BARRIER();
	for (int s = GROUP / 2; s > 0; s >>= 1) {
		if (t < s) {
			buf[t] += buf[t + s];
		}
		BARRIER();
	}
	real r = buf[0];
	BARRIER(); // every work-item has read buf[0] before buf is used again
	return r;
}
