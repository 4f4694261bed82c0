package dist

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/zebra-go/zebra/gpu"
)

// mpiAPI holds the MPI entry points zebra uses (mpi.h), bound with purego. Every handle
// (MPI_Comm, MPI_Datatype, MPI_Op) is passed as a uintptr: Open MPI's are pointers, MPICH's are
// ints, and an int argument travels in the low half of a 64-bit register on amd64 and arm64, so one
// signature fits both. Return values are MPI error codes, 0 for MPI_SUCCESS.
type mpiAPI struct {
	lib     *gpu.Library
	handles mpiHandles

	InitThread        func(argc, argv unsafe.Pointer, required int32, provided *int32) int32
	Initialized       func(flag *int32) int32
	Finalized         func(flag *int32) int32
	CommRank          func(comm uintptr, rank *int32) int32
	CommSize          func(comm uintptr, size *int32) int32
	Allreduce         func(send uintptr, recv unsafe.Pointer, count int32, dtype, op, comm uintptr) int32
	Bcast             func(buf unsafe.Pointer, count int32, dtype uintptr, root int32, comm uintptr) int32
	Barrier           func(comm uintptr) int32
	Finalize          func() int32
	Abort             func(comm uintptr, code int32) int32
	GetLibraryVersion func(version *byte, length *int32) int32
	ErrorString       func(code int32, text *byte, length *int32) int32
}

// mpiHandles are the predefined handles of one MPI implementation.
type mpiHandles struct {
	implementation                              string // "Open MPI" or "MPICH"
	commWorld, float32T, float64T, byteT, opSum uintptr
	inPlace                                     uintptr // MPI_IN_PLACE, a sentinel send buffer
}

// mpichHandles are MPICH's handles, integers fixed in its mpi.h (the same in Intel MPI, MVAPICH
// and Cray MPICH, which share its ABI): a handle's bits say what kind of object it is (0x44 a
// communicator, 0x4c a datatype, whose size in bytes is bits 8-15, 0x58 an operation).
var mpichHandles = mpiHandles{
	implementation: "MPICH",
	commWorld:      0x44000000,
	float32T:       0x4c00040a,
	float64T:       0x4c00080b,
	byteT:          0x4c00010d,
	opSum:          0x58000003,
	inPlace:        ^uintptr(0), // (void *)-1
}

// openMPIHandles reads Open MPI's handles, which are the addresses of the library's predefined
// objects (mpi.h: #define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)).
func openMPIHandles(lib *gpu.Library) (mpiHandles, error) {
	h := mpiHandles{implementation: "Open MPI", inPlace: 1} // MPI_IN_PLACE is (void *)1
	for _, s := range []struct {
		handle *uintptr
		symbol string
	}{
		{&h.commWorld, "ompi_mpi_comm_world"},
		{&h.float32T, "ompi_mpi_float"},
		{&h.float64T, "ompi_mpi_double"},
		{&h.byteT, "ompi_mpi_byte"},
		{&h.opSum, "ompi_mpi_op_sum"},
	} {
		addr, err := lib.Symbol(s.symbol)
		if err != nil {
			return h, err
		}
		*s.handle = addr
	}
	return h, nil
}

// mpiLibraryNames are the sonames of libmpi: Open MPI 3, 4 and 5 (.40), MPICH 3.1 and later and
// its ABI relatives (.12; Debian and Ubuntu name MPICH's libmpich.so.12), then the development
// symlink, which points at whichever MPI the system's alternatives chose.
var mpiLibraryNames = []string{"libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so"}

// mpiDirs are the usual folders of libmpi, searched after the dynamic linker's own search: an MPI
// install named by MPI_HOME, Debian's and Ubuntu's Open MPI and MPICH, RHEL's environment modules.
func mpiDirs() []string {
	var dirs []string
	if home := os.Getenv("MPI_HOME"); home != "" {
		dirs = append(dirs, filepath.Join(home, "lib"), filepath.Join(home, "lib64"))
	}
	return append(dirs,
		"/usr/lib/x86_64-linux-gnu/openmpi/lib", "/usr/lib/x86_64-linux-gnu",
		"/usr/lib/x86_64-linux-gnu/mpich/lib", "/usr/lib64/openmpi/lib", "/usr/lib64/mpich/lib",
		"/usr/local/lib")
}

// loadMPI opens libmpi, binds its entry points and finds its implementation's handles. It does not
// initialize MPI.
func loadMPI() (*mpiAPI, error) {
	lib, err := gpu.OpenLibrary("the MPI library (Open MPI or MPICH)", mpiLibraryNames, mpiDirs())
	if err != nil {
		return nil, err
	}
	a := &mpiAPI{lib: lib}
	b := gpu.LibraryBinder{Lib: lib}
	b.Bind(&a.InitThread, "MPI_Init_thread")
	b.Bind(&a.Initialized, "MPI_Initialized")
	b.Bind(&a.Finalized, "MPI_Finalized")
	b.Bind(&a.CommRank, "MPI_Comm_rank")
	b.Bind(&a.CommSize, "MPI_Comm_size")
	b.Bind(&a.Allreduce, "MPI_Allreduce")
	b.Bind(&a.Bcast, "MPI_Bcast")
	b.Bind(&a.Barrier, "MPI_Barrier")
	b.Bind(&a.Finalize, "MPI_Finalize")
	b.Bind(&a.Abort, "MPI_Abort")
	b.Bind(&a.GetLibraryVersion, "MPI_Get_library_version")
	b.Bind(&a.ErrorString, "MPI_Error_string")
	if b.Err != nil {
		return nil, b.Err
	}
	if lib.Has("ompi_mpi_comm_world") {
		a.handles, err = openMPIHandles(lib)
	} else {
		a.handles = mpichHandles
	}
	return a, err
}

// version returns the first line of MPI_Get_library_version, which MPI allows before MPI_Init:
// "Open MPI v4.1.4, package: Debian OpenMPI, ...", or "MPICH Version: 4.0.2".
func (a *mpiAPI) version() string {
	text := make([]byte, 8192) // MPICH's MPI_MAX_LIBRARY_VERSION_STRING; Open MPI's is 256
	var n int32
	if a.GetLibraryVersion(&text[0], &n) != 0 {
		return "unknown version"
	}
	// Open MPI counts the terminating NUL in length, MPICH does not.
	s, _, _ := strings.Cut(string(text[:max(0, min(int(n), len(text)))]), "\x00")
	first, _, _ := strings.Cut(s, "\n")
	return strings.Join(strings.Fields(first), " ")
}

// check turns an MPI error code into an error with MPI_Error_string's text. By default MPI aborts
// the job on an error before returning one (MPI_ERRORS_ARE_FATAL); this serves the others.
func (a *mpiAPI) check(call string, code int32) error {
	if code == 0 {
		return nil
	}
	text := make([]byte, 512) // MPI_MAX_ERROR_STRING is 256 in Open MPI, 512 in MPICH
	var n int32
	a.ErrorString(code, &text[0], &n)
	return fmt.Errorf("dist: %s failed with MPI error %d: %s", call, code, text[:max(0, min(int(n), len(text)))])
}

// MPILibrary describes the MPI library that OpenMPI would use.
type MPILibrary struct {
	Path           string // the name or path that opened
	Implementation string // "Open MPI" or "MPICH"
	Version        string // MPI_Get_library_version's first line
}

func (l MPILibrary) String() string {
	return fmt.Sprintf("%s (%s, %s)", l.Implementation, l.Version, l.Path)
}

// FindMPI opens libmpi and reports which MPI it is, without initializing MPI. The error wraps
// ErrUnavailable and names every path tried when there is none.
func FindMPI() (MPILibrary, error) {
	a, err := loadMPI()
	if err != nil {
		return MPILibrary{}, err
	}
	return MPILibrary{Path: a.lib.Path, Implementation: a.handles.implementation, Version: a.version()}, nil
}

// MPI thread support levels (MPI_THREAD_SINGLE ... MPI_THREAD_MULTIPLE), the same in both.
const (
	mpiThreadFunneled = 1
	mpiThreadMultiple = 3
)

var threadLevelNames = []string{"MPI_THREAD_SINGLE", "MPI_THREAD_FUNNELED", "MPI_THREAD_SERIALIZED", "MPI_THREAD_MULTIPLE"}

// MPI is the communicator of MPI_COMM_WORLD. Every call runs on one OS thread (see the package
// documentation).
type MPI struct {
	Library     MPILibrary
	ThreadLevel string // what MPI_Init_thread provided: MPI_THREAD_FUNNELED or better

	api        *mpiAPI
	thread     *lockedThread
	rank, size int
	// maxCount is the most elements one MPI call moves: counts are C ints. A test lowers it to
	// exercise the chunking on small buffers.
	maxCount int
	closed   bool
}

var (
	worldMu sync.Mutex
	world   *MPI
	// worldDone is set once MPI_Finalize has run: MPI cannot be initialized twice in a process.
	worldDone bool
)

// OpenMPI initializes MPI (once per process) and returns MPI_COMM_WORLD. Started without a
// launcher, MPI gives a world of one rank. The error wraps ErrUnavailable when there is no libmpi.
func OpenMPI() (*MPI, error) {
	worldMu.Lock()
	defer worldMu.Unlock()
	if world != nil {
		return world, nil
	}
	if worldDone {
		return nil, fmt.Errorf("dist: MPI was finalized; it cannot be initialized again in this process")
	}
	a, err := loadMPI()
	if err != nil {
		return nil, err
	}
	c := &MPI{api: a, thread: newLockedThread(), maxCount: math.MaxInt32,
		Library: MPILibrary{Path: a.lib.Path, Implementation: a.handles.implementation, Version: a.version()}}
	c.thread.do(func() {
		var initialized, provided, rank, size int32
		a.Initialized(&initialized)
		if initialized != 0 {
			err = fmt.Errorf("dist: MPI was initialized by someone else in this process")
			return
		}
		if err = a.check("MPI_Init_thread", a.InitThread(nil, nil, mpiThreadFunneled, &provided)); err != nil {
			return
		}
		if provided < mpiThreadFunneled || provided > mpiThreadMultiple {
			err = fmt.Errorf("dist: %s provides thread level %d, zebra needs MPI_THREAD_FUNNELED", c.Library, provided)
			a.Finalize()
			return
		}
		c.ThreadLevel = threadLevelNames[provided]
		if err = a.check("MPI_Comm_rank", a.CommRank(a.handles.commWorld, &rank)); err != nil {
			return
		}
		err = a.check("MPI_Comm_size", a.CommSize(a.handles.commWorld, &size))
		c.rank, c.size = int(rank), int(size)
	})
	if err != nil {
		return nil, err
	}
	world = c
	return c, nil
}

func (c *MPI) Rank() int { return c.rank }
func (c *MPI) Size() int { return c.size }

func (c *MPI) String() string {
	return fmt.Sprintf("mpi: %s, rank %d of %d", c.Library, c.rank, c.size)
}

// do runs f on the MPI thread, or returns an error when the communicator was closed.
func (c *MPI) do(f func() error) error {
	if c.closed {
		return fmt.Errorf("dist: MPI communicator used after Close")
	}
	var err error
	c.thread.do(func() { err = f() })
	return err
}

func (c *MPI) AllReduceFloat32(buf []float32, op Op) error {
	if err := c.allReduce(unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 4, c.api.handles.float32T, op); err != nil {
		return err
	}
	if op == Mean {
		n := float32(c.size)
		for i := range buf {
			buf[i] /= n
		}
	}
	return nil
}

func (c *MPI) AllReduceFloat64(buf []float64, op Op) error {
	if err := c.allReduce(unsafe.Pointer(unsafe.SliceData(buf)), len(buf), 8, c.api.handles.float64T, op); err != nil {
		return err
	}
	if op == Mean {
		n := float64(c.size)
		for i := range buf {
			buf[i] /= n
		}
	}
	return nil
}

// allReduce sums n elements of elemSize bytes at buf in place over all ranks, in chunks of at
// most maxCount elements. A mean is a sum here; the caller divides.
func (c *MPI) allReduce(buf unsafe.Pointer, n, elemSize int, dtype uintptr, op Op) error {
	if err := checkOp(op); err != nil {
		return err
	}
	a := c.api
	return c.do(func() error {
		for start := 0; start < n; start += c.maxCount {
			count := min(c.maxCount, n-start)
			chunk := unsafe.Add(buf, start*elemSize)
			if err := a.check("MPI_Allreduce", a.Allreduce(a.handles.inPlace, chunk, int32(count), dtype, a.handles.opSum, a.handles.commWorld)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *MPI) Broadcast(buf []byte, root int) error {
	if err := checkRoot(root, c.size); err != nil {
		return err
	}
	a := c.api
	return c.do(func() error {
		for start := 0; start < len(buf); start += c.maxCount {
			count := min(c.maxCount, len(buf)-start)
			if err := a.check("MPI_Bcast", a.Bcast(unsafe.Pointer(&buf[start]), int32(count), a.handles.byteT, int32(root), a.handles.commWorld)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *MPI) Barrier() error {
	a := c.api
	return c.do(func() error { return a.check("MPI_Barrier", a.Barrier(a.handles.commWorld)) })
}

// Close finalizes MPI. MPI cannot start again in this process afterwards.
func (c *MPI) Close() error {
	worldMu.Lock()
	defer worldMu.Unlock()
	a := c.api
	err := c.do(func() error { return a.check("MPI_Finalize", a.Finalize()) })
	c.closed, world, worldDone = true, nil, true
	return err
}

// Abort ends every rank of the job with code: for an error on one rank that the others, waiting in
// a collective, would otherwise wait for forever.
func (c *MPI) Abort(code int) {
	a := c.api
	c.thread.do(func() { a.Abort(a.handles.commWorld, int32(code)) })
}

// lockedThread runs functions on one goroutine locked to one OS thread, in order.
type lockedThread struct{ calls chan func() }

func newLockedThread() *lockedThread {
	t := &lockedThread{calls: make(chan func())}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread belongs to MPI for the life of the process
		for f := range t.calls {
			f()
		}
	}()
	return t
}

// do runs f on the thread and returns when it has finished.
func (t *lockedThread) do(f func()) {
	done := make(chan struct{})
	t.calls <- func() {
		defer close(done)
		f()
	}
	<-done
}
