package cyclegan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/zebra-go/zebra/dist"
	"github.com/zebra-go/zebra/dist/mpitest"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// ZEBRA_DIST_SPEED=1 runs TestDataParallelSpeed, a measurement rather than a check: 2 ranks of
// one thread each (GOMAXPROCS=1) against one process of two threads, each taking global
// batches of 2, alternating, so that a load on the machine hits both alike.
const (
	speedEnv       = "ZEBRA_DIST_SPEED"
	speedChildEnv  = "ZEBRA_DIST_SPEED_CHILD" // "single" or "ranks"
	speedDirEnv    = "ZEBRA_DIST_SPEED_DIR"
	speedBucketEnv = "ZEBRA_DIST_SPEED_BUCKET" // bytes per gradient bucket (default DefaultBucketBytes; 1: one per parameter)
	speedWarmup    = 2
	speedSteps     = 12
	speedRounds    = 3
	speedImageSize = 64
)

func speedOptions(root string) Options {
	o := DefaultOptions()
	o.DataRoot = root
	o.NGF, o.NDF = 16, 16 // 9 blocks, 3 discriminator layers: the paper's networks, narrower
	o.LoadSize, o.CropSize = speedImageSize+8, speedImageSize
	o.Epochs, o.DecayEpochs = 100, 0
	return o
}

// TestDataParallelSpeed prints steps/s and images/s of both, the share of a rank's step spent in
// the collectives, and the bytes all-reduced per step for this model and the paper's.
func TestDataParallelSpeed(t *testing.T) {
	switch os.Getenv(speedChildEnv) {
	case "single", "ranks":
		speedChild(t)
		return
	}
	if os.Getenv(speedEnv) != "1" {
		t.Skip(speedEnv + "=1 measures 2 ranks × 1 thread against 1 process × 2 threads")
	}
	dir := t.TempDir()
	writeImages(t, filepath.Join(dir, "trainA"), 24, speedImageSize+8, speedImageSize+8, false, 1)
	writeImages(t, filepath.Join(dir, "trainB"), 24, speedImageSize+8, speedImageSize+8, true, 2)
	o := speedOptions(dir)
	small, paper := gradientBytes(o), gradientBytes(DefaultOptions())
	t.Logf("float32 gradients all-reduced per step: %.1f MB at ngf %d (G %.1f + D %.1f), %.1f MB for the paper's networks (G %.1f + D %.1f)",
		float64(small[0]+small[1])/1e6, o.NGF, float64(small[0])/1e6, float64(small[1])/1e6,
		float64(paper[0]+paper[1])/1e6, float64(paper[0])/1e6, float64(paper[1])/1e6)
	line := regexp.MustCompile(`speed: (\S+) steps (\d+) step_s ([0-9.]+) comm_s ([0-9.]+)`)
	for round := range speedRounds {
		for _, mode := range []string{"single", "ranks"} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			env := []string{speedChildEnv + "=" + mode, speedDirEnv + "=" + dir, speedBucketEnv + "=" + os.Getenv(speedBucketEnv)}
			var cmd *exec.Cmd
			if mode == "single" {
				cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDataParallelSpeed$")
				cmd.Env = append(os.Environ(), append(env, "GOMAXPROCS=2")...)
			} else {
				var err error
				cmd, err = mpitest.Command(ctx, 2, append(env, "GOMAXPROCS=1"), os.Args[0], "-test.run=^TestDataParallelSpeed$")
				if errors.Is(err, exec.ErrNotFound) {
					cancel()
					t.Skip("no mpirun on PATH")
				}
			}
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("%s: %v\n%s", mode, err, out)
			}
			m := line.FindStringSubmatch(string(out))
			if m == nil {
				t.Fatalf("%s: no speed line in\n%s", mode, out)
			}
			steps, _ := strconv.Atoi(m[2])
			stepSeconds, _ := strconv.ParseFloat(m[3], 64)
			commSeconds, _ := strconv.ParseFloat(m[4], 64)
			perStep := stepSeconds / float64(steps)
			t.Logf("round %d, %-6s: %.3f s/step, %.2f steps/s, %.2f images/s (2 per step), collectives %.0f%% of rank 0's step (%.3f s)",
				round+1, mode, perStep, 1/perStep, 2/perStep, 100*commSeconds/stepSeconds, commSeconds/float64(steps))
		}
	}
}

// gradientBytes returns the bytes of float32 gradients of the generators and of the
// discriminators that a step all-reduces for options o.
func gradientBytes(o Options) [2]int {
	rng := tensor.NewRNG(0)
	count := func(m nn.Module) int {
		n := 0
		for _, p := range nn.Parameters(m) {
			n += p.Value.Numel()
		}
		return n
	}
	g := count(newResnetGenerator(nil, o.NGF, o.Blocks))
	d := count(NewNLayerDiscriminator(rng, o.NDF, o.DLayers))
	return [2]int{2 * 4 * g, 2 * 4 * d}
}

// speedChild trains speedWarmup + speedSteps steps with global batches of 2, alone or as one of
// 2 ranks, and prints the time of the timed steps.
func speedChild(t *testing.T) {
	o := speedOptions(os.Getenv(speedDirEnv))
	var p DataParallel
	if os.Getenv(speedChildEnv) == "ranks" {
		comm, err := dist.OpenMPI()
		if err != nil {
			t.Fatal(err)
		}
		defer comm.Close()
		p.Comm = comm
		p.BucketBytes, _ = strconv.Atoi(os.Getenv(speedBucketEnv))
		o.BatchSize, o.WorldSize = 1, comm.Size()
	} else {
		o.BatchSize = 2
	}
	tr, data := newTiny(t, o)
	var stepTime, commTime time.Duration
	timed := 0
	err := tr.TrainParallel(context.Background(), data, speedWarmup+speedSteps, p, func(e Event) error {
		if !e.EpochEnd && e.Steps > speedWarmup {
			stepTime += e.StepTime
			commTime += e.CommTime
			timed++
		}
		return nil
	})
	if !errors.Is(err, ErrStopped) {
		t.Fatal(err)
	}
	if p.Comm == nil || p.Comm.Rank() == 0 {
		fmt.Printf("speed: %s steps %d step_s %.4f comm_s %.4f\n", os.Getenv(speedChildEnv), timed, stepTime.Seconds(), commTime.Seconds())
	}
}
