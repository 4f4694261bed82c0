package dist

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/gpu/cuda"
	"github.com/zebra-go/zebra/tensor"
)

// fakeQueue is a CUDAQueue over CPU tensors, for the fake NCCL, which takes host addresses for
// device ones. Its stream is a recognizable number that the fake logs.
type fakeQueue struct {
	ptrs map[tensor.Storage]unsafe.Pointer
}

const fakeStream = 0x5eed

func (q *fakeQueue) Name() string { return "fake:0" }

func (q *fakeQueue) DevicePointer(s tensor.Storage) uint64 {
	p, ok := q.ptrs[s]
	if !ok {
		panic("fakeQueue: storage it did not make")
	}
	return uint64(uintptr(p))
}

func (q *fakeQueue) OnStream(f func(stream uintptr)) { f(fakeStream) }

// tensor returns a CPU tensor of v whose address DevicePointer knows.
func (q *fakeQueue) tensor(dt tensor.DType, v ...float32) *tensor.Tensor {
	t := tensor.Cast(tensor.FromFloat32(v, len(v)), dt)
	if len(v) > 0 {
		if dt == tensor.Float32 {
			q.ptrs[t.Storage()] = unsafe.Pointer(&tensor.CPUFloat32s(t)[0])
		} else {
			q.ptrs[t.Storage()] = unsafe.Pointer(&tensor.CPUFloat64s(t)[0])
		}
	}
	return t
}

// TestNCCLFake runs the NCCL communicator against a fake libnccl (testdata/fake, built with the C
// compiler when there is one): binding, the unique id by value through ncclCommInitRank, its
// exchange over a host communicator and through a file, in-place all-reduces and broadcasts of
// float32 and float64 storage on the device's stream, and NCCL's error strings.
func TestNCCLFake(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build the fake NCCL")
	}
	libs := t.TempDir()
	out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", filepath.Join(libs, "libnccl.so.2"), filepath.Join("testdata", "fake", "libnccl.c")).CombinedOutput()
	if err != nil {
		t.Fatalf("building the fake libnccl: %v\n%s", err, out)
	}
	t.Setenv(gpu.LibraryPathEnv, libs)
	logPath := filepath.Join(t.TempDir(), "calls")
	t.Setenv("FAKE_NCCL_LOG", logPath)
	q := &fakeQueue{ptrs: map[tensor.Storage]unsafe.Pointer{}}

	// A group of one: the id goes from rank 0 to itself, and a sum is the buffer.
	alone, err := OpenNCCL(SingleProcess(), q)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := alone.String(), "nccl 2.18.5 on fake:0, rank 0 of 1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	x := q.tensor(tensor.Float32, 1, 2, 3)
	checkNCCL(t, alone.AllReduce(x.Storage(), Sum), x, 1, 2, 3)
	checkNCCL(t, alone.Close(), x, 1, 2, 3)

	// Rank 1 of 2, the id through a file. The fake's other rank holds the same data.
	id, err := NewNCCLID(q)
	if err != nil {
		t.Fatal(err)
	}
	idPath := filepath.Join(t.TempDir(), "nccl-id")
	if err := WriteNCCLID(idPath, id); err != nil {
		t.Fatal(err)
	}
	read, err := ReadNCCLID(idPath, time.Second)
	if err != nil || read != id {
		t.Fatalf("ReadNCCLID = %v, %v; want the id written", read, err)
	}
	c, err := OpenNCCLWithID(q, 1, 2, read)
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		x := q.tensor(dt, 1, -2, 3.5)
		checkNCCL(t, c.AllReduce(x.Storage(), Sum), x, 2, -4, 7)
		checkNCCL(t, c.AllReduce(x.Storage(), Mean), x, 2, -4, 7)
		checkNCCL(t, c.Broadcast(x.Storage(), 1), x, 2, -4, 7) // from itself: nothing changes
		checkNCCL(t, c.Broadcast(x.Storage(), 0), x, 0, 1, 2)  // root*1000 + i, from the fake's rank 0
		empty := q.tensor(dt)
		checkNCCL(t, c.AllReduce(empty.Storage(), Sum), empty) // no call
	}
	if err := c.Broadcast(x.Storage(), 2); err == nil {
		t.Error("broadcast from rank 2 of 2: no error")
	}
	if err := c.AllReduce(x.Storage(), Op(5)); err == nil {
		t.Error("all-reduce with Op(5): no error")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// An id that ncclGetUniqueId did not make: NCCL's own description comes back.
	_, err = OpenNCCLWithID(q, 0, 2, NCCLID{})
	if err == nil || !strings.Contains(err.Error(), "ncclCommInitRank failed: NCCL error 4: invalid argument (described by the fake NCCL) (fake:0, rank 0 of 2)") {
		t.Errorf("garbled id: %v", err)
	}

	calls, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"getUniqueId",
		"commInitRank nranks=1 rank=0 id=intact",
		"allReduce count=3 dtype=7 op=0 inplace=1 stream=0x5eed",
		"commDestroy rank=0",
		"getUniqueId",
		"commInitRank nranks=2 rank=1 id=intact",
	}
	for _, dtype := range []string{"7", "8"} {
		want = append(want,
			"allReduce count=3 dtype="+dtype+" op=0 inplace=1 stream=0x5eed",
			"allReduce count=3 dtype="+dtype+" op=4 inplace=1 stream=0x5eed", // ncclAvg
			"broadcast count=3 dtype="+dtype+" root=1 inplace=1 stream=0x5eed",
			"broadcast count=3 dtype="+dtype+" root=0 inplace=1 stream=0x5eed")
	}
	want = append(want, "commDestroy rank=1", "commInitRank nranks=2 rank=0 id=garbled")
	if got := strings.Split(strings.TrimSpace(string(calls)), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("the fake NCCL saw\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkNCCL fails t when err is not nil or x's elements are not want.
func checkNCCL(t *testing.T, err error, x *tensor.Tensor, want ...float64) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Float64s(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("%v: got %v, want %v", x.DType(), got, want)
	}
}

func TestNCCLMissingLibrary(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(gpu.LibraryPathEnv, dir)
	_, err := NewNCCLID(&fakeQueue{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("NewNCCLID in an empty folder: %v, want an error wrapping ErrUnavailable", err)
	}
	for _, name := range []string{"libnccl.so.2", "libnccl.so"} {
		if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
			t.Errorf("the error does not name %s: %v", filepath.Join(dir, name), err)
		}
	}
}

// TestNCCLCUDA runs a group of one rank on CUDA device 0 with the real NCCL, where there are
// both: the id, the communicator, and in-place reductions and broadcasts of device storage queued
// between the backend's own kernels (an Add before, a Mul after, all on one stream).
func TestNCCLCUDA(t *testing.T) {
	b, err := cuda.Open(0)
	if err != nil {
		t.Skipf("no CUDA device: %v", err)
	}
	if _, err := loadNCCL(); err != nil {
		t.Skipf("a CUDA device but no NCCL: %v", err)
	}
	g, err := Open("nccl", b)
	if err != nil {
		t.Fatal(err)
	}
	if g.Size() != 1 {
		t.Skipf("this test runs one rank; started as rank %d of %d", g.Rank(), g.Size())
	}
	t.Log(g.Device)
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, n := range []int{1, 7, 1 << 20} {
			host := make([]float32, n)
			for i := range host {
				host[i] = float32(i%1000) - 250
			}
			x := tensor.Add(tensor.Cast(tensor.FromFloat32(host, n), dt).To(b), tensor.Scalar(dt, 1).To(b))
			for _, op := range []Op{Sum, Mean} {
				if err := g.Device.AllReduce(x.Storage(), op); err != nil {
					t.Fatal(err)
				}
			}
			if err := g.Device.Broadcast(x.Storage(), 0); err != nil {
				t.Fatal(err)
			}
			got := tensor.Mul(x, tensor.Scalar(dt, 2).To(b)).Float64s()
			for i, v := range got {
				if want := 2 * (float64(host[i]) + 1); v != want {
					t.Fatalf("%v n=%d: element %d is %v, want %v", dt, n, i, v, want)
				}
			}
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}

// secondRank is rank 1 of 2 whose broadcasts receive what a failed rank 0 sends: zeros.
type secondRank struct{ singleProcess }

func (secondRank) Rank() int { return 1 }
func (secondRank) Size() int { return 2 }

func (secondRank) Broadcast(buf []byte, root int) error {
	clear(buf)
	return nil
}

func TestNCCLRootFailed(t *testing.T) {
	_, err := OpenNCCL(secondRank{}, &fakeQueue{})
	if err == nil || !strings.Contains(err.Error(), "rank 0 could not make an NCCL id") {
		t.Errorf("OpenNCCL after rank 0 failed: %v", err)
	}
}
