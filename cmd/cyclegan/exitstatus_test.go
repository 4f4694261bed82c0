package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// TestExitStatus runs the program as a user would and checks the status a script sees: 2 for a
// usage error (a bad flag, value or argument), 1 for a failure, 0 for success and for a run that
// -max-iters stopped, which says how to resume it. Each failure says once what failed: no
// "cyclegan train: cyclegan: ...".
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writePNG(t, filepath.Join(data, "trainA", "a.png"), 32, 32, false)
	writePNG(t, filepath.Join(data, "trainB", "b.png"), 32, 32, true)
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("# zebra\n\nA deep learning framework in pure Go.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tiny := []string{"train", "-dataroot", data, "-runs", filepath.Join(dir, "runs"), "-ngf", "2", "-ndf", "2", "-blocks", "0",
		"-load-size", "32", "-crop-size", "32", "-epochs", "1", "-decay-epochs", "1", "-quiet"}
	for _, c := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"train", "-bogus"}, 2, "cyclegan train: flag provided but not defined: -bogus\nRun 'cyclegan train -h' for its flags.\n"},
		{[]string{"train", "-epochs", "x"}, 2, `invalid value "x" for flag -epochs`},
		{[]string{"train", "-max-memory", "0"}, 2, "-max-memory 0"},
		{[]string{"train", "-ngf", "0"}, 2, "cyclegan train: ngf 0"},
		{[]string{"train", "extra"}, 2, `unexpected arguments ["extra"]`},
		{append(slices.Clone(tiny), "-tf32"), 2, "-tf32 is for CUDA's tensor cores: it needs -device cuda, not cpu"},
		{[]string{"translate", "-direction", "sideways", "-checkpoint", readme, readme}, 2, `-direction "sideways"`},
		{[]string{"translate", readme}, 2, "need -checkpoint"},
		{[]string{"download"}, 2, "want one dataset name"},
		{[]string{"download", "-dir", filepath.Join(dir, "datasets"), "horse2pony"}, 2, `unknown dataset "horse2pony"`},
		{[]string{"nonsense"}, 2, `unknown command "nonsense"`},
		{[]string{"train", "-dataroot", filepath.Join(dir, "nowhere"), "-runs", filepath.Join(dir, "runs")}, 1, "cyclegan train: data root " + filepath.Join(dir, "nowhere") + " does not exist\n"},
		{[]string{"train", "-runs", filepath.Join(dir, "runs"), "-name", "never", "-resume"}, 1, "cannot resume " + filepath.Join(dir, "runs", "never") + ": it has no checkpoint"},
		{[]string{"translate", "-checkpoint", readme, readme}, 1, "cyclegan translate: " + readme + " is not a checkpoint"},
		{[]string{"translate", "-checkpoint", filepath.Join(dir, "no.safetensors"), readme}, 1, "checkpoint " + filepath.Join(dir, "no.safetensors") + " does not exist"},
		{append(tiny, "-name", "short", "-max-iters", "1"), 0, "stopped after -max-iters 1 at epoch "},
		{append(tiny, "-name", "whole"), 0, "done: 2 epochs"},
		{[]string{"train", "-h"}, 0, "exit status:\n"},
		{[]string{"version"}, 0, ""},
		{[]string{"-version"}, 0, ""},
	} {
		cmd := runCyclegan(t, "", "", c.args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		status := exitStatus(t, cmd.Run())
		if status != c.status || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("cyclegan %s: exit status %d, want %d and %q in the output:\n%s", strings.Join(c.args, " "), status, c.status, c.stderr, stderr.String())
		}
		if strings.Contains(stderr.String(), ": cyclegan: ") || strings.Contains(stderr.String(), "header length") {
			t.Errorf("cyclegan %s: the error stutters:\n%s", strings.Join(c.args, " "), stderr.String())
		}
		if strings.Contains(c.args[0], "version") && !strings.Contains(stdout.String(), "simd:") {
			t.Errorf("cyclegan %s printed %q", c.args[0], stdout.String())
		}
		if c.stderr == "stopped after -max-iters 1 at epoch " && !strings.Contains(stderr.String(), "resume with: ") {
			t.Errorf("a run that -max-iters stopped does not say how to resume it:\n%s", stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "never")); err == nil {
		t.Error("resuming a run that does not exist created its folder")
	}
}

// TestTrainFlagGroups: cyclegan train -h lists every flag under exactly one heading.
func TestTrainFlagGroups(t *testing.T) {
	var tf trainFlags
	o := cyclegan.DefaultOptions()
	fs := trainFlagSet(&o, &tf)
	if err := cli.CheckFlagGroups(fs, trainFlagGroups); err != nil {
		t.Error(err)
	}
	var b strings.Builder
	printTrainUsage(&b, fs)
	for _, want := range []string{"model:\n  -ngf int", "examples:", " train -name horse2zebra -resume\n", "  130  stopped by SIGINT", "  143  stopped by SIGTERM"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("cyclegan train -h lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "\nother:") {
		t.Errorf("cyclegan train -h has flags under no heading:\n%s", b.String())
	}
}
