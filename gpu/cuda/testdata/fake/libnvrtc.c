// A fake NVRTC for gpu/cuda's tests (see libcuda.c): "compiles" any source that defines the
// shared kernels into a code image that names the dtype and the target, which the fake driver
// loads.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { int ok, dbl; char arch[64]; char code[128]; } program;

int nvrtcVersion(int *major, int *minor) { *major = 12; *minor = 4; return 0; }
const char *nvrtcGetErrorString(int r) { return r ? "NVRTC_ERROR_COMPILATION" : "NVRTC_SUCCESS"; }
int nvrtcGetNumSupportedArchs(int *n) { *n = 2; return 0; }
int nvrtcGetSupportedArchs(int *archs) { archs[0] = 80; archs[1] = 90; return 0; }

int nvrtcCreateProgram(program **p, const char *src, const char *name, int n, const char *const *h, const char *const *inc) {
	*p = calloc(1, sizeof(program));
	(*p)->ok = strstr(src, "KERNEL fill(") != NULL && strstr(src, "extern \"C\" __global__") != NULL;
	return 0;
}

int nvrtcCompileProgram(program *p, int n, const char *const *opts) {
	for (int i = 0; i < n; i++) {
		if (strcmp(opts[i], "-DREAL_DOUBLE") == 0) p->dbl = 1;
		if (strncmp(opts[i], "--gpu-architecture=", 19) == 0) snprintf(p->arch, sizeof p->arch, "%s", opts[i] + 19);
	}
	if (!p->ok) return 6;
	snprintf(p->code, sizeof p->code, "%s %s %s", strncmp(p->arch, "sm_", 3) == 0 ? "FAKECUBIN" : "FAKEPTX",
		 p->dbl ? "double" : "float", p->arch);
	return 0;
}

int nvrtcGetProgramLogSize(program *p, size_t *n) { *n = p->ok ? 1 : 32; return 0; }
int nvrtcGetProgramLog(program *p, char *log) { strcpy(log, p->ok ? "" : "error: fake compile error"); return 0; }
int nvrtcGetPTXSize(program *p, size_t *n) { *n = strlen(p->code) + 1; return 0; }
int nvrtcGetPTX(program *p, char *out) { strcpy(out, p->code); return 0; }
int nvrtcGetCUBINSize(program *p, size_t *n) { *n = strlen(p->code) + 1; return 0; }
int nvrtcGetCUBIN(program *p, char *out) { strcpy(out, p->code); return 0; }
int nvrtcDestroyProgram(program **p) { free(*p); *p = NULL; return 0; }
