package main

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/imageio"
)

// writeTrainingSet writes a tiny training set under root: nA plain 32x32 PNGs in trainA and nB
// striped ones in trainB, named a0.png, a1.png, ... and b0.png, b1.png, ...
func writeTrainingSet(t *testing.T, root string, nA, nB int) {
	t.Helper()
	for i := range nA {
		writePNG(t, filepath.Join(root, "trainA", "a"+strconv.Itoa(i)+".png"), 32, 32, false)
	}
	for i := range nB {
		writePNG(t, filepath.Join(root, "trainB", "b"+strconv.Itoa(i)+".png"), 32, 32, true)
	}
}

func writePNG(t *testing.T, path string, w, h int, stripes bool) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(x * 200 / w)
			if stripes && (x+y)/4%2 == 0 {
				v = 240
			}
			img.SetRGBA(x, y, color.RGBA{v, uint8(y * 200 / h), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func csvRows(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestTrainResumeTranslate drives the commands as a user would: a tiny run stopped by
// -max-iters, its report files, a refusal to overwrite it, a resume that continues the loss log,
// and translation of an odd-sized image with the checkpoint.
func TestTrainResumeTranslate(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for i := range 3 {
		writePNG(t, filepath.Join(data, "trainA", "a"+string(rune('0'+i))+".png"), 40, 36, false)
		writePNG(t, filepath.Join(data, "trainB", "b"+string(rune('0'+i))+".PNG"), 36, 40, true)
	}
	runs := filepath.Join(dir, "runs")
	args := []string{"-dataroot", data, "-runs", runs, "-name", "tiny", "-ngf", "4", "-ndf", "4", "-blocks", "1",
		"-load-size", "34", "-crop-size", "32", "-epochs", "1", "-decay-epochs", "1", "-quiet"}
	if err := runTrain(append(args, "-max-iters", "4")); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(runs, "tiny")
	for _, f := range []string{"options.json", "loss.csv", "loss.png", "index.html", "checkpoints/latest.safetensors", "images/e001_s000003_fake_B.png"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("after training: %v", err)
		}
	}
	if rows := csvRows(t, filepath.Join(run, "loss.csv")); len(rows) != 5 || rows[0][4] != "D_A" {
		t.Fatalf("loss.csv has %d lines (header %v), want a header and 4 steps", len(rows), rows[0])
	}
	if err := runTrain(append(args, "-max-iters", "1")); err == nil || !strings.Contains(err.Error(), "-resume") {
		t.Errorf("training over an existing run: %v, want an error suggesting -resume", err)
	}
	if err := runTrain([]string{"-runs", runs, "-name", "tiny", "-dataroot", data, "-resume", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	rows := csvRows(t, filepath.Join(run, "loss.csv"))
	if len(rows) != 7 || rows[6][0] != "6" {
		t.Fatalf("after resuming to the end, loss.csv has %d lines, last %v; want 6 steps", len(rows), rows[len(rows)-1])
	}
	html, err := os.ReadFile(filepath.Join(run, "index.html"))
	if err != nil || !strings.Contains(string(html), "images/e002_s000006_rec_A.png") {
		t.Errorf("index.html lacks the second epoch's row (%v)", err)
	}

	// Translate an odd-sized image and a folder.
	odd := filepath.Join(dir, "in", "odd.png")
	writePNG(t, odd, 37, 29, false)
	out := filepath.Join(dir, "out")
	err = runTranslate([]string{"-checkpoint", filepath.Join(run, "checkpoints", "latest.safetensors"), "-direction", "BtoA", "-out", out, odd, filepath.Join(data, "trainA")})
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.LoadRGB(filepath.Join(out, "odd_fake.png"))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 37 || b.Dy() != 29 {
		t.Errorf("translated 37x29 image is %dx%d", b.Dx(), b.Dy())
	}
	for _, f := range []string{"a0_fake.png", "a2_real.png", "index.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if err := runTranslate([]string{"-checkpoint", filepath.Join(run, "nothing.safetensors"), "-out", out, odd}); err == nil {
		t.Error("translating with a missing checkpoint succeeded")
	}
}

// TestDownload fetches a dataset archive from a local server, never the network, and refuses an
// archive with an entry that escapes the target folder.
func TestDownload(t *testing.T) {
	zipOf := func(names ...string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, n := range names {
			w, err := zw.Create(n)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("not really a jpeg"))
		}
		zw.Close()
		return buf.Bytes()
	}
	archives := map[string][]byte{
		"/mini.zip":        zipOf("mini/trainA/1.jpg", "mini/trainB/2.jpg"),
		"/horse2zebra.zip": zipOf("horse2zebra/trainA/1.jpg", "../../escape.jpg"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := archives[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	dir := t.TempDir()
	dest := filepath.Join(dir, "datasets")
	if err := runDownload([]string{"-url", srv.URL, "-dir", dest, "mini"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dest, "mini", "trainB", "2.jpg")); err != nil {
		t.Error(err)
	}
	if err := runDownload([]string{"-url", srv.URL, "-dir", dest, "horse2zebra"}); err == nil {
		t.Error("an archive with ../../escape.jpg was unpacked")
	}
	if _, err := os.Stat(filepath.Join(dest, "..", "..", "escape.jpg")); err == nil {
		t.Error("a file escaped the target folder")
	}
	if err := runDownload([]string{"-url", srv.URL, "-dir", dest, "no_such_dataset"}); err == nil {
		t.Error("an unknown dataset name was accepted")
	}
}
