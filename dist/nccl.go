package dist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/gpu/cuda"
	"github.com/zebra-go/zebra/tensor"
)

// CUDAQueue is what an NCCL communicator needs of a CUDA device: the addresses of its storage and
// a place in the queue of its work. *cuda.Backend implements it (gpu/cuda/collective.go).
type CUDAQueue interface {
	// Name is the device's name, e.g. "cuda:0".
	Name() string
	// DevicePointer returns the device address of s's first element.
	DevicePointer(s tensor.Storage) uint64
	// OnStream runs f on the thread that queues the device's work, with its context current,
	// after the work queued before, and returns when f has returned; stream is the CUDA stream
	// that work goes to, so that what f queues there runs in order with it.
	OnStream(f func(stream uintptr))
}

// *cuda.Backend is the CUDAQueue of the real thing.
var _ CUDAQueue = (*cuda.Backend)(nil)

// NCCLID is NCCL's ncclUniqueId: 128 opaque bytes that rank 0 makes (NewNCCLID) and every rank
// passes to ncclCommInitRank, which takes it by value. purego passes a struct by value as C does
// (on amd64 a struct over 16 bytes goes on the stack, its bytes as they are in memory), so the
// array travels intact inside a struct; a bare Go array would not.
type NCCLID struct{ Internal [128]byte }

// ncclAPI holds the NCCL entry points zebra uses (nccl.h), bound with purego. ncclResult_t,
// ncclDataType_t and ncclRedOp_t are C enums (int32); buffers are device addresses, counts size_t.
type ncclAPI struct {
	lib *gpu.Library

	GetVersion     func(version *int32) int32
	GetUniqueID    func(id *NCCLID) int32
	CommInitRank   func(comm *uintptr, nranks int32, id NCCLID, rank int32) int32
	AllReduce      func(send, recv uintptr, count uintptr, dtype, op int32, comm, stream uintptr) int32
	Broadcast      func(send, recv uintptr, count uintptr, dtype, root int32, comm, stream uintptr) int32
	CommDestroy    func(comm uintptr) int32
	GetErrorString func(code int32) string
}

// NCCL's enum values (nccl.h).
const (
	ncclFloat32 = 7
	ncclFloat64 = 8
	ncclSum     = 0
	ncclAvg     = 4 // since NCCL 2.10
)

// ncclAvgVersion is the first NCCL version (NCCL_VERSION_CODE) with ncclAvg.
const ncclAvgVersion = 21000

// loadNCCL opens libnccl and binds its entry points.
func loadNCCL() (*ncclAPI, error) {
	lib, err := gpu.OpenLibrary("NCCL", []string{"libnccl.so.2", "libnccl.so"}, cuda.LibraryDirs("nccl"))
	if err != nil {
		return nil, err
	}
	a := &ncclAPI{lib: lib}
	b := gpu.LibraryBinder{Lib: lib}
	b.Bind(&a.GetVersion, "ncclGetVersion")
	b.Bind(&a.GetUniqueID, "ncclGetUniqueId")
	b.Bind(&a.CommInitRank, "ncclCommInitRank")
	b.Bind(&a.AllReduce, "ncclAllReduce")
	b.Bind(&a.Broadcast, "ncclBroadcast")
	b.Bind(&a.CommDestroy, "ncclCommDestroy")
	b.Bind(&a.GetErrorString, "ncclGetErrorString")
	return a, b.Err
}

// FindNCCL opens libnccl and returns where it is and its version ("2.18.5"), without a GPU. The
// error wraps ErrUnavailable and names every path tried when there is none.
func FindNCCL() (path, version string, err error) {
	a, err := loadNCCL()
	if err != nil {
		return "", "", err
	}
	var code int32
	if err := a.check("ncclGetVersion", a.GetVersion(&code)); err != nil {
		return "", "", err
	}
	return a.lib.Path, versionString(int(code)), nil
}

// versionString spells NCCL_VERSION_CODE (major*10000 + minor*100 + patch since 2.9) as 2.18.5.
func versionString(code int) string {
	return fmt.Sprintf("%d.%d.%d", code/10000, code/100%100, code%100)
}

func (a *ncclAPI) check(call string, code int32) error {
	if code == 0 {
		return nil
	}
	return fmt.Errorf("dist: %s failed: NCCL error %d: %s", call, code, a.GetErrorString(code))
}

// NCCL is a communicator over the memory of one CUDA device per rank.
type NCCL struct {
	Version    int // NCCL_VERSION_CODE, e.g. 21805 for 2.18.5
	api        *ncclAPI
	dev        CUDAQueue
	comm       uintptr
	rank, size int
}

// NewNCCLID makes a unique id on rank 0, to hand to every rank (see OpenNCCLWithID).
func NewNCCLID(dev CUDAQueue) (NCCLID, error) {
	var id NCCLID
	a, err := loadNCCL()
	if err != nil {
		return id, err
	}
	var code int32
	dev.OnStream(func(uintptr) { code = a.GetUniqueID(&id) })
	return id, a.check("ncclGetUniqueId", code)
}

// OpenNCCL returns the NCCL communicator of host's ranks over dev, rank 0's unique id broadcast to
// the others over host. Every rank of host must call it.
func OpenNCCL(host Comm, dev CUDAQueue) (*NCCL, error) {
	// The broadcast carries a byte that says whether rank 0 made an id, after the id itself: the
	// others wait for it in any case, and without that byte they would try to join a group that
	// does not exist.
	var id NCCLID
	message := make([]byte, len(id.Internal)+1)
	var idErr error
	if host.Rank() == 0 {
		id, idErr = NewNCCLID(dev)
		copy(message, id.Internal[:])
		if idErr == nil {
			message[len(id.Internal)] = 1
		}
	}
	if err := host.Broadcast(message, 0); err != nil {
		return nil, err
	}
	if idErr != nil {
		return nil, idErr
	}
	if message[len(id.Internal)] != 1 {
		return nil, fmt.Errorf("dist: rank 0 could not make an NCCL id (its error says why)")
	}
	copy(id.Internal[:], message)
	return OpenNCCLWithID(dev, host.Rank(), host.Size(), id)
}

// OpenNCCLWithID joins rank to the NCCL communicator of size ranks that id names, on dev. It
// returns when all size ranks have joined.
func OpenNCCLWithID(dev CUDAQueue, rank, size int, id NCCLID) (*NCCL, error) {
	if rank < 0 || rank >= size {
		return nil, fmt.Errorf("dist: NCCL rank %d in a group of %d", rank, size)
	}
	a, err := loadNCCL()
	if err != nil {
		return nil, err
	}
	c := &NCCL{api: a, dev: dev, rank: rank, size: size}
	var version int32
	if err := a.check("ncclGetVersion", a.GetVersion(&version)); err != nil {
		return nil, err
	}
	c.Version = int(version)
	var code int32
	dev.OnStream(func(uintptr) { code = a.CommInitRank(&c.comm, int32(size), id, int32(rank)) })
	if err := a.check("ncclCommInitRank", code); err != nil {
		return nil, fmt.Errorf("%w (%s, rank %d of %d)", err, dev.Name(), rank, size)
	}
	return c, nil
}

func (c *NCCL) Rank() int { return c.rank }
func (c *NCCL) Size() int { return c.size }

func (c *NCCL) String() string {
	return fmt.Sprintf("nccl %s on %s, rank %d of %d", versionString(c.Version), c.dev.Name(), c.rank, c.size)
}

// ncclType returns NCCL's data type for dt.
func ncclType(dt tensor.DType) (int32, error) {
	switch dt {
	case tensor.Float32:
		return ncclFloat32, nil
	case tensor.Float64:
		return ncclFloat64, nil
	}
	return 0, fmt.Errorf("dist: NCCL cannot reduce %v", dt)
}

// AllReduce replaces each element of s, storage of the communicator's device, by op over the same
// element of every rank's s, in place. The reduction is queued on the device's stream, in order
// with its kernels: AllReduce returns once it is queued, and a later read of s waits for it.
func (c *NCCL) AllReduce(s tensor.Storage, op Op) error {
	dtype, err := ncclType(s.DType())
	if err != nil {
		return err
	}
	var ncclOp int32
	switch op {
	case Sum:
		ncclOp = ncclSum
	case Mean:
		if c.Version < ncclAvgVersion {
			return fmt.Errorf("dist: %v: a mean needs ncclAvg, NCCL 2.10 or later", c)
		}
		ncclOp = ncclAvg
	default:
		return checkOp(op)
	}
	if s.Len() == 0 {
		return nil
	}
	ptr := uintptr(c.dev.DevicePointer(s))
	var code int32
	c.dev.OnStream(func(stream uintptr) {
		code = c.api.AllReduce(ptr, ptr, uintptr(s.Len()), dtype, ncclOp, c.comm, stream)
	})
	runtime.KeepAlive(s)
	return c.api.check("ncclAllReduce", code)
}

// Broadcast copies root's s into every other rank's s, queued on the device's stream as AllReduce
// is.
func (c *NCCL) Broadcast(s tensor.Storage, root int) error {
	if err := checkRoot(root, c.size); err != nil {
		return err
	}
	dtype, err := ncclType(s.DType())
	if err != nil {
		return err
	}
	if s.Len() == 0 {
		return nil
	}
	ptr := uintptr(c.dev.DevicePointer(s))
	var code int32
	c.dev.OnStream(func(stream uintptr) {
		code = c.api.Broadcast(ptr, ptr, uintptr(s.Len()), dtype, int32(root), c.comm, stream)
	})
	runtime.KeepAlive(s)
	return c.api.check("ncclBroadcast", code)
}

// Close destroys the communicator. Every rank must call it.
func (c *NCCL) Close() error {
	var code int32
	c.dev.OnStream(func(uintptr) { code = c.api.CommDestroy(c.comm) })
	return c.api.check("ncclCommDestroy", code)
}

// WriteNCCLID stores id at path for ReadNCCLID, where ranks share a file system but no MPI: it is
// written to a temporary name, synced and renamed, so that a reader never sees half an id.
func WriteNCCLID(path string, id NCCLID) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("dist: writing the NCCL id: %w", err)
	}
	_, err = tmp.Write(id.Internal[:])
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("dist: writing the NCCL id: %w", err)
	}
	return nil
}

// ReadNCCLID waits up to timeout for WriteNCCLID's file at path and returns its id.
func ReadNCCLID(path string, timeout time.Duration) (NCCLID, error) {
	var id NCCLID
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if len(b) != len(id.Internal) {
				return id, fmt.Errorf("dist: %s holds %d bytes, not an NCCL id of %d", path, len(b), len(id.Internal))
			}
			copy(id.Internal[:], b)
			return id, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return id, fmt.Errorf("dist: reading the NCCL id: %w", err)
		}
		if time.Now().After(deadline) {
			return id, fmt.Errorf("dist: no NCCL id at %s after %v: did rank 0 write it?", path, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
