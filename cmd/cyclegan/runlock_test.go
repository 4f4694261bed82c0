package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunLock: while one process trains a run, a second one on the same run is refused with an
// error naming the first one's process id; once the first ends, the run can be trained again.
func TestRunLock(t *testing.T) {
	dir := t.TempDir()
	args := append(tinyTrainArgs(t, dir), "-name", "locked")
	release, err := lockRun(filepath.Join(dir, "runs", "locked")) // stands for a training process
	if err != nil {
		t.Fatal(err)
	}
	err = runTrain(args)
	if err == nil || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Errorf("training a run that another process trains: %v, want an error naming process %d", err, os.Getpid())
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "locked", "loss.csv")); err == nil {
		t.Error("the refused process wrote loss.csv")
	}
	release()
	if err := runTrain(args); err != nil {
		t.Errorf("training after the lock was released: %v", err)
	}
}

// TestStaleTemporariesRemoved: the temporary files that a killed train leaves (a whole
// checkpoint each) are removed when the run starts again; other files stay.
func TestStaleTemporariesRemoved(t *testing.T) {
	dir := t.TempDir()
	args := append(tinyTrainArgs(t, dir), "-name", "stale")
	run := filepath.Join(dir, "runs", "stale")
	stale := []string{"checkpoints/.latest.safetensors.tmp-1234", "checkpoints/.epoch005.safetensors.tmp-99", ".loss.csv.tmp-7", "images/.epoch001_fake_B.png.tmp-5"}
	kept := []string{"notes.txt", "checkpoints/.notes.tmp-1"}
	for _, name := range append(stale, kept...) {
		path := filepath.Join(run, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("left by kill -9"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := runTrain(args); err != nil {
		t.Fatal(err)
	}
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(run, filepath.FromSlash(name))); err == nil {
			t.Errorf("%s is still there", name)
		}
	}
	for _, name := range kept {
		if _, err := os.Stat(filepath.Join(run, filepath.FromSlash(name))); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
}

// TestFailedTrainLeavesNoRunFolder: a train that fails before writing anything (a mistyped
// -dataroot) removes the run folder its lock created; a folder that existed before, or that
// holds anything besides the lock, stays.
func TestFailedTrainLeavesNoRunFolder(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	err := runTrain([]string{"-runs", runs, "-name", "typo", "-dataroot", filepath.Join(dir, "no-such-data")})
	if err == nil {
		t.Fatal("training on a missing dataroot: no error")
	}
	if _, err := os.Stat(runs); !os.IsNotExist(err) {
		t.Errorf("the failed run left its folder (or the runs folder it made) behind (stat: %v)", err)
	}

	existing := filepath.Join(runs, "existing")
	if err := os.MkdirAll(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	release, err := lockRun(existing)
	if err != nil {
		t.Fatal(err)
	}
	release()
	if _, err := os.Stat(filepath.Join(existing, runLockName)); err != nil {
		t.Errorf("a folder that existed before: %v, want its lock file kept", err)
	}

	fresh := filepath.Join(runs, "fresh")
	release, err = lockRun(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fresh, "options.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	release()
	if _, err := os.Stat(filepath.Join(fresh, runLockName)); err != nil {
		t.Errorf("a new folder that holds a file: %v, want it kept with its lock", err)
	}
}
