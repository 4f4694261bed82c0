// Package dist lets several processes train one model together: each process ("rank") computes
// the gradients of its share of a batch, the ranks sum or average them with an all-reduce, and
// every rank takes the same optimizer step, so that the replicas stay identical. That is data
// parallelism as torch.distributed and Horovod do it, in the smallest contract that serves it:
//
//	Rank, Size        who am I, how many are we
//	AllReduce         every rank's buffer becomes the elementwise sum (or mean) over all ranks
//	Broadcast         every rank's buffer becomes root's (initial weights, a random seed)
//	Barrier           nobody leaves before everybody has arrived
//
// Three implementations sit behind it:
//
//   - the single process, the default: a world of one rank, where a sum or a mean of one buffer
//     is the buffer itself, so code written for many ranks runs unchanged on one;
//   - MPI (Open MPI or MPICH) for host buffers, with ranks started by mpirun, mpiexec or srun;
//   - NCCL for CUDA device memory, with the host communicator beside it to hand NCCL's unique id
//     from rank 0 to the others (or a file, where there is no MPI).
//
// Like the GPU backends, both libraries are opened at run time with purego, without cgo, so one
// CGO_ENABLED=0 binary runs alone on a laptop and as one of many ranks on a cluster. A missing
// library is an error that wraps ErrUnavailable (gpu.ErrUnavailable) and names every path that
// was tried; the search is the GPU backends' (gpu.OpenLibrary, ZEBRA_GPU_LIBRARY_PATH).
//
// MPI's C handles differ between the two implementations, and a header is not available at run
// time: Open MPI's MPI_COMM_WORLD, MPI_FLOAT and MPI_SUM are the addresses of the library's global
// objects (ompi_mpi_comm_world, ...), found with dlsym, and its MPI_IN_PLACE is (void *)1; MPICH's
// (and its derivatives', Intel MPI, MVAPICH, Cray MPICH) are integers fixed in mpi.h
// (MPI_COMM_WORLD 0x44000000, MPI_FLOAT 0x4c00040a, ...), and its MPI_IN_PLACE is (void *)-1.
// Open MPI is recognized by its symbol ompi_mpi_comm_world; the handles of each are one small
// table in mpi.go.
//
// MPI calls all run on one goroutine locked to one OS thread, which initialized MPI: Go moves
// goroutines between threads, and MPI_THREAD_FUNNELED, which every MPI provides, asks exactly
// that all calls come from the thread that called MPI_Init_thread. Collectives are blocking, so
// the funnel costs nothing a training step could use.
//
// Open picks an implementation by name: "none", "mpi", "nccl" or "auto", which chooses MPI when
// the process was started by a launcher (it finds OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK or
// SLURM_STEP_NUM_TASKS in its environment) and the single process otherwise.
package dist
