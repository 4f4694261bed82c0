// The CUDA side of the kernel dialect described in gpu/internal/device/kernels/common.cl,
// compiled by NVRTC as CUDA C++. Kernels get C linkage so that cuModuleGetFunction finds them by
// their plain names. Math functions are chosen per dtype rather than relying on C++ overloads.
#ifdef REAL_DOUBLE
typedef double real;
#define R_EXP exp
#define R_LOG log
#define R_SQRT sqrt
#define R_TANH tanh
#define R_POW pow
#define R_FABS fabs
#else
typedef float real;
#define R_EXP expf
#define R_LOG logf
#define R_SQRT sqrtf
#define R_TANH tanhf
#define R_POW powf
#define R_FABS fabsf
#endif
#define R_INF ((real)__int_as_float(0x7f800000))
#define R_NAN ((real)__int_as_float(0x7fffffff))

#define KERNEL extern "C" __global__ void
#define GLOBAL
#define SHARED __shared__
#define SHARED_PTR
#define DEVICE __device__
#define BARRIER() __syncthreads()
#define LOCAL_ID(d) ((int)((d) == 0 ? threadIdx.x : (d) == 1 ? threadIdx.y : threadIdx.z))
#define GROUP_ID(d) ((int)((d) == 0 ? blockIdx.x : (d) == 1 ? blockIdx.y : blockIdx.z))
#define GLOBAL_ID(d) ((int)((d) == 0 ? blockIdx.x * blockDim.x + threadIdx.x : (d) == 1 ? blockIdx.y * blockDim.y + threadIdx.y : blockIdx.z * blockDim.z + threadIdx.z))
