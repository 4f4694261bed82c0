package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

// TestReportFilesReadable: the report files are written with mode 0644, readable by a web
// server or another user like any file the user makes, not 0600 as a bare temporary file is.
func TestReportFilesReadable(t *testing.T) {
	dir := t.TempDir()
	log := oneStepLog(t, dir)
	defer log.close()
	if err := log.plot(filepath.Join(dir, "loss.png")); err != nil {
		t.Fatal(err)
	}
	if err := writeIndex(filepath.Join(dir, "index.html"), "t", "loss.png", []string{"a"}, nil, 64); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"loss.csv", "loss.png", "index.html"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", name, info.Mode().Perm())
		}
	}
}

// TestLossLogTornLastLine: a run killed while appending leaves a half-written last line in
// loss.csv; resuming drops that line (and any other malformed one) instead of failing.
func TestLossLogTornLastLine(t *testing.T) {
	dir := t.TempDir()
	csvText := "step,epoch,index,lr,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B\n" +
		"1,0,0,0.0002,1,2,3,4,5,6,7,8\n" +
		"2,0,1,0.0002,1,2,3,4,5,6,7,8\n" +
		"3,0,2,0.0002,1,2,3,4,5,6,7,8\n" +
		"4,0,3,0.0002,1,2,3,4," // torn
	if err := os.WriteFile(filepath.Join(dir, "loss.csv"), []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := openLossLog(dir, 2, 4)
	if err != nil {
		t.Fatalf("opening a loss log with a torn last line: %v", err)
	}
	if err := log.close(); err != nil {
		t.Fatal(err)
	}
	rows := csvRows(t, filepath.Join(dir, "loss.csv"))
	if len(rows) != 3 || rows[1][0] != "1" || rows[2][0] != "2" {
		t.Errorf("loss.csv after resuming at step 2 holds %v, want the header and steps 1 and 2", rows)
	}
}

// TestSaveFlushesLossLogFirst: the loss log is on disk before the checkpoint is written, so a
// checkpoint never claims steps whose losses were lost (here the checkpoint cannot be written
// at all, and the rows are there anyway).
func TestSaveFlushesLossLogFirst(t *testing.T) {
	dir := t.TempDir()
	o := cyclegan.DefaultOptions()
	o.NGF, o.NDF, o.Blocks, o.LoadSize, o.CropSize = 1, 1, 0, 32, 32
	tr, err := cyclegan.NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	log := oneStepLog(t, dir)
	defer log.close()
	r := &reporter{tr: tr, runDir: dir, log: log}
	if err := r.save(filepath.Join(dir, "no such folder", "latest.safetensors")); err == nil {
		t.Fatal("saving into a missing folder succeeded")
	}
	if rows := csvRows(t, filepath.Join(dir, "loss.csv")); len(rows) != 2 {
		t.Errorf("loss.csv holds %d lines after a save, want the header and the step", len(rows))
	}
}

// oneStepLog opens a loss log in dir holding one step (not yet flushed).
func oneStepLog(t *testing.T, dir string) *lossLog {
	t.Helper()
	log, err := openLossLog(dir, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := log.add(lossRow{step: 1, losses: cyclegan.Losses{1, 2, 3, 4, 5, 6, 7, 8}}); err != nil {
		t.Fatal(err)
	}
	return log
}
