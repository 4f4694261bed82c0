package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
	if err := r.save(filepath.Join(dir, "no such folder", "latest.safetensors"), true); err == nil {
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

// TestLossLogReadsOldFormat: a loss.csv written before the t_comp and t_data columns (a run
// being resumed) is read, its rows kept without times, and rewritten in the new format; rows
// with times read back what was written.
func TestLossLogReadsOldFormat(t *testing.T) {
	dir := t.TempDir()
	csvText := "step,epoch,index,lr,D_A,G_A,cycle_A,idt_A,D_B,G_B,cycle_B,idt_B\n" +
		"1,0,0,0.0002,1,2,3,4,5,6,7,8\n" +
		"2,0,1,0.0002,1,2,3,4,5,6,7,8\n"
	if err := os.WriteFile(filepath.Join(dir, "loss.csv"), []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := openLossLog(dir, 2, 4)
	if err != nil {
		t.Fatalf("opening an old loss.csv: %v", err)
	}
	if len(log.rows) != 2 || log.rows[1].losses[7] != 8 || !math.IsNaN(log.rows[1].tComp) || !math.IsNaN(log.rows[1].tData) {
		t.Fatalf("old rows read as %+v, want steps 1 and 2 without times", log.rows)
	}
	if err := log.add(lossRow{step: 3, epoch: 0, index: 2, lr: 2e-4, tComp: 0.25, tData: 0.0125}); err != nil {
		t.Fatal(err)
	}
	if err := log.close(); err != nil {
		t.Fatal(err)
	}
	rows := csvRows(t, filepath.Join(dir, "loss.csv"))
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(lossHeader, ",") {
		t.Fatalf("rewritten loss.csv is %v, want the new header and 3 steps", rows)
	}
	if got := rows[1][12:]; got[0] != "" || got[1] != "" {
		t.Errorf("an old row's times are written as %q, want empty", got)
	}
	if got := rows[3][12:]; got[0] != "0.25" || got[1] != "0.0125" {
		t.Errorf("step 3's times are written as %q, want 0.25 and 0.0125", got)
	}
	log, err = openLossLog(dir, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer log.close()
	if len(log.rows) != 3 || log.rows[2].tComp != 0.25 || log.rows[2].tData != 0.0125 || !math.IsNaN(log.rows[0].tComp) {
		t.Errorf("reopened rows %+v, want the times of step 3 only", log.rows)
	}
}

// TestLossLogTornTimes: in a file with times, a row torn right after its losses has the
// field count of an old row, and is dropped rather than read as one.
func TestLossLogTornTimes(t *testing.T) {
	dir := t.TempDir()
	csvText := strings.Join(lossHeader, ",") + "\n" +
		"1,0,0,0.0002,1,2,3,4,5,6,7,8,0.5,0.01\n" +
		"2,0,1,0.0002,1,2,3,4,5,6,7,8\n"
	if err := os.WriteFile(filepath.Join(dir, "loss.csv"), []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := openLossLog(dir, 10, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer log.close()
	if len(log.rows) != 1 || log.rows[0].step != 1 {
		t.Errorf("rows %+v, want step 1 only", log.rows)
	}
}

// TestSampleTag: sample file names sort in the order of the steps and differ for each step.
func TestSampleTag(t *testing.T) {
	if got := sampleTag(3, 1200); got != "e003_s001200" {
		t.Errorf("sampleTag(3, 1200) = %q, want e003_s001200", got)
	}
	tags := []string{sampleTag(1, 1), sampleTag(1, 400), sampleTag(2, 401), sampleTag(10, 4000), sampleTag(10, 4001)}
	if !slices.IsSorted(tags) {
		t.Errorf("tags %v do not sort in step order", tags)
	}
}

// TestListSamples: the rows of index.html come from the files in images/, newest first: new
// step-tagged rows, and the epoch-end rows of a run from before -sample-every (a resumed old
// run) in their place; other files are left out.
func TestListSamples(t *testing.T) {
	dir := t.TempDir()
	images := filepath.Join(dir, "images")
	if err := os.MkdirAll(images, 0o755); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tag := range []string{"epoch001", "epoch002", "e003_s000050", "e003_s000049", "e002_s000020"} {
		for _, v := range cyclegan.VisualNames[:6] { // no identity images
			names = append(names, tag+"_"+v+".png")
		}
	}
	names = append(names, ".e003_s000051_real_A.png.tmp-123", "e003_s000051_weird.png", "notes.txt")
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(images, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := listSamples(dir)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, r := range rows {
		titles = append(titles, r.Title)
	}
	want := []string{"epoch 3, step 50", "epoch 3, step 49", "epoch 2 (end)", "epoch 2, step 20", "epoch 1 (end)"}
	if !slices.Equal(titles, want) {
		t.Fatalf("rows %q, want %q", titles, want)
	}
	if got := rows[0].Images; len(got) != 8 || got[0] != "images/e003_s000050_real_A.png" || got[5] != "images/e003_s000050_fake_A.png" || got[7] != "" {
		t.Errorf("newest row's images %q, want the step's six in VisualNames order, the identity ones empty", got)
	}
	if got := rows[2].Images[1]; got != "images/epoch002_fake_B.png" {
		t.Errorf("old row's fake_B is %q", got)
	}
	if rows, err := listSamples(t.TempDir()); err != nil || rows != nil {
		t.Errorf("a run without images/: %v, %v", rows, err)
	}
}

// TestSampleCadence: with -sample-every 4, a process's first step (here step 3 of a resumed
// run), every 4th step, and the newest step at a stop (save) get their samples, and no other
// step is converted to images.
func TestSampleCadence(t *testing.T) {
	dir := t.TempDir()
	o := cyclegan.DefaultOptions()
	o.NGF, o.NDF, o.Blocks, o.LoadSize, o.CropSize = 1, 1, 0, 32, 32
	tr, err := cyclegan.NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	log, err := openLossLog(dir, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer log.close()
	r := &reporter{tr: tr, runDir: dir, log: log, tf: trainFlags{sampleEvery: 4}, epochLen: 100}
	var v cyclegan.Visuals
	for i := range v {
		v[i] = tensor.Zeros(tensor.Float32, 1, 3, 4, 4)
	}
	for step := 3; step <= 10; step++ {
		if err := r.recordStep(cyclegan.Event{Epoch: 0, Index: step - 1, EpochLen: 100, Steps: step, Visuals: v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "checkpoints"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.save(filepath.Join(dir, "checkpoints", "latest.safetensors"), true); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "images", "*_real_A.png"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range files {
		files[i] = filepath.Base(files[i])
	}
	want := []string{"e001_s000003_real_A.png", "e001_s000004_real_A.png", "e001_s000008_real_A.png", "e001_s000010_real_A.png"}
	if !slices.Equal(files, want) {
		t.Errorf("samples written for %q, want %q", files, want)
	}
	for _, c := range []struct {
		steps, every int
		first, want  bool
	}{{1, 400, true, true}, {7, 400, true, true}, {2, 400, false, false}, {800, 400, false, true}, {1, 0, true, false}, {400, 0, false, false}} {
		if got := sampleDue(c.steps, c.every, c.first); got != c.want {
			t.Errorf("sampleDue(%d, %d, %v) = %v, want %v", c.steps, c.every, c.first, got, c.want)
		}
	}
}

// TestTrainSamplesAndReport trains a run of 4-sample epochs in two goes (-max-iters 3, then a
// resume) with -sample-every 2, and reads what it left: samples at each process's first step,
// every second step, the stop and the epoch ends; an index.html with those rows newest first,
// the legend, the options, the date and a note on translating; and loss.csv with the times.
func TestTrainSamplesAndReport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeTrainingSet(t, data, 4, 4)
	runs := filepath.Join(dir, "runs")
	args := []string{"-dataroot", data, "-runs", runs, "-name", "s", "-ngf", "2", "-ndf", "2", "-blocks", "0",
		"-load-size", "32", "-crop-size", "32", "-epochs", "1", "-decay-epochs", "1", "-sample-every", "2", "-save-every", "0", "-quiet"}
	if err := runTrain(append(args, "-max-iters", "3")); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(runs, "s")
	if got := sampleSteps(t, run); !slices.Equal(got, []string{"e001_s000001", "e001_s000002", "e001_s000003"}) {
		t.Errorf("after 3 steps, samples %q: want the first, the second and the stop's", got)
	}
	if err := runTrain([]string{"-runs", runs, "-name", "s", "-resume", "-sample-every", "2", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"e001_s000001", "e001_s000002", "e001_s000003", "e001_s000004", "e002_s000006", "e002_s000008"}
	if got := sampleSteps(t, run); !slices.Equal(got, want) {
		t.Errorf("after the resume, samples %q, want %q", got, want)
	}

	html, err := os.ReadFile(filepath.Join(run, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	for _, s := range []string{"epoch 2, step 8", "epoch 1, step 1", "images/e002_s000008_idt_A.png", "loss.png",
		"should look like real_A", "n_epochs_decay 1", "crop_size 32", time.Now().Format("2006-01-02"),
		"cyclegan translate -checkpoint", "Finished: 2 epochs, 8 steps"} {
		if !strings.Contains(page, s) {
			t.Errorf("index.html lacks %q", s)
		}
	}
	if i, j := strings.Index(page, "epoch 2, step 8"), strings.Index(page, "epoch 1, step 1"); i > j {
		t.Error("index.html shows the oldest samples first")
	}
	if strings.Contains(page, "height: 128px") {
		t.Error("index.html sets the images' height as well as their width")
	}

	rows := csvRows(t, filepath.Join(run, "loss.csv"))
	if len(rows) != 9 || rows[0][12] != "t_comp" || rows[0][13] != "t_data" {
		t.Fatalf("loss.csv holds %d lines, header %v: want 8 steps with t_comp and t_data", len(rows), rows[0])
	}
	for _, row := range rows[1:] {
		comp, err1 := strconv.ParseFloat(row[12], 64)
		data, err2 := strconv.ParseFloat(row[13], 64)
		if err1 != nil || err2 != nil || !(comp > 0) || !(data >= 0) {
			t.Errorf("step %s: t_comp %q, t_data %q: want a positive and a non-negative number of seconds", row[0], row[12], row[13])
		}
	}

	// Once translate has written <run>/translated/index.html, the page links it.
	if err := os.MkdirAll(filepath.Join(run, "translated"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, "translated", "index.html"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if note := translateNote(run, data); !strings.Contains(string(note), `href="translated/index.html"`) {
		t.Errorf("with a translated page, the note is %q", note)
	}
}

// sampleSteps returns the tags of the sample rows in run/images, oldest first.
func sampleSteps(t *testing.T, run string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(run, "images", "*_real_A.png"))
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, f := range files {
		tags = append(tags, strings.TrimSuffix(filepath.Base(f), "_real_A.png"))
	}
	return tags
}

// TestIndexImagesKeepAspect: the image tables set only the width of their images, so that a
// 1001x667 photo beside its translation is not squashed into a square.
func TestIndexImagesKeepAspect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.html")
	rows := []sampleRow{{Title: "photo.jpg", Images: []string{"photo_real.png", "photo_fake.png"}}}
	if err := writeIndex(path, "t", "", []string{"input", "output"}, rows, 256); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if page := string(html); !strings.Contains(page, "width: 256px; height: auto") || strings.Contains(page, "height: 256px") {
		t.Errorf("the translate page's image style is not width-only:\n%s", page)
	}
}

// TestResumeOldRun resumes a run written before the times and the step-tagged samples: its
// loss.csv without t_comp and t_data, and its images/epoch001_*.png. Training continues, the
// old rows are kept, and the page shows the old epoch's row below the new ones.
func TestResumeOldRun(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeTrainingSet(t, data, 2, 2)
	runs := filepath.Join(dir, "runs")
	args := []string{"-dataroot", data, "-runs", runs, "-name", "old", "-ngf", "2", "-ndf", "2", "-blocks", "0",
		"-load-size", "32", "-crop-size", "32", "-epochs", "2", "-decay-epochs", "0", "-save-every", "0", "-quiet"}
	if err := runTrain(append(args, "-max-iters", "2")); err != nil {
		t.Fatal(err)
	}
	// Turn the run into one of the old format.
	run := filepath.Join(runs, "old")
	var old strings.Builder
	for _, row := range csvRows(t, filepath.Join(run, "loss.csv")) {
		old.WriteString(strings.Join(row[:oldLossColumns], ",") + "\n")
	}
	if err := os.WriteFile(filepath.Join(run, "loss.csv"), []byte(old.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range cyclegan.VisualNames {
		from := filepath.Join(run, "images", "e001_s000002_"+name+".png")
		if err := os.Rename(from, filepath.Join(run, "images", "epoch001_"+name+".png")); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(run, "images", "e001_s000001_real_A.png")) // a row with a missing image

	if err := runTrain([]string{"-runs", runs, "-name", "old", "-resume", "-quiet"}); err != nil {
		t.Fatalf("resuming an old-format run: %v", err)
	}
	rows := csvRows(t, filepath.Join(run, "loss.csv"))
	if len(rows) != 5 || rows[1][12] != "" || rows[4][12] == "" {
		t.Errorf("loss.csv after the resume: %v, want 4 steps, the old ones without times", rows)
	}
	html, err := os.ReadFile(filepath.Join(run, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	newest, oldRow := strings.Index(page, "epoch 2, step 4"), strings.Index(page, "epoch 1 (end)")
	if newest < 0 || oldRow < newest || !strings.Contains(page, "images/epoch001_rec_B.png") {
		t.Errorf("index.html lacks the new row above the old epoch's row (at %d and %d)", newest, oldRow)
	}
}

// An epoch's end redraws loss.png the first time, then at most every replotEvery, and always at
// the end of training.
func TestReplotDue(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		finished bool
		plotted  time.Time
		want     bool
	}{
		{false, time.Time{}, true},
		{false, now.Add(-time.Second), false},
		{false, now.Add(-replotEvery + time.Millisecond), false},
		{false, now.Add(-replotEvery), true},
		{true, now.Add(-time.Second), true},
		{true, now, true},
	} {
		if got := replotDue(c.finished, c.plotted, now); got != c.want {
			t.Errorf("replotDue(finished %v, plotted %v before) = %v, want %v", c.finished, now.Sub(c.plotted), got, c.want)
		}
	}
}
