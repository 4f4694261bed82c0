// A tiled GEMM: C_b = alpha*op(A_b)*op(B_b) + beta*C_b for the batch index b = GROUP_ID(2), all
// matrices row-major (see tensor.GemmArgs). Each work-group of GEMM_THREADS×GEMM_THREADS
// work-items computes one GEMM_TILE×GEMM_TILE tile of C: it stages a GEMM_TILE_K-deep slice of
// op(A)'s rows and op(B)'s columns in local memory, so that every element read from global memory
// is used GEMM_TILE times, and each work-item keeps a GEMM_PER×GEMM_PER block of C in registers.
// Rows and columns are interleaved across work-items (row ty + i*GEMM_THREADS) so that neighbouring
// work-items touch neighbouring addresses when they write C.

#define GEMM_TILE 64
#define GEMM_TILE_K 16
#define GEMM_THREADS 16
#define GEMM_PER (GEMM_TILE / GEMM_THREADS)

KERNEL gemm(int M, int N, int K, int trans_a, int trans_b, real alpha, real beta,
	GLOBAL const real* A, int off_a, int lda, int stride_a,
	GLOBAL const real* B, int off_b, int ldb, int stride_b,
	GLOBAL real* C, int off_c, int ldc, int stride_c) {
	// The +1 column keeps work-items that read a column of the tile off the same memory bank.
	SHARED real As[GEMM_TILE_K][GEMM_TILE + 1]; // As[k][i] = op(A)[row0+i][k0+k]
	SHARED real Bs[GEMM_TILE_K][GEMM_TILE + 1]; // Bs[k][j] = op(B)[k0+k][col0+j]

	long batch = GROUP_ID(2);
	A += off_a + batch * stride_a;
	B += off_b + batch * stride_b;
	C += off_c + batch * stride_c;
	int tx = LOCAL_ID(0), ty = LOCAL_ID(1);
	int tid = ty * GEMM_THREADS + tx;
	int row0 = GROUP_ID(1) * GEMM_TILE, col0 = GROUP_ID(0) * GEMM_TILE;

	real acc[GEMM_PER][GEMM_PER];
	for (int i = 0; i < GEMM_PER; i++) {
		for (int j = 0; j < GEMM_PER; j++) {
			acc[i][j] = 0;
		}
	}
	for (int k0 = 0; k0 < K; k0 += GEMM_TILE_K) {
		// Stage the tiles. The index order follows the memory layout, so that neighbouring
		// work-items read neighbouring addresses whichever way each matrix is transposed.
		for (int l = tid; l < GEMM_TILE_K * GEMM_TILE; l += GEMM_THREADS * GEMM_THREADS) {
			int i, k;
			if (trans_a) { // A is K×M
				i = l % GEMM_TILE;
				k = l / GEMM_TILE;
			} else { // A is M×K
				k = l % GEMM_TILE_K;
				i = l / GEMM_TILE_K;
			}
			int gi = row0 + i, gk = k0 + k;
			real v = 0;
			if (gi < M && gk < K) {
				v = trans_a ? A[(long)gk * lda + gi] : A[(long)gi * lda + gk];
			}
			As[k][i] = v;
		}
		for (int l = tid; l < GEMM_TILE_K * GEMM_TILE; l += GEMM_THREADS * GEMM_THREADS) {
			int j, k;
			if (trans_b) { // B is N×K
				k = l % GEMM_TILE_K;
				j = l / GEMM_TILE_K;
			} else { // B is K×N
				j = l % GEMM_TILE;
				k = l / GEMM_TILE;
			}
			int gj = col0 + j, gk = k0 + k;
			real v = 0;
			if (gj < N && gk < K) {
				v = trans_b ? B[(long)gj * ldb + gk] : B[(long)gk * ldb + gj];
			}
			Bs[k][j] = v;
		}
		BARRIER();
		for (int k = 0; k < GEMM_TILE_K; k++) {
			real a[GEMM_PER], b[GEMM_PER];
			for (int i = 0; i < GEMM_PER; i++) {
				a[i] = As[k][ty + i * GEMM_THREADS];
			}
			for (int j = 0; j < GEMM_PER; j++) {
				b[j] = Bs[k][tx + j * GEMM_THREADS];
			}
			for (int i = 0; i < GEMM_PER; i++) {
				for (int j = 0; j < GEMM_PER; j++) {
					acc[i][j] += a[i] * b[j];
				}
			}
		}
		BARRIER();
	}
	for (int i = 0; i < GEMM_PER; i++) {
		int r = row0 + ty + i * GEMM_THREADS;
		for (int j = 0; j < GEMM_PER; j++) {
			int c = col0 + tx + j * GEMM_THREADS;
			if (r < M && c < N) {
				long idx = (long)r * ldc + c;
				real v = alpha * acc[i][j];
				if (beta != 0) { // beta 0 overwrites C, NaNs included, as BLAS
					v += beta * C[idx];
				}
				C[idx] = v;
			}
		}
	}
}
