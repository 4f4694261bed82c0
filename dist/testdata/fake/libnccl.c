// A fake NCCL for dist's tests on machines without a GPU (TestNCCLFake). "Device memory" is host
// memory. The fake plays one rank of a group in which every rank holds the same data, so that the
// results are known without the other ranks: a sum is nranks times the buffer, a mean the buffer
// itself, and a broadcast from another rank writes root*1000+i. It checks that the 128-byte unique
// id arrives intact by value, and logs every call, with its arguments, to $FAKE_NCCL_LOG.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int ncclResult_t;
enum { ncclSuccess = 0, ncclInvalidArgument = 4 };
enum { ncclFloat32 = 7, ncclFloat64 = 8 };
enum { ncclSum = 0, ncclAvg = 4 };

typedef struct { char internal[128]; } ncclUniqueId;
struct comm { int nranks, rank; };

static void log_line(const char *line) {
	const char *path = getenv("FAKE_NCCL_LOG");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (!f) return;
	fprintf(f, "%s\n", line);
	fclose(f);
}
#define LOG(...) do { char line[256]; snprintf(line, sizeof line, __VA_ARGS__); log_line(line); } while (0)

static char id_byte(int i) { return (char)(i * 7 + 3); }

ncclResult_t ncclGetVersion(int *version) { *version = 21805; return ncclSuccess; }

ncclResult_t ncclGetUniqueId(ncclUniqueId *id) {
	for (int i = 0; i < 128; i++) id->internal[i] = id_byte(i);
	LOG("getUniqueId");
	return ncclSuccess;
}

// The id comes by value, on the stack: every byte must be the one ncclGetUniqueId wrote.
ncclResult_t ncclCommInitRank(struct comm **comm, int nranks, ncclUniqueId id, int rank) {
	int intact = 1;
	for (int i = 0; i < 128; i++) intact &= id.internal[i] == id_byte(i);
	LOG("commInitRank nranks=%d rank=%d id=%s", nranks, rank, intact ? "intact" : "garbled");
	if (!intact || nranks < 1 || nranks > 8 || rank < 0 || rank >= nranks) return ncclInvalidArgument;
	*comm = malloc(sizeof **comm);
	(*comm)->nranks = nranks;
	(*comm)->rank = rank;
	return ncclSuccess;
}

ncclResult_t ncclAllReduce(const void *send, void *recv, size_t count, int dtype, int op, struct comm *comm, void *stream) {
	LOG("allReduce count=%zu dtype=%d op=%d inplace=%d stream=%p", count, dtype, op, send == recv, stream);
	if (send != recv || (op != ncclSum && op != ncclAvg)) return ncclInvalidArgument;
	double scale = op == ncclSum ? comm->nranks : 1;
	for (size_t i = 0; i < count; i++) {
		if (dtype == ncclFloat32) ((float *)recv)[i] *= (float)scale;
		else if (dtype == ncclFloat64) ((double *)recv)[i] *= scale;
		else return ncclInvalidArgument;
	}
	return ncclSuccess;
}

ncclResult_t ncclBroadcast(const void *send, void *recv, size_t count, int dtype, int root, struct comm *comm, void *stream) {
	LOG("broadcast count=%zu dtype=%d root=%d inplace=%d stream=%p", count, dtype, root, send == recv, stream);
	if (root < 0 || root >= comm->nranks) return ncclInvalidArgument;
	if (root == comm->rank) return ncclSuccess;
	for (size_t i = 0; i < count; i++) {
		if (dtype == ncclFloat32) ((float *)recv)[i] = root * 1000 + i;
		else if (dtype == ncclFloat64) ((double *)recv)[i] = root * 1000 + i;
		else return ncclInvalidArgument;
	}
	return ncclSuccess;
}

ncclResult_t ncclCommDestroy(struct comm *comm) {
	LOG("commDestroy rank=%d", comm->rank);
	free(comm);
	return ncclSuccess;
}

const char *ncclGetErrorString(ncclResult_t code) {
	return code == ncclInvalidArgument ? "invalid argument (described by the fake NCCL)" : "unknown error";
}
