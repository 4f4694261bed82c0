package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/cli"
)

// TestDownloadModel runs download-model against a local server that plays the authors' one,
// serving a small official generator (ngf 4, 2 blocks, legacy torch.save format) as
// horse2zebra.pth, and translates with the file, as the printed command says.
func TestDownloadModel(t *testing.T) {
	pth, err := os.ReadFile(filepath.Join("..", "..", "internal", "torchfile", "testdata", "generator_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/horse2zebra.pth":
			w.Write(pth)
		case "/zebra2horse.pth": // the connection drops halfway
			w.Header().Set("Content-Length", strconv.Itoa(len(pth)))
			w.Write(pth[:len(pth)/2])
		case "/monet2photo.pth": // a captive portal's page, with status 200
			w.Write([]byte("<html>please log in</html>"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	dest := filepath.Join(dir, "pretrained")

	var stdout, stderr bytes.Buffer
	if err := downloadModel([]string{"-url", srv.URL, "-dir", dest, "horse2zebra"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dest, "horse2zebra.pth")
	if got, err := os.ReadFile(saved); err != nil || !bytes.Equal(got, pth) {
		t.Fatalf("saved file: %d bytes, %v; want the %d served", len(got), err, len(pth))
	}
	if !strings.Contains(stderr.String(), "downloading horse2zebra.pth") {
		t.Errorf("no progress bar on stderr: %q", stderr.String())
	}
	command := "cyclegan translate -checkpoint " + saved + " "
	if !strings.Contains(stdout.String(), command) {
		t.Errorf("stdout %q does not say %q", stdout.String(), command)
	}
	img := filepath.Join(dir, "horse.png")
	writePNG(t, img, 12, 8, true)
	out := filepath.Join(dir, "translated")
	if err := runTranslate([]string{"-checkpoint", saved, "-out", out, img}); err != nil {
		t.Fatalf("translate with the downloaded model: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "horse_fake.png")); err != nil {
		t.Error(err)
	}
	if err := downloadModel([]string{"-url", srv.URL, "-dir", dest, "horse2zebra"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second download over the first: %v", err)
	}

	for name, want := range map[string]string{
		"zebra2horse":  "interrupted",   // truncated
		"monet2photo":  "not a PyTorch", // kept only if it is a torch.save file
		"style_monet":  "404",
		"apple2orange": "404",
	} {
		err := downloadModel([]string{"-url", srv.URL, "-dir", dest, name}, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), name+".pth") {
			t.Errorf("%s: %v; want an error saying %q", name, err, want)
		}
	}
	entries, err := os.ReadDir(dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after failed downloads the folder holds %q, want horse2zebra.pth alone", names)
	}
	// A failed download into a new folder removes it.
	if err := downloadModel([]string{"-url", srv.URL, "-dir", filepath.Join(dir, "new"), "style_monet"}, &stdout, &stderr); err == nil {
		t.Error("a 404 succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("a failed download left its folder (%v)", err)
	}
}

// TestDownloadModelUnknownName: a name the authors do not publish is a usage error listing the
// names, and nothing is fetched or created.
func TestDownloadModelUnknownName(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fetched %s for an unknown name", r.URL.Path)
	}))
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "pretrained")
	var stdout, stderr bytes.Buffer
	err := downloadModel([]string{"-url", srv.URL, "-dir", dest, "horse2unicorn"}, &stdout, &stderr)
	var usage *cli.UsageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "horse2unicorn") || !strings.Contains(err.Error(), "horse2zebra, zebra2horse") || !strings.Contains(err.Error(), "iphone2dslr_flower") {
		t.Errorf("unknown model: %v; want a usage error naming it and listing the models", err)
	}
	if err := downloadModel([]string{"-url", srv.URL, "-dir", dest}, &stdout, &stderr); !errors.As(err, &usage) {
		t.Errorf("no name: %v; want a usage error", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("a refused name created the folder (%v)", err)
	}
}
