package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestTrainBatchSize: -batch-size 2 on epochs of 3 samples takes two steps an epoch (the second
// of one sample), logs one loss.csv row per step and records the batch size in options.json; a
// resumed run keeps the batch size of its checkpoint whatever -batch-size says.
func TestTrainBatchSize(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeTrainingSet(t, data, 3, 2)
	runs := filepath.Join(dir, "runs")
	args := []string{"-dataroot", data, "-runs", runs, "-name", "batch", "-ngf", "2", "-ndf", "2", "-blocks", "0",
		"-load-size", "32", "-crop-size", "32", "-epochs", "1", "-decay-epochs", "1", "-quiet", "-batch-size", "2"}
	run := filepath.Join(runs, "batch")
	batchSize := func() float64 {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(run, "options.json"))
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		return o["batch_size"].(float64)
	}
	if err := runTrain(append(args, "-max-iters", "1")); err != nil {
		t.Fatal(err)
	}
	if got := batchSize(); got != 2 {
		t.Errorf("options.json records batch_size %v, want 2", got)
	}
	if err := runTrain([]string{"-runs", runs, "-name", "batch", "-resume", "-quiet", "-batch-size", "5"}); err != nil {
		t.Fatal(err)
	}
	if got := batchSize(); got != 2 {
		t.Errorf("after a resume with -batch-size 5, options.json records batch_size %v, want the checkpoint's 2", got)
	}
	rows := csvRows(t, filepath.Join(run, "loss.csv"))
	var indices []string
	for _, r := range rows[1:] {
		indices = append(indices, r[1]+":"+r[2]) // epoch:index of each step's last sample
	}
	want := []string{"0:1", "0:2", "1:1", "1:2"}
	if len(indices) != len(want) {
		t.Fatalf("loss.csv has steps at %v, want %v", indices, want)
	}
	for i := range want {
		if indices[i] != want[i] {
			t.Fatalf("loss.csv has steps at %v, want %v", indices, want)
		}
	}
}
