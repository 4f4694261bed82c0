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
