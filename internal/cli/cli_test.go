package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestUsageListsCommandsInOrder(t *testing.T) {
	var b strings.Builder
	usage(&b, "prog", []Command{{Name: "b", Summary: "second"}, {Name: "a", Summary: "first"}})
	out := b.String()
	if !strings.HasPrefix(out, "usage: prog <command> [flags]") || !strings.Contains(out, "prog <command> -h") {
		t.Fatalf("usage does not name the program:\n%s", out)
	}
	if i, j := strings.Index(out, "  b "), strings.Index(out, "  a "); i < 0 || j < 0 || i > j {
		t.Fatalf("usage should list b then a, as given:\n%s", out)
	}
}

// TestUsageAlignsSummaries: every summary starts in the same column, however long the longest
// command's name ("download-model" is longer than the old fixed width).
func TestUsageAlignsSummaries(t *testing.T) {
	var b strings.Builder
	usage(&b, "prog", []Command{{Name: "train", Summary: "trains"}, {Name: "download-model", Summary: "downloads"}})
	column := -1
	for _, line := range strings.Split(b.String(), "\n") {
		for _, summary := range []string{"trains", "downloads", "print the version"} {
			if i := strings.Index(line, summary); i >= 0 {
				if column >= 0 && i != column {
					t.Fatalf("summaries start in columns %d and %d:\n%s", column, i, b.String())
				}
				column = i
			}
		}
	}
	if column < len("  download-model ") {
		t.Fatalf("summaries start in column %d, inside the longest name:\n%s", column, b.String())
	}
}

// parsingCommand is a command with one int flag that returns what its body returns.
func parsingCommand(body func() error) Command {
	return Command{Name: "cmd", Run: func(args []string) error {
		fs := flag.NewFlagSet("prog cmd", flag.ContinueOnError)
		fs.Int("n", 1, "a number")
		if err := Parse(fs, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return Usagef("unexpected arguments %q", fs.Args())
		}
		return body()
	}}
}

// rawParsingCommand returns fs.Parse's error as it is, as zebra-bench's commands do.
var rawParsingCommand = Command{Name: "raw", Run: func(args []string) error {
	fs := flag.NewFlagSet("prog raw", flag.ContinueOnError)
	fs.SetOutput(&strings.Builder{})
	fs.Int("n", 1, "a number")
	return fs.Parse(args)
}}

func TestExitCodes(t *testing.T) {
	ok := parsingCommand(func() error { return nil })
	fails := parsingCommand(func() error { return errors.New("prog: no such file") })
	interrupted := parsingCommand(func() error { return &ExitError{Code: 130} })
	for _, c := range []struct {
		name     string
		commands []Command
		args     []string
		code     int
		stderr   string // a substring of stderr; "" wants it empty
	}{
		{"success", []Command{ok}, []string{"cmd", "-n", "3"}, 0, ""},
		{"help", []Command{ok}, []string{"cmd", "-h"}, 0, ""}, // the usage goes to os.Stderr
		{"no command", []Command{ok}, nil, 2, "usage: prog"},
		{"unknown command", []Command{ok}, []string{"nope"}, 2, `unknown command "nope"`},
		{"unknown flag", []Command{ok}, []string{"cmd", "-m"}, 2, "prog cmd: flag provided but not defined: -m\nRun 'prog cmd -h' for its flags."},
		{"bad value", []Command{ok}, []string{"cmd", "-n", "x"}, 2, `invalid value "x" for flag -n`},
		{"missing value", []Command{ok}, []string{"cmd", "-n"}, 2, "flag needs an argument: -n"},
		{"argument", []Command{ok}, []string{"cmd", "extra"}, 2, `unexpected arguments ["extra"]`},
		{"raw flag error", []Command{rawParsingCommand}, []string{"raw", "-m"}, 2, "flag provided but not defined"},
		{"failure", []Command{fails}, []string{"cmd"}, 1, "prog cmd: no such file\n"},
		{"exit code", []Command{interrupted}, []string{"cmd"}, 130, ""},
		{"version", []Command{ok}, []string{"version"}, 0, ""},
		{"-version", []Command{ok}, []string{"-version"}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			code := run("prog", c.commands, c.args, &stdout, &stderr)
			if code != c.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, c.code, stderr.String())
			}
			if c.stderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr %q, want nothing", stderr.String())
			}
			if !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr %q, want %q in it", stderr.String(), c.stderr)
			}
			if strings.Contains(stderr.String(), "Usage of") || strings.Count(stderr.String(), "a number") > 1 {
				t.Errorf("the usage was printed on an error:\n%s", stderr.String())
			}
			if strings.HasSuffix(c.name, "version") && !strings.HasPrefix(stdout.String(), "prog ") {
				t.Errorf("version printed %q", stdout.String())
			}
		})
	}
}

// TestFlagErrorsAreRecognized: every way flag.FlagSet.Parse fails gives an error that
// isFlagError knows, so a command that returns it unwrapped still exits 2.
func TestFlagErrorsAreRecognized(t *testing.T) {
	for _, args := range [][]string{{"-m"}, {"---n"}, {"-n"}, {"-n", "x"}, {"-b=maybe"}, {"-s="}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(&strings.Builder{})
		fs.Int("n", 1, "")
		fs.Bool("b", false, "")
		fs.Func("s", "", func(s string) error { return fmt.Errorf("never") })
		err := fs.Parse(args)
		if err == nil || !isFlagError(err) {
			t.Errorf("%q: error %v is not recognized as the flag package's", args, err)
		}
	}
	if isFlagError(errors.New("invalid checkpoint")) {
		t.Error("an error that merely starts with \"invalid\" was taken for a flag error")
	}
}

func TestMessageSaysTheProgramOnce(t *testing.T) {
	if got := message("cyclegan train", errors.New("cyclegan: data root: missing")); got != "data root: missing" {
		t.Errorf("message = %q", got)
	}
	if got := message("cyclegan download", errors.New("download: GET x: 404")); got != "GET x: 404" {
		t.Errorf("message = %q", got)
	}
	if got := message("zebra-bench gemm", errors.New("cyclegan: x")); got != "cyclegan: x" {
		t.Errorf("another package's prefix was removed: %q", got)
	}
}

func TestFormatVersion(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Path: "m", Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
	}}
	got := formatVersion("prog", info, "avx2", "")
	for _, want := range []string{"prog v1.2.3\n", "revision: abc123 (modified), 2026-01-02T03:04:05Z\n", "go:       go1.99 ", "simd:     avx2\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("version lacks %q:\n%s", want, got)
		}
	}
	got = formatVersion("prog", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "generic", "ZEBRA_CPU=avx9: no")
	for _, want := range []string{"prog (devel)\n", "revision: unknown", "simd:     generic (ZEBRA_CPU=avx9: no)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("version lacks %q:\n%s", want, got)
		}
	}
	if got := Version("prog"); !strings.Contains(got, "simd:") {
		t.Errorf("Version:\n%s", got)
	}
}

func TestFlagGroups(t *testing.T) {
	fs := flag.NewFlagSet("prog", flag.ContinueOnError)
	fs.String("name", "demo", "the `run`'s name")
	fs.Int("epochs", 0, "epochs")
	fs.Bool("quiet", false, "less output")
	groups := []FlagGroup{{"output", []string{"name", "quiet"}}, {"schedule", []string{"epochs"}}}
	if err := CheckFlagGroups(fs, groups); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	PrintFlagGroups(&b, fs, groups)
	want := "output:\n  -name run\n    \tthe run's name (default \"demo\")\n  -quiet\n    \tless output\n\nschedule:\n  -epochs int\n    \tepochs\n"
	if b.String() != want {
		t.Errorf("PrintFlagGroups wrote\n%s\nwant\n%s", b.String(), want)
	}
	for _, bad := range [][]FlagGroup{
		{{"output", []string{"name", "quiet"}}},                                              // -epochs missing
		{{"output", []string{"name", "quiet", "epochs"}}, {"schedule", []string{"epochs"}}},  // twice
		{{"output", []string{"name", "quiet", "epochs"}}, {"schedule", []string{"no-such"}}}, // unknown
	} {
		if err := CheckFlagGroups(fs, bad); err == nil {
			t.Errorf("CheckFlagGroups accepted %v", bad)
		}
	}
	b.Reset()
	PrintFlagGroups(&b, fs, groups[:1])
	if !strings.Contains(b.String(), "other:\n  -epochs int") {
		t.Errorf("an ungrouped flag is not printed under other:\n%s", b.String())
	}
}

func TestInvocation(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/zebra\n\ngo 1.24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pkgDir := filepath.Join(root, "cmd", "cyclegan")
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	onPath := func(name string) (string, error) { return "/usr/bin/" + name, nil }
	notOnPath := func(name string) (string, error) { return "", errors.New("not found") }
	goRun := filepath.Join(os.TempDir(), "go-build123456", "b001", "exe", "cyclegan")
	const pkg, mod = "example.com/zebra/cmd/cyclegan", "example.com/zebra"
	for _, c := range []struct {
		arg0, wd string
		look     func(string) (string, error)
		want     string
	}{
		{goRun, root, notOnPath, "go run ./cmd/cyclegan"},
		{goRun, pkgDir, notOnPath, "go run ."},
		{goRun, filepath.Join(root, "cmd"), notOnPath, "go run ./cyclegan"},
		{goRun, t.TempDir(), notOnPath, "go run example.com/zebra/cmd/cyclegan"},
		{"./bin/cyclegan", root, onPath, "./bin/cyclegan"},
		{"/opt/my tools/cyclegan", root, onPath, "'/opt/my tools/cyclegan'"},
		{"cyclegan", root, onPath, "cyclegan"},
	} {
		if got := invocation(c.arg0, c.wd, pkg, mod, c.look); got != c.want {
			t.Errorf("invocation(%q in %s) = %q, want %q", c.arg0, c.wd, got, c.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	got := ShellQuote("-runs", "my runs", "-name", "it's", "-x", "", "a/b-c_d.e:f=g")
	want := `-runs 'my runs' -name 'it'\''s' -x '' a/b-c_d.e:f=g`
	if got != want {
		t.Errorf("ShellQuote = %s, want %s", got, want)
	}
}

func TestMkdirAllUndo(t *testing.T) {
	base := t.TempDir()
	undo, err := MkdirAll(filepath.Join(base, "a", "b", "c"))
	if err != nil {
		t.Fatal(err)
	}
	undo()
	if _, err := os.Stat(filepath.Join(base, "a")); !os.IsNotExist(err) {
		t.Errorf("undo left %s/a behind (%v)", base, err)
	}
	if _, err := os.Stat(base); err != nil {
		t.Errorf("undo removed a folder it did not create: %v", err)
	}
	// A file written into a created folder keeps it, and its parents.
	undo, err = MkdirAll(filepath.Join(base, "x", "y"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "x", "y", "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	undo()
	if _, err := os.Stat(filepath.Join(base, "x", "y", "f")); err != nil {
		t.Errorf("undo removed a written file's folder: %v", err)
	}
}
