package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/models/cyclegan"
)

// TestReportFilesReadable: the report files are written with mode 0644, readable by a web
// server or another user like any file the user makes, not 0600 as a bare temporary file is.
func TestReportFilesReadable(t *testing.T) {
	dir := t.TempDir()
	log, err := openLossLog(dir, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer log.close()
	if err := log.add(lossRow{step: 1, losses: cyclegan.Losses{1, 2, 3, 4, 5, 6, 7, 8}}); err != nil {
		t.Fatal(err)
	}
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
