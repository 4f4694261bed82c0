// A fake CUDA driver for gpu/cuda's tests on machines without a GPU (TestFakeDriver): one device,
// "memory" from malloc, and a host implementation of two kernels (fill and binary_strided's add)
// that reads its parameters exactly as the real driver would, so that the Go glue (purego
// signatures, parameter marshaling, the CUDA thread, error plumbing) is exercised end to end.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
enum { OK = 0, OUT_OF_MEMORY = 2, INVALID_CONTEXT = 201, INVALID_IMAGE = 200, NOT_FOUND = 500 };

static const uint64_t total_mem = 1ull << 30;

CUresult cuInit(unsigned flags) { return flags == 0 ? OK : 1; }
CUresult cuDriverGetVersion(int *v) { *v = 12040; return OK; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return OK; }
CUresult cuDeviceGet(int *dev, int ordinal) { if (ordinal != 0) return 101; *dev = 0; return OK; }
CUresult cuDeviceGetName(char *name, int len, int dev) { strncpy(name, "Fake GPU", len); return OK; }
CUresult cuDeviceGetAttribute(int *v, int attr, int dev) {
	*v = attr == 75 ? 9 : attr == 76 ? 0 : attr == 16 ? 4 : 0;
	return OK;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int dev) { *bytes = total_mem; return OK; }

static void *const the_ctx = (void *)0x1234;
static __thread void *current;
CUresult cuDevicePrimaryCtxRetain(void **ctx, int dev) { *ctx = the_ctx; return OK; }
CUresult cuCtxSetCurrent(void *ctx) { current = ctx; return ctx == the_ctx ? OK : INVALID_CONTEXT; }
CUresult cuCtxSynchronize(void) { return current == the_ctx ? OK : INVALID_CONTEXT; }

CUresult cuMemAlloc_v2(uint64_t *p, size_t n) {
	if (current != the_ctx) return INVALID_CONTEXT;
	if (n > total_mem) return OUT_OF_MEMORY;
	*p = (uint64_t)(uintptr_t)malloc(n);
	return OK;
}
CUresult cuMemFree_v2(uint64_t p) { free((void *)(uintptr_t)p); return OK; }
CUresult cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t n) { memcpy((void *)(uintptr_t)dst, src, n); return OK; }
CUresult cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t n) { memcpy(dst, (void *)(uintptr_t)src, n); return OK; }

// A module is the code image's dtype: 1 float, 2 double. FAKE_REJECT_CUBIN makes CUBINs fail to
// load, as they would on a driver that is too old, so that the PTX fallback runs.
CUresult cuModuleLoadData(void **module, const void *image) {
	const char *s = image;
	if (strncmp(s, "FAKECUBIN", 9) == 0 && getenv("FAKE_REJECT_CUBIN")) return INVALID_IMAGE;
	if (strncmp(s, "FAKECUBIN", 9) != 0 && strncmp(s, "FAKEPTX", 7) != 0) return INVALID_IMAGE;
	*module = (void *)(uintptr_t)(strstr(s, "double") ? 2 : 1);
	return OK;
}

// A function is module*16 + kernel: 1 fill, 2 binary_strided.
CUresult cuModuleGetFunction(void **fn, void *module, const char *name) {
	int k = strcmp(name, "fill") == 0 ? 1 : strcmp(name, "binary_strided") == 0 ? 2 : 0;
	if (k == 0) return NOT_FOUND;
	*fn = (void *)((uintptr_t)module * 16 + k);
	return OK;
}

typedef struct { int ndim, shape[8], stride0[8], stride1[8]; } strides_t;

CUresult cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
			unsigned shared, void *stream, void **params, void **extra) {
	uintptr_t f = (uintptr_t)fn;
	int dbl = f / 16 == 2, kernel = f % 16;
	if (current != the_ctx) return INVALID_CONTEXT;
	if (gy != 1 || gz != 1 || bx != 256 || by != 1 || bz != 1 || shared != 0 || stream != 0 || extra != 0) return 1;
	int n = *(int *)params[0];
	if ((long)gx * bx < n) return 1;
	if (kernel == 1) { // fill(int n, real v, real* dst)
		for (int i = 0; i < n; i++) {
			if (dbl) (*(double **)params[2])[i] = *(double *)params[1];
			else (*(float **)params[2])[i] = *(float *)params[1];
		}
		return OK;
	}
	// binary_strided(int n, int op, real p, strides_t s, real* dst, const real* a, const real* b), add only
	if (*(int *)params[1] != 0) return 1;
	strides_t *s = params[3];
	for (int i = 0; i < n; i++) {
		long oa = 0, ob = 0;
		int rest = i;
		for (int d = s->ndim - 1; d >= 0; d--) {
			int idx = rest % s->shape[d];
			rest /= s->shape[d];
			oa += (long)idx * s->stride0[d];
			ob += (long)idx * s->stride1[d];
		}
		if (dbl) (*(double **)params[4])[i] = (*(double **)params[5])[oa] + (*(double **)params[6])[ob];
		else (*(float **)params[4])[i] = (*(float **)params[5])[oa] + (*(float **)params[6])[ob];
	}
	return OK;
}

CUresult cuGetErrorName(CUresult e, const char **s) {
	*s = e == OUT_OF_MEMORY ? "CUDA_ERROR_OUT_OF_MEMORY" : e == NOT_FOUND ? "CUDA_ERROR_NOT_FOUND"
	   : e == INVALID_IMAGE ? "CUDA_ERROR_INVALID_IMAGE" : "CUDA_ERROR_FAKE";
	return OK;
}
CUresult cuGetErrorString(CUresult e, const char **s) { *s = "described by the fake driver"; return OK; }

// Events: each record stamps the event with a clock that advances 0.5 ms per record, so that a
// launch between two records "takes" 0.5 ms.
static float fake_clock_ms;
CUresult cuEventCreate(float **ev, unsigned flags) { *ev = calloc(1, sizeof(float)); return *ev ? OK : OUT_OF_MEMORY; }
CUresult cuEventRecord(float *ev, void *stream) { fake_clock_ms += 0.5f; *ev = fake_clock_ms; return OK; }
CUresult cuEventSynchronize(float *ev) { return OK; }
CUresult cuEventElapsedTime(float *ms, float *start, float *end) { *ms = *end - *start; return OK; }
