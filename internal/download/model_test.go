package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestModel: a torch.save file is saved under <dir>/<name>.pth; a body over the size limit,
// and one that is no PyTorch file, leave nothing behind; unknown names are refused before any
// request.
func TestModel(t *testing.T) {
	pth, err := os.ReadFile(filepath.Join("..", "torchfile", "testdata", "generator_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.URL.Path == "/map2sat.pth" {
			w.Write([]byte("PK but not quite")) // too short to be anything
			return
		}
		w.Write(pth)
	}))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "models")

	var progress bytes.Buffer
	path, err := Model(context.Background(), srv.URL+"/", "sat2map", dir, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); path != filepath.Join(dir, "sat2map.pth") || err != nil || !bytes.Equal(got, pth) {
		t.Errorf("saved %s (%d bytes, %v), want %d bytes in %s", path, len(got), err, len(pth), filepath.Join(dir, "sat2map.pth"))
	}
	if !strings.Contains(progress.String(), "sat2map.pth") {
		t.Errorf("progress %q does not name the file", progress.String())
	}

	defer func(old int64) { maxModelBytes = old }(maxModelBytes)
	maxModelBytes = int64(len(pth)) - 1
	if _, err := Model(context.Background(), srv.URL, "map2sat", dir, nil); err == nil {
		t.Error("a body that is no PyTorch file was kept")
	}
	if _, err := Model(context.Background(), srv.URL, "horse2zebra", dir, nil); err == nil || !strings.Contains(err.Error(), "accepts") {
		t.Errorf("a body over the limit: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries after failed downloads, want sat2map.pth alone", len(entries))
	}

	before := requests
	if _, err := Model(context.Background(), srv.URL, "horse2unicorn", dir, nil); !errors.Is(err, ErrUnknownModel) || requests != before {
		t.Errorf("unknown name: %v after %d requests", err, requests-before)
	}
	if names := ModelNames(); len(names) != 18 || !slices.Contains(names, "horse2zebra") || names[len(names)-1] != "iphone2dslr_flower" {
		t.Errorf("ModelNames() = %q, want the official script's 18", names)
	}
	if got := ModelURL(DefaultModelBaseURL, "style_monet"); got != "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models/style_monet.pth" {
		t.Errorf("ModelURL = %s", got)
	}
}

// TestModelFIDInception: fid-inception is saved under pytorch-fid's file name, from pytorch-fid's
// releases by default, and kept only when its SHA-256 begins as that name says; GitHub's redirect
// of a release download to its content host is followed, and no other host's.
func TestModelFIDInception(t *testing.T) {
	pth, err := os.ReadFile(filepath.Join("..", "torchfile", "testdata", "generator_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.Write(pth)
	}))
	defer srv.Close()
	dir := t.TempDir()

	if _, err := Model(context.Background(), srv.URL, FIDInception, dir, nil); err == nil || !strings.Contains(err.Error(), "not pytorch-fid's weights") {
		t.Errorf("a file of another SHA-256: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused file left %d entries behind", len(entries))
	}
	sum := sha256.Sum256(pth)
	defer func(old string) { fidInceptionDigest = old }(fidInceptionDigest)
	fidInceptionDigest = hex.EncodeToString(sum[:4])
	path, err := Model(context.Background(), srv.URL, FIDInception, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "pt_inception-2015-12-05-6726825d.pth"); path != want {
		t.Errorf("saved as %s, want %s", path, want)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, pth) {
		t.Errorf("saved %d bytes (%v), want the %d served", len(got), err, len(pth))
	}
	if want := []string{"/pt_inception-2015-12-05-6726825d.pth", "/pt_inception-2015-12-05-6726825d.pth"}; !slices.Equal(paths, want) {
		t.Errorf("requested %q, want %q", paths, want)
	}
	if got := ModelURL("", FIDInception); got != "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth" {
		t.Errorf("ModelURL(\"\", fid-inception) = %s", got)
	}
	if got := ModelURL("", "horse2zebra"); got != DefaultModelBaseURL+"/horse2zebra.pth" {
		t.Errorf("ModelURL(\"\", horse2zebra) = %s", got)
	}

	redirect := func(from, to string) error {
		prev, _ := http.NewRequest(http.MethodGet, from, nil)
		next, _ := http.NewRequest(http.MethodGet, to, nil)
		return checkRedirect(next, []*http.Request{prev})
	}
	release := "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
	if err := redirect(release, "https://objects.githubusercontent.com/github-production-release-asset/1"); err != nil {
		t.Errorf("GitHub's redirect to its content host: %v", err)
	}
	for _, to := range []string{"http://objects.githubusercontent.com/x", "https://githubusercontent.com.example.org/x", "https://example.org/x"} {
		if err := redirect(release, to); err == nil {
			t.Errorf("followed a redirect from github.com to %s", to)
		}
	}
}
