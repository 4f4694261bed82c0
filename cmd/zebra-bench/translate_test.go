package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestParseTranslateSizes(t *testing.T) {
	got, err := parseTranslateSizes("256, 37,8")
	if err != nil || len(got) != 3 || got[0] != 256 || got[1] != 37 || got[2] != 8 {
		t.Errorf(`parseTranslateSizes("256, 37,8") = %v, %v; want [256 37 8]`, got, err)
	}
	for _, bad := range []string{"7", "0", "x", "256,", ""} {
		if _, err := parseTranslateSizes(bad); err == nil {
			t.Errorf("parseTranslateSizes(%q) accepted it", bad)
		}
	}
}

// TestTranslateBench runs the benchmark on a tiny generator and reads its table: a header, then
// one row per size that starts with the size.
func TestTranslateBench(t *testing.T) {
	out := captureStdout(t, func() error {
		return runTranslateBench([]string{"-sizes", "8,13", "-ngf", "2", "-blocks", "1", "-warmup", "0", "-iters", "1"})
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.Contains(lines[1], "s/image") {
		t.Fatalf("output:\n%s\nwant a title, a header with s/image, two rows and a note", out)
	}
	for i, size := range []string{"8", "13"} {
		if fields := strings.Fields(lines[2+i]); len(fields) < 3 || fields[0] != size {
			t.Errorf("row %d is %q, want it to start with size %s", i, lines[2+i], size)
		}
	}
	if err := runTranslateBench([]string{"-iters", "0"}); err == nil {
		t.Error("-iters 0 was accepted")
	}
}

// captureStdout returns what run prints to standard output, failing the test if run fails.
func captureStdout(t *testing.T, run func() error) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	runErr := run()
	os.Stdout = stdout
	w.Close()
	out := <-done
	if runErr != nil {
		t.Fatal(runErr)
	}
	return out
}
