package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestFailedDownloadLeavesNoEmptyFolder: a download that fails (the server has no such archive)
// removes the -dir folders it created, and leaves a folder that was there before.
func TestFailedDownloadLeavesNoEmptyFolder(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	dir := t.TempDir()
	dest := filepath.Join(dir, "datasets", "cyclegan")
	if err := runDownload([]string{"-url", srv.URL, "-dir", dest, "mini"}); err == nil {
		t.Fatal("a download answered 404 succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "datasets")); !os.IsNotExist(err) {
		t.Errorf("the failed download left its folder behind (%v)", err)
	}
	if err := runDownload([]string{"-url", srv.URL, "-dir", dir, "mini"}); err == nil {
		t.Fatal("a download answered 404 succeeded")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("a failed download removed a folder that was there before: %v", err)
	}
}
