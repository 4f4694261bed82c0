package cyclegan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zebra-go/zebra/dist"
	"github.com/zebra-go/zebra/dist/mpitest"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// parallelChildEnv, set, makes TestDataParallel one rank of the run its parent started with
// mpirun; parallelDirEnv names the folder with the data and the ranks' checkpoints.
const (
	parallelChildEnv = "ZEBRA_CYCLEGAN_PARALLEL_CHILD"
	parallelDirEnv   = "ZEBRA_CYCLEGAN_PARALLEL_DIR"
)

// parallelCase is one run of TestDataParallel: images samples per domain, batch per rank, steps.
type parallelCase struct {
	name          string
	images, batch int
	steps, ranks  int
	unweighted    bool // the mistake: average the ranks' gradients, ignoring their shares
	// stopAfter > 0: rank 1 alone asks to stop (code 15, SIGTERM's number) once it has taken
	// stopAfter steps; every rank must then stop after the next one, steps in all.
	stopAfter int
}

// parallelCases are chosen for their shares. 5 images in global batches of 2 give batches of 2,
// 2 and 1: the last is split 1 and 0, an empty share. 7 images in global batches of 4 give 4 and
// 3: the 3 is split 2 and 1, uneven shares whose weights are 2/3 and 1/3. Four and three steps
// cross into the second epoch, after the schedules step.
var parallelCases = []parallelCase{
	{name: "batch1", images: 5, batch: 1, steps: 4, ranks: 2},
	{name: "batch2-uneven", images: 7, batch: 2, steps: 3, ranks: 2},
	{name: "batch2-uneven-unweighted", images: 7, batch: 2, steps: 3, ranks: 2, unweighted: true},
	{name: "rank1-stops", images: 5, batch: 1, steps: 3, ranks: 2, stopAfter: 2},
}

func parallelOptions(root string, c parallelCase) Options {
	o := tinyOptions(root)
	o.NGF, o.NDF, o.Blocks = 4, 4, 1
	o.PoolSize = 0 // each rank's pool holds its own fakes: see parallel.go
	o.BatchSize = c.batch
	o.WorldSize = c.ranks
	return o
}

// TestDataParallel is the equivalence that data parallelism rests on: 2 ranks, each with batch b,
// train the same networks as one process with batch 2b, from the same seed for the same steps,
// up to float32 rounding; and with the gradients averaged without their weights, they do not.
// The ranks run under mpirun; without it the test skips.
//
// The tolerance: the ranks and the one process add the same per-sample terms in a different
// order (a sum over 2b samples in one GEMM against two sums of b and an all-reduce), which moves
// a gradient by a few float32 ulps of its terms. Adam's step, lr·m̂/(√v̂ + ε), divides by the
// gradient's own size, so a relative change δ of a gradient moves its weight by about lr·δ
// whatever the gradient's scale: with lr 2e-4 and δ up to ~1e-3 for the gradients that sum many
// cancelling terms, a few steps give ~1e-7 (measured: 7.7e-8 after 4 steps at batch 1, 1.4e-7
// after 3 at batch 2 with uneven shares; weights are ~0.02, whose ulp is 1.9e-9). 1e-6 leaves
// a margin of 7 over that. Averaging the gradients without their weights moves weights by
// ~8e-4, four steps' worth of lr; the test requires the mistake to be over 10 times the
// tolerance. The biases that an InstanceNorm follows are not compared (normedBiases).
func TestDataParallel(t *testing.T) {
	if os.Getenv(parallelChildEnv) == "1" {
		dataParallelRank(t)
		return
	}
	if testing.Short() {
		t.Skip("-short: the ranks run under mpirun")
	}
	if _, err := dist.FindMPI(); err != nil {
		t.Skipf("no MPI library, data parallelism is not tested: %v", err)
	}
	dir := t.TempDir()
	for _, c := range parallelCases {
		root := filepath.Join(dir, c.name, "data")
		writeImages(t, filepath.Join(root, "trainA"), c.images, 40, 40, false, 1)
		writeImages(t, filepath.Join(root, "trainB"), c.images, 40, 40, true, 2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, err := mpitest.Command(ctx, 2, []string{parallelChildEnv + "=1", parallelDirEnv + "=" + dir},
		os.Args[0], "-test.run=^TestDataParallel$", "-test.v")
	if errors.Is(err, exec.ErrNotFound) {
		t.Skip("no mpirun on PATH (apt-get install openmpi-bin): data parallelism is not tested")
	}
	started := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	t.Logf("2 ranks under mpirun: %s", time.Since(started).Round(time.Millisecond))

	const tolerance = 1e-6
	for _, c := range parallelCases {
		o := parallelOptions(filepath.Join(dir, c.name, "data"), c)
		o.BatchSize, o.WorldSize = c.ranks*c.batch, 0
		single, data := newTiny(t, o)
		if err := single.Train(context.Background(), data, c.steps, nil); !errors.Is(err, ErrStopped) {
			t.Fatalf("%s: one process: %v, want ErrStopped after %d steps", c.name, err, c.steps)
		}
		var rank0 *Trainer
		for rank := range c.ranks {
			tr, err := LoadTrainer(filepath.Join(dir, c.name, fmt.Sprintf("rank%d.safetensors", rank)), tensor.CPU)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Steps != single.Steps || tr.Epoch != single.Epoch || tr.Index != single.Index {
				t.Errorf("%s: rank %d stands at step %d, epoch %d, sample %d; one process at %d, %d, %d",
					c.name, rank, tr.Steps, tr.Epoch, tr.Index, single.Steps, single.Epoch, single.Index)
			}
			if rank == 0 {
				rank0 = tr
			} else if d, where := maxWeightDifference(rank0, tr); d != 0 {
				t.Errorf("%s: the replicas differ: rank %d by %g at %s, want identical", c.name, rank, d, where)
			}
		}
		d, where := maxWeightDifference(single, rank0)
		t.Logf("%s: %d ranks × batch %d against 1 × batch %d, %d steps: largest weight difference %.3g (%s)",
			c.name, c.ranks, c.batch, o.BatchSize, c.steps, d, where)
		switch {
		case !c.unweighted && d > tolerance:
			t.Errorf("%s: the ranks' networks differ from one process's by %g at %s, want ≤ %g", c.name, d, where, tolerance)
		case c.unweighted && d < 10*tolerance:
			t.Errorf("%s: gradients averaged without their weights give networks within %g of one process's, want a difference over %g: the test cannot see the weighting",
				c.name, d, 10*tolerance)
		}
	}
}

// dataParallelRank is one rank's part of TestDataParallel: every case, each rank saving its
// trainer.
func dataParallelRank(t *testing.T) {
	comm, err := dist.OpenMPI()
	if err != nil {
		t.Fatal(err)
	}
	defer comm.Close()
	dir := os.Getenv(parallelDirEnv)
	for _, c := range parallelCases {
		o := parallelOptions(filepath.Join(dir, c.name, "data"), c)
		// The same seed on every rank: the same networks.
		tr, data := newTiny(t, o)
		p := DataParallel{Comm: comm, BucketBytes: 64 << 10, unweighted: c.unweighted} // several buckets
		maxSteps := c.steps
		if c.stopAfter > 0 {
			maxSteps = 0
			p.StopCode = func() int {
				if comm.Rank() == 1 && tr.Steps >= c.stopAfter {
					return 15
				}
				return 0
			}
		}
		err = tr.TrainParallel(context.Background(), data, maxSteps, p, nil)
		var stop *StopRequestError
		switch {
		case c.stopAfter > 0 && (!errors.As(err, &stop) || !slices.Equal(stop.Codes, []int{15}) || !errors.Is(err, ErrStopped)):
			t.Fatalf("%s: rank %d: %v, want a StopRequestError with code 15 that wraps ErrStopped", c.name, comm.Rank(), err)
		case !errors.Is(err, ErrStopped):
			t.Fatalf("%s: rank %d: %v, want ErrStopped after %d steps", c.name, comm.Rank(), err, c.steps)
		}
		if err := tr.Save(filepath.Join(dir, c.name, fmt.Sprintf("rank%d.safetensors", comm.Rank()))); err != nil {
			t.Fatal(err)
		}
	}
}

// maxWeightDifference returns the largest difference between the parameters of a's and b's four
// networks, and where it is, leaving out the biases that an InstanceNorm follows (normedBiases).
func maxWeightDifference(a, b *Trainer) (float64, string) {
	var worst float64
	where := "nowhere"
	for i, n := range a.namedNetworks() {
		skip := map[string]bool{}
		normedBiases(n.module, "", skip)
		sa, sb := nn.StateDict(n.module), nn.StateDict(b.namedNetworks()[i].module)
		for key, ta := range sa {
			if skip[key] {
				continue
			}
			va, vb := ta.Float64s(), sb[key].Float64s()
			for j := range va {
				if d := math.Abs(va[j] - vb[j]); d > worst || math.IsNaN(d) {
					worst, where = d, fmt.Sprintf("%s.%s[%d]", n.name, key, j)
				}
			}
		}
	}
	return worst, where
}

// normedBiases adds to skip the state-dict keys of the biases of m (a network, a block or a
// Sequential under prefix) that an InstanceNorm follows. The norm subtracts each channel's mean,
// so such a bias changes nothing and its gradient is 0 in exact arithmetic; in float32 it is a
// rounding residue (about 1e-9 here), whose sign Adam's normalized step, lr·m̂/(√v̂ + ε), turns
// into ±lr. Any change in the order of the additions (as between 2 ranks and one process) flips
// some of those signs: those weights walk at random by lr per step, in every framework, without
// effect on what the network computes.
func normedBiases(m nn.Module, prefix string, skip map[string]bool) {
	switch m := m.(type) {
	case *ResnetGenerator:
		normedBiases(m.Model, "model.", skip)
	case *NLayerDiscriminator:
		normedBiases(m.Model, "model.", skip)
	case *ResnetBlock:
		normedBiases(m.ConvBlock, prefix+"conv_block.", skip)
	case *nn.Sequential:
		for i, layer := range m.Layers {
			if i+1 < len(m.Layers) {
				if _, ok := m.Layers[i+1].(*nn.InstanceNorm2d); ok {
					skip[fmt.Sprintf("%s%d.bias", prefix, i)] = true
				}
			}
			normedBiases(layer, fmt.Sprintf("%s%d.", prefix, i), skip)
		}
	}
}

// TestSetWorldSize: a run resumed on another number of ranks keeps its global batch, or is
// refused when the ranks cannot share it evenly.
func TestSetWorldSize(t *testing.T) {
	o := tinyOptions(t.TempDir())
	o.BatchSize, o.WorldSize = 2, 2
	for _, c := range []struct {
		ranks, batch, worldSize int
		refused                 bool
	}{
		{ranks: 2, batch: 2, worldSize: 2},
		{ranks: 4, batch: 1, worldSize: 4},
		{ranks: 1, batch: 4, worldSize: 0},
		{ranks: 3, refused: true},
		{ranks: 8, refused: true},
		{ranks: 0, refused: true},
	} {
		tr, err := NewTrainer(o, tensor.CPU)
		if err != nil {
			t.Fatal(err)
		}
		note, err := tr.SetWorldSize(c.ranks)
		switch {
		case c.refused && err == nil:
			t.Errorf("%d ranks: batch %d, world size %d, want an error", c.ranks, tr.Opts.BatchSize, tr.Opts.WorldSize)
		case c.refused:
			if tr.Opts.BatchSize != 2 || tr.Opts.WorldSize != 2 {
				t.Errorf("%d ranks: refused (%v) but the options changed to batch %d, world size %d", c.ranks, err, tr.Opts.BatchSize, tr.Opts.WorldSize)
			}
			t.Logf("%d ranks: %v", c.ranks, err)
		case err != nil:
			t.Errorf("%d ranks: %v", c.ranks, err)
		case tr.Opts.BatchSize != c.batch || tr.Opts.WorldSize != c.worldSize || tr.Opts.GlobalBatch() != 4:
			t.Errorf("%d ranks: batch %d, world size %d, global %d; want %d, %d, 4", c.ranks, tr.Opts.BatchSize, tr.Opts.WorldSize, tr.Opts.GlobalBatch(), c.batch, c.worldSize)
		case (note == "") != (c.ranks == 2):
			t.Errorf("%d ranks: note %q", c.ranks, note)
		}
	}
	o.Sampling = SamplingSequential
	o.BatchSize, o.WorldSize = 2, 0
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	o.WorldSize = 2
	if err := o.Check(); err == nil {
		t.Error("sequential sampling on 2 ranks: no error")
	}
}
