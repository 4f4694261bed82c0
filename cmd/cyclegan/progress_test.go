package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/progress"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// TestProgressStatus: the status of a step places it in its epoch and in the run, and pairs the
// losses A/B in the legend's order.
func TestProgressStatus(t *testing.T) {
	e := cyclegan.Event{Epoch: 1, Index: 4, EpochLen: 24, Steps: 29, Losses: cyclegan.Losses{1, 2, 3, 4, 5, 6, 7, 8}}
	got := progressStatus(e, 3)
	want := progress.Status{
		Epoch: 1, Epochs: 3, Index: 5, EpochLen: 24, Done: 29, Total: 72,
		Groups: []progress.Group{
			{Name: "D", Values: []float64{1, 5}}, {Name: "G", Values: []float64{2, 6}},
			{Name: "cyc", Values: []float64{3, 7}}, {Name: "idt", Values: []float64{4, 8}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("progressStatus:\n got %+v\nwant %+v", got, want)
	}
	legend := progressLegend(true)
	for _, name := range cyclegan.LossNames {
		if !strings.Contains(legend, name) {
			t.Errorf("the legend lacks %s:\n%s", name, legend)
		}
	}
	for _, line := range strings.Split(legend, "\n") {
		if len(line) >= 60 {
			t.Errorf("a legend line of %d columns wraps on a 60-column terminal: %q", len(line), line)
		}
	}
}

// TestTrainProgressInALog: training with stderr in a file (as with nohup ... > log) writes plain
// lines and no '\r': the first step, each epoch's last, the step a stop leaves at, and after a
// resume the steps counted on from the checkpoint.
func TestTrainProgressInALog(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeTrainingSet(t, data, 3, 3)
	runs := filepath.Join(dir, "runs")
	args := []string{"-dataroot", data, "-runs", runs, "-name", "log", "-ngf", "2", "-ndf", "2", "-blocks", "0",
		"-load-size", "32", "-crop-size", "32", "-epochs", "1", "-decay-epochs", "1"}
	stderr := captureStderr(t, func() error { return runTrain(append(args, "-max-iters", "4")) })
	stderr += captureStderr(t, func() error { return runTrain([]string{"-runs", runs, "-name", "log", "-resume"}) })
	if strings.Contains(stderr, "\r") {
		t.Errorf("a '\\r' in a log:\n%s", stderr)
	}
	if !strings.Contains(stderr, "losses A/B: D_A/D_B G_A/G_B") {
		t.Errorf("no legend:\n%s", stderr)
	}
	var steps []string
	for _, line := range strings.Split(stderr, "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[0] == "epoch" && f[3] == "step" {
			steps = append(steps, f[2]+" "+f[4]+" "+f[5])
		}
	}
	want := []string{
		"1/3 1/6 (16%)", "3/3 3/6 (50%)", "1/3 4/6 (66%)", // the first step, the epoch's end, the stop
		"2/3 5/6 (83%)", "3/3 6/6 (100%)", // after the resume: its first step, the end
	}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("lines for the steps (index, step, percent) %q, want %q:\n%s", steps, want, stderr)
	}
	if !strings.Contains(stderr, "ETA epoch 0:00, run 0:00") {
		t.Errorf("the last line's ETAs are not 0:\n%s", stderr)
	}
}

// captureStderr runs f with os.Stderr sent to a file and returns what it wrote; f's error fails
// the test.
func captureStderr(t *testing.T, f func() error) string {
	t.Helper()
	file, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	saved := os.Stderr
	os.Stderr = file
	err = f()
	os.Stderr = saved
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
