package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

// TestEpochCheckpointsAndExport trains two tiny epochs keeping a checkpoint each epoch, which
// holds the generators only (the default -epoch-save), translates with one, exports latest as
// float16 generators with the training command, and translates with that.
func TestEpochCheckpointsAndExport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writePNG(t, filepath.Join(data, "trainA", "a.png"), 36, 36, false)
	writePNG(t, filepath.Join(data, "trainB", "b.png"), 36, 36, true)
	runs := filepath.Join(dir, "runs")
	train := []string{"-dataroot", data, "-runs", runs, "-name", "tiny", "-ngf", "4", "-ndf", "4", "-blocks", "1",
		"-load-size", "34", "-crop-size", "32", "-epochs", "1", "-decay-epochs", "1", "-save-every", "1", "-quiet"}
	if err := runTrain(train); err != nil {
		t.Fatal(err)
	}
	checkpoints := filepath.Join(runs, "tiny", "checkpoints")
	latest := filepath.Join(checkpoints, "latest.safetensors")
	epoch1 := filepath.Join(checkpoints, "epoch001.safetensors")
	f, err := safetensors.ReadFile(epoch1)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["contents"] != "generators" || f.Metadata["command"] == "" {
		t.Errorf("epoch001: contents %q, command %q; want generators, and the command", f.Metadata["contents"], f.Metadata["command"])
	}
	if a, b := fileSize(t, epoch1), fileSize(t, latest); a > b/4 {
		t.Errorf("epoch001 is %d bytes, latest %d: want the generators alone, a fraction of it", a, b)
	}
	if _, err := cyclegan.LoadTrainer(epoch1, tensor.CPU); err == nil || !strings.Contains(err.Error(), "generators-only checkpoint: it cannot resume training") {
		t.Errorf("LoadTrainer of epoch001: %v, want a refusal", err)
	}
	img := filepath.Join(dir, "in", "x.png")
	writePNG(t, img, 20, 12, false)
	if err := runTranslate([]string{"-checkpoint", epoch1, "-out", filepath.Join(dir, "t1"), img}); err != nil {
		t.Fatalf("translate with epoch001: %v", err)
	}

	out := filepath.Join(dir, "model.safetensors")
	command := "cyclegan train -dataroot 'my data' -ngf 4"
	args := []string{"-checkpoint", latest, "-out", out, "-command", command, "-note", "tiny test"}
	var printed bytes.Buffer
	if err := export(args, &printed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printed.String(), out) || !strings.Contains(printed.String(), "float16") || !strings.Contains(printed.String(), " MB") {
		t.Errorf("export printed %q, want the file, its dtype and its size", printed.String())
	}
	if f, err = safetensors.ReadFile(out); err != nil {
		t.Fatal(err)
	}
	// The program's name is the test binary's here: compare what follows it.
	wantExport := ` export -checkpoint ` + latest + ` -out ` + out + ` -command 'cyclegan train -dataroot '\''my data'\'' -ngf 4' -note 'tiny test'`
	if strings.ContainsAny(dir, " '") {
		wantExport = "" // the temporary folder itself would need quotes: skip the comparison
	}
	switch {
	case f.Metadata["command"] != command, f.Metadata["note"] != "tiny test", f.Metadata["contents"] != "generators":
		t.Errorf("exported metadata: command %q, note %q, contents %q", f.Metadata["command"], f.Metadata["note"], f.Metadata["contents"])
	case wantExport != "" && !strings.HasSuffix(f.Metadata["export_command"], wantExport):
		t.Errorf("export_command %s, want it to end in %s", f.Metadata["export_command"], wantExport)
	case f.Tensors[0].DType != safetensors.F16:
		t.Errorf("exported dtype %s, want F16", f.Tensors[0].DType)
	}
	if err := runTranslate([]string{"-checkpoint", out, "-direction", "BtoA", "-out", filepath.Join(dir, "t2"), img}); err != nil {
		t.Fatalf("translate with the exported file: %v", err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-checkpoint", latest, "-out", out, "-networks", "some"}, `-networks "some"`},
		{[]string{"-checkpoint", latest, "-out", out, "-dtype", "int8"}, `-dtype "int8"`},
		{[]string{"-checkpoint", latest}, "need -checkpoint and -out"},
		{[]string{"-checkpoint", latest, "-out", latest}, "is the checkpoint itself"},
		{[]string{"-checkpoint", out, "-out", filepath.Join(dir, "all.safetensors"), "-networks", "all"}, "generators-only"},
	} {
		var discard bytes.Buffer
		if err := export(c.args, &discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("export %q: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

// TestSaveEpochCheckpointKinds: each -epoch-save kind writes what it says.
func TestSaveEpochCheckpointKinds(t *testing.T) {
	o := cyclegan.DefaultOptions()
	o.NGF, o.NDF, o.Blocks, o.LoadSize, o.CropSize = 4, 4, 1, 32, 32
	tr, err := cyclegan.NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, kind := range []string{"full", "networks", "generators"} {
		path := filepath.Join(dir, kind+".safetensors")
		if err := saveEpochCheckpoint(tr, path, kind); err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, hasG := f.Tensor("G_B.model.1.weight")
		_, hasD := f.Tensor("D_A.model.0.weight")
		_, hasState := f.Metadata["scheduler_G.last_epoch"] // a fresh trainer has no moments nor pooled images yet
		if f.Metadata["contents"] != kind || !hasG || hasD != (kind != "generators") || hasState != (kind == "full") {
			t.Errorf("-epoch-save %s: contents %q, G_B %v, D_A %v, training state %v", kind, f.Metadata["contents"], hasG, hasD, hasState)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}
