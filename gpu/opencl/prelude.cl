// The OpenCL side of the kernel dialect described in gpu/internal/device/kernels/common.cl:
// OpenCL C already has every construct, so the macros only rename them. Math builtins are
// overloaded for float and double.
#ifdef REAL_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double real;
#else
typedef float real;
#endif

#define KERNEL __kernel void
#define GLOBAL __global
#define SHARED __local
#define SHARED_PTR __local
#define DEVICE
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define GLOBAL_ID(d) ((int)get_global_id(d))
#define LOCAL_ID(d) ((int)get_local_id(d))
#define GROUP_ID(d) ((int)get_group_id(d))

#define R_EXP exp
#define R_LOG log
#define R_SQRT sqrt
#define R_TANH tanh
#define R_POW pow
#define R_FABS fabs
#define R_INF ((real)INFINITY)
#define R_NAN ((real)NAN)
