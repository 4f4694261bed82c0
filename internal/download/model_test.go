package download

import (
	"bytes"
	"context"
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
