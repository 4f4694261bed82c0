package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zebra-go/zebra/dist"
	"github.com/zebra-go/zebra/dist/mpitest"
)

// distributedRun returns the command that runs this test binary as cyclegan train on ranks
// ranks under mpirun, or skips.
func distributedRun(t *testing.T, ctx context.Context, ranks int, prog string, args ...string) *exec.Cmd {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the ranks run under mpirun")
	}
	if _, err := dist.FindMPI(); err != nil {
		t.Skipf("no MPI library, -dist is not tested: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"train"}, args...)
	if prog == "" {
		prog = exe
	} else {
		args = append([]string{exe}, args...) // prog wraps the program
	}
	cmd, err := mpitest.Command(ctx, ranks, []string{"CYCLEGAN_TEST_MAIN=1"}, prog, args...)
	if errors.Is(err, exec.ErrNotFound) {
		t.Skip("no mpirun on PATH (apt-get install openmpi-bin): -dist is not tested")
	}
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// distributedData writes n A and n B images and returns the data root and the train flags of a
// tiny model on it.
func distributedData(t *testing.T, n int) (dir string, args []string) {
	dir = t.TempDir()
	data := filepath.Join(dir, "data")
	for i := range n {
		writePNG(t, filepath.Join(data, "trainA", fmt.Sprintf("a%d.png", i)), 36, 36, false)
		writePNG(t, filepath.Join(data, "trainB", fmt.Sprintf("b%d.png", i)), 36, 36, true)
	}
	return dir, []string{"-dataroot", data, "-runs", filepath.Join(dir, "runs"), "-ngf", "4", "-ndf", "4", "-blocks", "1",
		"-load-size", "34", "-crop-size", "32", "-pool-size", "0", "-quiet"}
}

// TestTrainDistributed: 2 ranks with -batch-size 1 write one run, rank 0's, whose options say
// world size 2 and whose losses are those of one process with -batch-size 2 (the networks'
// equality is models/cyclegan's TestDataParallel); the run resumes in one process with the
// global batch.
func TestTrainDistributed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, args := distributedData(t, 5)
	runs := filepath.Join(dir, "runs")
	out, err := distributedRun(t, ctx, 2, "", append(args, "-dist", "mpi", "-name", "dp", "-epochs", "1", "-decay-epochs", "1", "-max-iters", "3")...).CombinedOutput()
	if err != nil {
		t.Fatalf("2 ranks: %v\n%s", err, out)
	}
	for _, want := range []string{"data-parallel: 2 ranks", "batch 1 per rank, global batch 2", "3 steps of batch 2 (the last of 1)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(string(out), "resume with:"); n != 1 {
		t.Errorf("%d ranks printed how to resume, want rank 0 alone:\n%s", n, out)
	}
	entries, _ := os.ReadDir(runs)
	if len(entries) != 1 || entries[0].Name() != "dp" {
		t.Errorf("runs holds %v, want the one run", entries)
	}
	var opts map[string]any
	text, err := os.ReadFile(filepath.Join(runs, "dp", "options.json"))
	if err == nil {
		err = json.Unmarshal(text, &opts)
	}
	if err != nil || opts["world_size"] != 2.0 || opts["batch_size"] != 1.0 {
		t.Errorf("options.json: world_size %v, batch_size %v (%v), want 2 and 1", opts["world_size"], opts["batch_size"], err)
	}

	if err := runTrain(append(args, "-name", "one", "-epochs", "1", "-decay-epochs", "1", "-max-iters", "3", "-batch-size", "2")); err != nil {
		t.Fatal(err)
	}
	ranks, single := csvRows(t, filepath.Join(runs, "dp", "loss.csv")), csvRows(t, filepath.Join(runs, "one", "loss.csv"))
	if len(ranks) != 4 || len(single) != 4 {
		t.Fatalf("loss.csv has %d lines for 2 ranks and %d for one process, want a header and 3 steps", len(ranks), len(single))
	}
	for i := 1; i < 4; i++ {
		for j, name := range ranks[0] {
			if !strings.HasPrefix(name, "D_") && !strings.HasPrefix(name, "G_") && !strings.HasPrefix(name, "cycle_") && !strings.HasPrefix(name, "idt_") {
				continue
			}
			a, errA := strconv.ParseFloat(ranks[i][j], 64)
			b, errB := strconv.ParseFloat(single[i][j], 64)
			// The same losses up to float32 rounding, which Adam's steps amplify a little.
			if errA != nil || errB != nil || abs(a-b) > 1e-4*max(1, abs(b)) {
				t.Errorf("step %d, %s: %s on 2 ranks × batch 1, %s in one process with batch 2", i, name, ranks[i][j], single[i][j])
			}
		}
	}

	// One process continues the 2-rank run with its global batch.
	errText := captureStderr(t, func() error {
		return runTrain([]string{"-runs", runs, "-name", "dp", "-resume", "-max-iters", "1", "-quiet"})
	})
	if !strings.Contains(errText, "continues on 1 process with batch 2, the same global batch of 2") {
		t.Errorf("resuming in one process: want the note on the batch, got:\n%s", errText)
	}
}

func abs(x float64) float64 { return max(x, -x) }

// TestTrainDistributedRefusals: flags that differ between the ranks, and -dist mpi without a
// launcher, are errors that say what is wrong.
func TestTrainDistributedRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, args := distributedData(t, 2)
	// A wrapper that gives rank 1 another batch size, as a mistyped per-host script would.
	wrapper := filepath.Join(dir, "wrapper.sh")
	script := "#!/bin/sh\nif [ \"$OMPI_COMM_WORLD_RANK$PMI_RANK\" = 1 ]; then exec \"$@\" -batch-size 2; fi\nexec \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := distributedRun(t, ctx, 2, wrapper, append(args, "-dist", "mpi", "-name", "mismatch", "-max-iters", "1")...)
	out, err := cmd.CombinedOutput()
	if status := exitStatus(t, err); status != 2 || !strings.Contains(string(out), `-batch-size is "2" on rank 1 but "1" on rank 0`) {
		t.Errorf("ranks with different flags: exit status %d, want 2 and the option named:\n%s", status, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "mismatch", "checkpoints")); err == nil {
		t.Error("ranks with different flags trained")
	}

	for _, name := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_STEP_NUM_TASKS"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
	err = runTrain(append(args, "-dist", "mpi", "-name", "alone"))
	if err == nil || !strings.Contains(err.Error(), "not started by an MPI launcher") || !strings.Contains(err.Error(), "mpirun -np N") {
		t.Errorf("-dist mpi without a launcher: %v, want an error that says how to start the ranks", err)
	}
}

// TestTrainDistributedSignal: SIGTERM to rank 1 alone stops both ranks after the same step; rank
// 0 saves and says so, and mpirun exits with 143 as each rank does.
func TestTrainDistributedSignal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, args := distributedData(t, 4)
	cmd := distributedRun(t, ctx, 2, "", append(args, "-dist", "mpi", "-name", "sig", "-epochs", "1000", "-decay-epochs", "0")...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lossLog := filepath.Join(dir, "runs", "sig", "loss.csv")
	rank1 := 0
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if rank1 == 0 {
			rank1 = findRank(cmd.Process.Pid, 1)
		}
		if rows, err := os.ReadFile(lossLog); rank1 > 0 && err == nil && strings.Count(string(rows), "\n") > 1 {
			break
		}
	}
	if rank1 == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Skipf("rank 1's process was not found among mpirun's children (an MPI other than Open MPI?):\n%s", out.String())
	}
	if err := syscall.Kill(rank1, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status := exitStatus(t, cmd.Wait())
	if status != 143 || !strings.Contains(out.String(), "stopped by SIGTERM") || strings.Count(out.String(), "resume with:") != 1 {
		t.Errorf("SIGTERM to rank 1: exit status %d, want 143, and rank 0 saying it stopped and saved:\n%s", status, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "sig", "checkpoints", "latest.safetensors")); err != nil {
		t.Error(err)
	}
}

// findRank returns the process id of rank among the children of mpirun (pid), by the rank that
// Open MPI puts in each one's environment, or 0.
func findRank(pid, rank int) int {
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	for _, field := range strings.Fields(string(children)) {
		child, _ := strconv.Atoi(field)
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", child))
		if err == nil && strings.Contains("\x00"+string(env)+"\x00", fmt.Sprintf("\x00OMPI_COMM_WORLD_RANK=%d\x00", rank)) {
			return child
		}
	}
	return 0
}
