package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trainedRun trains a tiny run that keeps an epoch checkpoint (with the extra train flags), and
// returns its train flags and its latest checkpoint.
func trainedRun(t *testing.T, extra ...string) (args []string, latest string) {
	t.Helper()
	dir := t.TempDir()
	args = append(append(tinyTrainArgs(t, dir), "-name", "run", "-save-every", "1"), extra...)
	if err := runTrain(args); err != nil {
		t.Fatal(err)
	}
	latest = filepath.Join(dir, "runs", "run", "checkpoints", "latest.safetensors")
	if _, err := os.Stat(filepath.Join(filepath.Dir(latest), "epoch001.safetensors")); err != nil {
		t.Fatal(err)
	}
	return args, latest
}

// TestCorruptLatestNamesEpochCheckpoints: when latest cannot be read, the errors of train
// -resume and translate name the epoch checkpoints beside it and say how to use one; the resume
// error names only full ones (-epoch-save full), since a generators-only one cannot resume.
func TestCorruptLatestNamesEpochCheckpoints(t *testing.T) {
	gargs, glatest := trainedRun(t) // -epoch-save generators, the default
	if err := os.Truncate(glatest, 100); err != nil {
		t.Fatal(err)
	}
	if err := runTrain(append(gargs, "-resume")); err == nil || strings.Contains(err.Error(), "epoch001.safetensors") {
		t.Errorf("resume from a truncated latest beside a generators-only epoch001: %v, want an error that does not offer epoch001", err)
	}
	gimg := filepath.Join(t.TempDir(), "a.png")
	writePNG(t, gimg, 8, 8, false)
	if err := runTranslate([]string{"-checkpoint", glatest, "-out", t.TempDir(), gimg}); err == nil || !strings.Contains(err.Error(), "epoch001.safetensors") {
		t.Errorf("translate with a truncated latest beside a generators-only epoch001: %v, want an error naming epoch001.safetensors", err)
	}

	args, latest := trainedRun(t, "-epoch-save", "full")
	if err := os.Truncate(latest, 100); err != nil {
		t.Fatal(err)
	}
	err := runTrain(append(args, "-resume"))
	if err == nil || !strings.Contains(err.Error(), "epoch001.safetensors") || !strings.Contains(err.Error(), "-resume") {
		t.Errorf("resume from a truncated latest: %v, want an error naming epoch001.safetensors and how to resume from it", err)
	}
	img := filepath.Join(t.TempDir(), "a.png")
	writePNG(t, img, 8, 8, false)
	err = runTranslate([]string{"-checkpoint", latest, "-out", t.TempDir(), img})
	if err == nil || !strings.Contains(err.Error(), "epoch001.safetensors") {
		t.Errorf("translate with a truncated latest: %v, want an error naming epoch001.safetensors", err)
	}
}

// TestDamagedCheckpointSkipChecksum: a bit flipped in a checkpoint's data is refused by train
// -resume and translate with an error that names -skip-checksum, which loads it anyway.
func TestDamagedCheckpointSkipChecksum(t *testing.T) {
	args, latest := trainedRun(t)
	// The lowest bit of G_B's first weight, a finite float32 still: only the checksum can tell.
	data, err := os.ReadFile(latest)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(data[:8])
	var header map[string]struct {
		Offsets [2]uint64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(data[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	data[8+n+header["G_B.model.1.weight"].Offsets[0]] ^= 1
	if err := os.WriteFile(latest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "a.png")
	writePNG(t, img, 8, 8, false)
	for _, c := range []struct {
		what string
		run  func(skip ...string) error
	}{
		{"train -resume", func(skip ...string) error {
			return runTrain(append(append(args, "-resume", "-epochs", "2"), skip...))
		}},
		{"translate -direction BtoA", func(skip ...string) error {
			return runTranslate(append(append([]string{"-checkpoint", latest, "-direction", "BtoA", "-out", t.TempDir()}, skip...), img))
		}},
	} {
		if err := c.run(); err == nil || !strings.Contains(err.Error(), "SHA-256") || !strings.Contains(err.Error(), "-skip-checksum") {
			t.Errorf("%s with a damaged checkpoint: %v, want an error naming the SHA-256 and -skip-checksum", c.what, err)
		}
		if err := c.run("-skip-checksum"); err != nil {
			t.Errorf("%s -skip-checksum: %v", c.what, err)
		}
	}
}
