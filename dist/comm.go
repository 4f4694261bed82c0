package dist

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"github.com/zebra-go/zebra/gpu"
)

// ErrUnavailable is wrapped by every error that means "this machine has no such library": no
// libmpi, no libnccl, or one without an entry point zebra needs. It is gpu.ErrUnavailable, so one
// errors.Is test covers GPUs and communicators alike.
var ErrUnavailable = gpu.ErrUnavailable

// Op is a reduction of an all-reduce.
type Op int

const (
	// Sum makes every element the sum over all ranks.
	Sum Op = iota
	// Mean makes every element the sum over all ranks divided by their number: the average of
	// data-parallel gradients. Host communicators divide after the sum, in the buffer's own
	// precision; NCCL uses its ncclAvg.
	Mean
)

func (op Op) String() string {
	switch op {
	case Sum:
		return "sum"
	case Mean:
		return "mean"
	}
	return "Op(" + strconv.Itoa(int(op)) + ")"
}

// Comm is a communicator over host memory: the processes of one run, and the collectives that
// reduce and copy buffers among them. Every rank must make the same calls, in the same order, with
// buffers of the same length; a collective returns when this rank's part is done.
type Comm interface {
	// Rank is this process's number, 0 ≤ Rank < Size. Rank 0 conventionally logs and saves.
	Rank() int
	// Size is the number of processes.
	Size() int
	// AllReduceFloat32 replaces each element of buf by op over the same element of every rank's
	// buf.
	AllReduceFloat32(buf []float32, op Op) error
	// AllReduceFloat64 is AllReduceFloat32 for float64 buffers.
	AllReduceFloat64(buf []float64, op Op) error
	// Broadcast copies root's buf into every other rank's buf. BroadcastFloat32 and
	// BroadcastFloat64 broadcast typed buffers through it.
	Broadcast(buf []byte, root int) error
	// Barrier returns when every rank has called it.
	Barrier() error
	// Close leaves the group (MPI_Finalize). Every rank must call it; the communicator cannot be
	// used afterwards.
	Close() error
	// String says which implementation this is and where the rank stands, for logs.
	String() string
}

// BroadcastFloat32 copies root's buf into every other rank's buf: a broadcast is a copy of bits,
// so it goes through Comm.Broadcast's bytes.
func BroadcastFloat32(c Comm, buf []float32, root int) error {
	return c.Broadcast(bytesOf(buf), root)
}

// BroadcastFloat64 is BroadcastFloat32 for float64 buffers.
func BroadcastFloat64(c Comm, buf []float64, root int) error {
	return c.Broadcast(bytesOf(buf), root)
}

// bytesOf views a slice's memory as bytes, without copying.
func bytesOf[T float32 | float64](buf []T) []byte {
	if len(buf) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&buf[0])), len(buf)*int(unsafe.Sizeof(zero)))
}

// checkRoot returns an error for a root outside the group.
func checkRoot(root, size int) error {
	if root < 0 || root >= size {
		return fmt.Errorf("dist: broadcast from rank %d in a group of %d", root, size)
	}
	return nil
}

// checkOp returns an error for an Op that is neither Sum nor Mean.
func checkOp(op Op) error {
	if op != Sum && op != Mean {
		return fmt.Errorf("dist: all-reduce with unknown %v", op)
	}
	return nil
}

// Group is this process's place in a run: a host communicator and, when the run reduces CUDA
// memory with NCCL, a device communicator beside it.
type Group struct {
	Comm         // host buffers: the single process or MPI
	Device *NCCL // CUDA storage; nil unless Open was asked for "nccl"
}

// Open returns the group that kind names:
//
//   - "none": a single process (SingleProcess);
//   - "mpi": MPI's world (OpenMPI);
//   - "nccl": MPI's world if a launcher started this process, a single process otherwise, and an
//     NCCL communicator over dev, a CUDA backend (*cuda.Backend), with the same ranks, its unique
//     id broadcast from rank 0 over the host communicator;
//   - "auto" or "": "mpi" when a launcher started this process (see Launcher), "none" otherwise.
//
// dev is used only by "nccl" and may be nil otherwise.
func Open(kind string, dev CUDAQueue) (*Group, error) {
	switch kind {
	case "none":
		return &Group{Comm: SingleProcess()}, nil
	case "mpi":
		c, err := OpenMPI()
		if err != nil {
			return nil, err
		}
		return &Group{Comm: c}, nil
	case "auto", "":
		if _, ok := Launcher(); ok {
			return Open("mpi", nil)
		}
		return Open("none", nil)
	case "nccl":
		if dev == nil {
			return nil, fmt.Errorf("dist: nccl needs a CUDA device")
		}
		g, err := Open("auto", nil)
		if err != nil {
			return nil, err
		}
		nc, err := OpenNCCL(g.Comm, dev)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.Device = nc
		return g, nil
	}
	return nil, fmt.Errorf("dist: unknown communicator %q (want none, mpi, nccl or auto)", kind)
}

// Close closes the device communicator, if any, and then the host one.
func (g *Group) Close() error {
	if g.Device != nil {
		if err := g.Device.Close(); err != nil {
			g.Comm.Close()
			return err
		}
	}
	return g.Comm.Close()
}

// launcherVars are the environment variables by which MPI launchers tell a process that it is one
// of many: Open MPI's mpirun, MPICH's Hydra (mpiexec), PMIx (Open MPI 5, prterun, srun --mpi=pmix)
// and Slurm's srun, which sets SLURM_STEP_NUM_TASKS in each task of a job step (a batch script
// itself is not a step of more than one task).
var launcherVars = []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_STEP_NUM_TASKS"}

// Launcher reports which environment variable says that an MPI launcher started this process, as
// "NAME=value", and whether there is one.
func Launcher() (string, bool) {
	for _, name := range launcherVars {
		if v, ok := os.LookupEnv(name); ok {
			if name == "SLURM_STEP_NUM_TASKS" && v == "1" {
				continue // srun of a single task: nothing to talk to
			}
			return name + "=" + v, true
		}
	}
	return "", false
}
