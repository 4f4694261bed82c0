package dist

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zebra-go/zebra/gpu"
)

// The MPI tests run this test binary again under mpirun, two ranks, with mpiChildEnv set: each
// rank then runs the checks of mpiRankChecks and prints a line that the parent looks for.
const (
	mpiChildEnv   = "ZEBRA_DIST_MPI_CHILD"
	mpiSharedEnv  = "ZEBRA_DIST_MPI_SHARED" // a folder both ranks see, for the barrier check
	bandwidthEnv  = "ZEBRA_DIST_BANDWIDTH"  // set: TestMPIAllReduceBandwidth runs
	bandwidthSize = 113 << 20 / 4           // float32 elements: CycleGAN's ~113 MB of gradients
	mpiRanks      = 2
)

// runUnderMPI runs test in mpiRanks ranks of this test binary, started by mpirun, and returns
// their output.
func runUnderMPI(t *testing.T, mpirun, test string, env ...string) string {
	t.Helper()
	version, _ := exec.Command(mpirun, "--version").CombinedOutput()
	args := []string{"-np", fmt.Sprint(mpiRanks)}
	env = append(env, mpiChildEnv+"=1", mpiSharedEnv+"="+t.TempDir())
	if strings.Contains(string(version), "Open MPI") || strings.Contains(string(version), "OpenRTE") {
		// Two ranks on a machine of fewer cores, and root in a container, are refused by default.
		args = append(args, "--oversubscribe")
		env = append(env, "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
		for _, e := range env {
			name, _, _ := strings.Cut(e, "=")
			args = append(args, "-x", name) // Open MPI passes on only the variables it is told to
		}
	} // MPICH's Hydra passes the whole environment on, and oversubscribes without asking.
	args = append(args, os.Args[0], "-test.run=^"+test+"$")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mpirun, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s", mpirun, strings.Join(args, " "))
	if err != nil {
		t.Fatalf("%s: %v\n%s", mpirun, err, out)
	}
	return string(out)
}

// defaultMPI returns the mpirun on PATH and the library that the default search finds, or skips.
func defaultMPI(t *testing.T) (string, MPILibrary) {
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("no mpirun on PATH (apt-get install openmpi-bin): the MPI communicator is not tested")
	}
	lib, err := FindMPI()
	if err != nil {
		t.Skipf("mpirun is here but libmpi is not: %v", err)
	}
	return mpirun, lib
}

// TestMPI runs mpiRankChecks on two ranks of the MPI that mpirun and the library search find,
// and on MPICH where Debian installs it beside Open MPI (mpiexec.mpich, libmpich.so.12), so that
// both kinds of handles are tested where both are installed.
func TestMPI(t *testing.T) {
	if os.Getenv(mpiChildEnv) == "1" {
		mpiRankChecks(t)
		return
	}
	t.Run("default", func(t *testing.T) {
		mpirun, lib := defaultMPI(t)
		t.Log(lib)
		checkRanks(t, runUnderMPI(t, mpirun, "TestMPI", mpiWantEnv+"="+lib.Implementation))
	})
	t.Run("MPICH", func(t *testing.T) {
		mpiexec, err := exec.LookPath("mpiexec.mpich")
		if err != nil {
			t.Skip("no mpiexec.mpich (apt-get install mpich)")
		}
		// The default search would find Open MPI's libmpi.so.40 first in the same folder, so
		// MPICH's library gets a folder of its own.
		dir := t.TempDir()
		for _, sys := range mpiDirs() {
			if _, err := os.Stat(filepath.Join(sys, "libmpich.so.12")); err == nil {
				os.Symlink(filepath.Join(sys, "libmpich.so.12"), filepath.Join(dir, "libmpich.so.12"))
				break
			}
		}
		checkRanks(t, runUnderMPI(t, mpiexec, "TestMPI", mpiWantEnv+"=MPICH", gpu.LibraryPathEnv+"="+dir))
	})
}

// mpiWantEnv names the implementation that the ranks must find.
const mpiWantEnv = "ZEBRA_DIST_MPI_WANT"

// checkRanks fails t unless every rank says that its checks passed.
func checkRanks(t *testing.T, out string) {
	t.Helper()
	t.Log(out)
	for rank := range mpiRanks {
		if want := fmt.Sprintf("rank %d of %d: every check passed", rank, mpiRanks); !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a rank failed:\n%s", out)
	}
}

// mpiRankChecks is one rank's part of TestMPI.
func mpiRankChecks(t *testing.T) {
	c, err := OpenMPI()
	if err != nil {
		t.Fatal(err)
	}
	rank, size := c.Rank(), c.Size()
	if size != mpiRanks || rank < 0 || rank >= size {
		t.Fatalf("rank %d of %d, want one of %d", rank, size, mpiRanks)
	}
	if again, err := Open("auto", nil); err != nil || again.Comm != Comm(c) {
		t.Errorf(`Open("auto") under mpirun = %v, %v; want the MPI world %v`, again, err, c)
	}
	if want := os.Getenv(mpiWantEnv); c.Library.Implementation != want {
		t.Errorf("found %v, want %s", c.Library, want)
	}
	fmt.Printf("rank %d: %v, %s\n", rank, c, c.ThreadLevel)

	// Sizes 0, 1, ragged and a few MB, through one MPI call and through chunks of 1000 elements
	// (MPI counts are C ints; a small maxCount exercises the chunking on a small buffer).
	for _, maxCount := range []int{c.maxCount, 1000} {
		c.maxCount = maxCount
		for _, n := range []int{0, 1, 7, 1000, 1001, 1 << 20} {
			checkAllReduce(t, c, n, fmt.Sprintf("n=%d maxCount=%d", n, maxCount))
			checkBroadcast(t, c, n, fmt.Sprintf("n=%d maxCount=%d", n, maxCount))
		}
	}

	// The barrier: rank 0 leaves a file before it, every rank looks for it after it.
	marker := filepath.Join(os.Getenv(mpiSharedEnv), "before-barrier")
	if rank == 0 {
		time.Sleep(100 * time.Millisecond) // give the other rank every chance to run ahead
		if err := os.WriteFile(marker, []byte("0"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("after the barrier, rank 0's file is not there: %v", err)
	}

	if err := c.Broadcast([]byte{1}, size); err == nil {
		t.Errorf("broadcast from rank %d of %d: no error", size, size)
	}
	if err := c.AllReduceFloat32([]float32{1}, Op(9)); err == nil {
		t.Error("all-reduce with Op(9): no error")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Barrier(); err == nil {
		t.Error("barrier after Close: no error")
	}
	if !t.Failed() {
		fmt.Printf("rank %d of %d: every check passed\n", rank, size)
	}
}

// rankValue is rank's element i: small integers, so that sums and halves are exact in float32.
func rankValue(rank, i int) float64 { return float64((rank + 1) * (i%1000 - 300)) }

// checkAllReduce checks sums and means of n float32 and float64 elements against the values
// every rank contributed: Σ_r (r+1)·v = v·size(size+1)/2.
func checkAllReduce(t *testing.T, c Comm, n int, what string) {
	t.Helper()
	rank, size := c.Rank(), c.Size()
	ranksSum := float64(size * (size + 1) / 2)
	for _, op := range []Op{Sum, Mean} {
		want := func(i int) float64 {
			v := rankValue(0, i) * ranksSum
			if op == Mean {
				v /= float64(size)
			}
			return v
		}
		f32 := make([]float32, n)
		f64 := make([]float64, n)
		for i := range n {
			f32[i] = float32(rankValue(rank, i))
			f64[i] = rankValue(rank, i) + 0.25*float64(rank) // quarters: exact in float64
		}
		if err := c.AllReduceFloat32(f32, op); err != nil {
			t.Fatalf("%s: float32 %v: %v", what, op, err)
		}
		if err := c.AllReduceFloat64(f64, op); err != nil {
			t.Fatalf("%s: float64 %v: %v", what, op, err)
		}
		quarters := 0.25 * float64(size*(size-1)/2)
		if op == Mean {
			quarters /= float64(size)
		}
		for i := range n {
			if float64(f32[i]) != want(i) {
				t.Fatalf("%s: float32 %v: element %d is %v, want %v", what, op, i, f32[i], want(i))
			}
			if f64[i] != want(i)+quarters {
				t.Fatalf("%s: float64 %v: element %d is %v, want %v", what, op, i, f64[i], want(i)+quarters)
			}
		}
	}
}

// checkBroadcast broadcasts from every root in turn: the others' buffers, filled with NaN, must
// become root's.
func checkBroadcast(t *testing.T, c Comm, n int, what string) {
	t.Helper()
	for root := range c.Size() {
		f32 := make([]float32, n)
		f64 := make([]float64, n)
		for i := range n {
			v := float32(i) + 0.5
			if c.Rank() != root {
				v = float32(nan())
			}
			f32[i], f64[i] = v, float64(v)*3
		}
		if err := BroadcastFloat32(c, f32, root); err != nil {
			t.Fatalf("%s: broadcast from %d: %v", what, root, err)
		}
		if err := BroadcastFloat64(c, f64, root); err != nil {
			t.Fatalf("%s: broadcast from %d: %v", what, root, err)
		}
		for i := range n {
			if want := float32(i) + 0.5; f32[i] != want || f64[i] != float64(want)*3 {
				t.Fatalf("%s: broadcast from %d: element %d is %v and %v, want %v and %v", what, root, i, f32[i], f64[i], want, float64(want)*3)
			}
		}
	}
}

// TestMPIAllReduceBandwidth times float32 all-reduces of CycleGAN's gradient size (~113 MB) over
// two ranks, when ZEBRA_DIST_BANDWIDTH is set. It reports, and asserts nothing about, the
// algorithm bandwidth (bytes reduced per second) and the bus bandwidth, 2(n-1)/n times it, which
// is what each rank moves in a ring all-reduce and what NCCL's tests print.
func TestMPIAllReduceBandwidth(t *testing.T) {
	if os.Getenv(mpiChildEnv) == "1" {
		c, err := OpenMPI()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]float32, bandwidthSize)
		const rounds = 5
		c.AllReduceFloat32(buf, Sum) // warm up: first touch of the pages, MPI's connections
		c.Barrier()
		for _, op := range []Op{Sum, Mean} {
			start := time.Now()
			for range rounds {
				if err := c.AllReduceFloat32(buf, op); err != nil {
					t.Fatal(err)
				}
			}
			elapsed := time.Since(start) / rounds
			gbs := float64(len(buf)*4) / elapsed.Seconds() / 1e9
			if c.Rank() == 0 {
				fmt.Printf("bandwidth: %d MB float32 %v over %d ranks: %v per all-reduce, algorithm %.2f GB/s, bus %.2f GB/s\n",
					len(buf)*4>>20, op, c.Size(), elapsed.Round(time.Millisecond), gbs, gbs*2*float64(c.Size()-1)/float64(c.Size()))
			}
		}
		c.Close()
		return
	}
	if os.Getenv(bandwidthEnv) == "" {
		t.Skip("set " + bandwidthEnv + "=1 to time a 113 MB all-reduce over 2 ranks")
	}
	mpirun, _ := defaultMPI(t)
	out := runUnderMPI(t, mpirun, "TestMPIAllReduceBandwidth")
	found := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "bandwidth:") {
			t.Log(line)
			found = true
		}
	}
	if !found {
		t.Fatalf("no bandwidth line in:\n%s", out)
	}
}

func TestMPIMissingLibrary(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(gpu.LibraryPathEnv, dir)
	_, err := FindMPI()
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("FindMPI in an empty folder: %v, want an error wrapping ErrUnavailable", err)
	}
	for _, name := range mpiLibraryNames {
		if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
			t.Errorf("the error does not name %s: %v", filepath.Join(dir, name), err)
		}
	}
}
