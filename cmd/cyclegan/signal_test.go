package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the signal test run this test binary as the cyclegan command.
func TestMain(m *testing.M) {
	if os.Getenv("CYCLEGAN_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestInterruptSavesAndExitsZero sends SIGINT to a training process: it finishes the current
// step, saves a checkpoint, prints how to resume and exits with status 0.
func TestInterruptSavesAndExitsZero(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for i := range 2 {
		writePNG(t, filepath.Join(data, "trainA", "a"+string(rune('0'+i))+".png"), 32, 32, false)
		writePNG(t, filepath.Join(data, "trainB", "b"+string(rune('0'+i))+".png"), 32, 32, true)
	}
	runs := filepath.Join(dir, "runs")
	cmd := exec.Command(os.Args[0], "train", "-dataroot", data, "-runs", runs, "-name", "sig", "-ngf", "4", "-ndf", "4",
		"-blocks", "1", "-load-size", "32", "-crop-size", "32", "-epochs", "1000", "-decay-epochs", "0", "-quiet")
	cmd.Env = append(os.Environ(), "CYCLEGAN_TEST_MAIN=1")
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
	var output []string
	// Wait until an epoch has finished, so that training is certainly under way, then interrupt.
	for line := range lines {
		output = append(output, line)
		if strings.HasPrefix(line, "epoch 1/1000 done") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer done.Stop()
	for line := range lines {
		output = append(output, line)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("interrupted training exited with %v; output:\n%s", err, strings.Join(output, "\n"))
	}
	all := strings.Join(output, "\n")
	if !strings.Contains(all, "resume with: cyclegan train -runs "+runs+" -name sig -resume") {
		t.Errorf("no resume line in the output:\n%s", all)
	}
	if _, err := os.Stat(filepath.Join(runs, "sig", "checkpoints", "latest.safetensors")); err != nil {
		t.Error(err)
	}
}
