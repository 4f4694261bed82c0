package dist

import (
	"math"
	"os"
	"testing"
)

func nan() float64 { return math.NaN() }

func TestSingleProcess(t *testing.T) {
	c := SingleProcess()
	if c.Rank() != 0 || c.Size() != 1 {
		t.Fatalf("rank %d of %d, want 0 of 1", c.Rank(), c.Size())
	}
	for _, n := range []int{0, 1, 7, 1001} {
		checkAllReduce(t, c, n, "single process")
		checkBroadcast(t, c, n, "single process")
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
	if err := c.Broadcast(nil, 1); err == nil {
		t.Error("broadcast from rank 1 of 1: no error")
	}
	if err := c.AllReduceFloat64(nil, Op(2)); err == nil {
		t.Error("all-reduce with Op(2): no error")
	}
}

func TestOpen(t *testing.T) {
	for _, name := range launcherVars {
		t.Setenv(name, "") // restored when the test ends
		os.Unsetenv(name)
	}
	if got, ok := Launcher(); ok {
		t.Errorf("no launcher variables, but Launcher() = %q", got)
	}
	g, err := Open("auto", nil)
	if err != nil || g.Size() != 1 || g.Device != nil || g.String() != SingleProcess().String() {
		t.Errorf(`Open("auto") without a launcher = %v, %v; want a single process`, g, err)
	}
	for _, name := range launcherVars {
		t.Setenv(name, "2")
		if got, ok := Launcher(); !ok || got != name+"=2" {
			t.Errorf("with %s=2, Launcher() = %q, %v", name, got, ok)
		}
		os.Unsetenv(name)
	}
	t.Setenv("SLURM_STEP_NUM_TASKS", "1")
	if got, ok := Launcher(); ok {
		t.Errorf("srun of one task, but Launcher() = %q", got)
	}
	if g, err := Open("none", nil); err != nil || g.Size() != 1 {
		t.Errorf(`Open("none") = %v, %v; want a single process`, g, err)
	}
	if _, err := Open("nccl", nil); err == nil {
		t.Error(`Open("nccl", nil): no error`)
	}
	if _, err := Open("gloo", nil); err == nil {
		t.Error(`Open("gloo"): no error`)
	}
}
