package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run this test binary as the cyclegan command.
func TestMain(m *testing.M) {
	if os.Getenv("CYCLEGAN_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCyclegan returns a command that runs this test binary as the cyclegan program with args.
// argv0 is the name the program sees as os.Args[0] (the binary's own path when empty); dir is
// the working folder of the process (this package's folder when empty).
func runCyclegan(t *testing.T, argv0, dir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	if argv0 != "" {
		cmd.Args[0] = argv0
	}
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CYCLEGAN_TEST_MAIN=1")
	return cmd
}

// exitStatus returns the exit status of a command that ran, failing the test on any other error.
func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestSignalSavesAndExitsWithItsStatus sends SIGINT, then SIGTERM, to a training process: it
// finishes the current step, saves a checkpoint, prints how to resume as the program was
// invoked, and exits with 128 + the signal's number, as a shell reports a killed process. The
// SIGINT run is started by a path (./bin/cyclegan), the SIGTERM run by a name found on PATH.
func TestSignalSavesAndExitsWithItsStatus(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeTrainingSet(t, data, 2, 2)
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		signal syscall.Signal
		argv0  string // as the user typed it
		status int
		name   string
	}{
		{syscall.SIGINT, "./bin/cyclegan", 130, "sig int"}, // a space: the resume line quotes it
		{syscall.SIGTERM, "cyclegan", 143, "sigterm"},
	} {
		runs := filepath.Join(dir, "runs")
		cmd := runCyclegan(t, c.argv0, dir, "train", "-dataroot", data, "-runs", runs, "-name", c.name, "-ngf", "4", "-ndf", "4",
			"-blocks", "1", "-load-size", "32", "-crop-size", "32", "-epochs", "1000", "-decay-epochs", "0", "-quiet")
		if c.argv0 == "cyclegan" {
			// The program finds itself on PATH under the name it was given.
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(exe, filepath.Join(bin, "cyclegan")); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(cmd.Env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		}
		output, status := interruptedRun(t, cmd, c.signal)
		if status != c.status {
			t.Errorf("training stopped by %v exited with %d, want %d; output:\n%s", c.signal, status, c.status, output)
		}
		resume := "resume with: " + c.argv0 + " train -runs " + runs + " -name '" + c.name + "' -resume"
		if c.name == "sigterm" {
			resume = "resume with: cyclegan train -runs " + runs + " -name sigterm -resume"
		}
		if !strings.Contains(output, resume) || !strings.Contains(output, "stopped by "+map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[c.signal]) {
			t.Errorf("no %q in the output:\n%s", resume, output)
		}
		if _, err := os.Stat(filepath.Join(runs, c.name, "checkpoints", "latest.safetensors")); err != nil {
			t.Error(err)
		}
	}
}

// interruptedRun starts cmd, waits until it has finished an epoch, so that training is certainly
// under way, sends it sig, and returns its output and exit status.
func interruptedRun(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) (output string, status int) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out []string
	for line := range lines {
		out = append(out, line)
		if strings.HasPrefix(line, "epoch 1/1000 done") {
			break
		}
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer done.Stop()
	for line := range lines {
		out = append(out, line)
	}
	return strings.Join(out, "\n"), exitStatus(t, cmd.Wait())
}
