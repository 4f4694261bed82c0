// A fake cuBLAS for gpu/cuda's tests (see libcuda.c): cublasSgemmStridedBatched computed on the
// host by the column-major BLAS definition, so that the row-major translation and the 18-argument
// binding are checked against the CPU backend.
#include <stdint.h>

static void *const the_handle = (void *)0x77;

int cublasCreate_v2(void **handle) { *handle = the_handle; return 0; }

int cublasSgemmStridedBatched(void *handle, int transa, int transb, int m, int n, int k, const float *alpha,
			      const float *A, int lda, long long strideA, const float *B, int ldb, long long strideB,
			      const float *beta, float *C, int ldc, long long strideC, int batch) {
	if (handle != the_handle) return 1; // CUBLAS_STATUS_NOT_INITIALIZED
	if (m < 0 || n < 0 || k < 0 || lda < (transa ? k : m) || ldb < (transb ? n : k) || ldc < m) return 7; // INVALID_VALUE
	for (int b = 0; b < batch; b++) {
		const float *a = A + b * strideA, *bb = B + b * strideB;
		float *c = C + b * strideC;
		for (int i = 0; i < m; i++) {
			for (int j = 0; j < n; j++) {
				double s = 0;
				for (int p = 0; p < k; p++) {
					float av = transa ? a[p + (long)i * lda] : a[i + (long)p * lda];
					float bv = transb ? bb[j + (long)p * ldb] : bb[p + (long)j * ldb];
					s += (double)av * bv;
				}
				float v = (float)(*alpha * s);
				if (*beta != 0) v += *beta * c[i + (long)j * ldc];
				c[i + (long)j * ldc] = v;
			}
		}
	}
	return 0;
}
