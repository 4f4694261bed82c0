package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTranslateMaxPixels: an image over -max-pixels is refused from its header, with an error
// naming the file, its size and the flag; the same image passes when the flag allows it, and a
// flag that is not a positive count is refused.
func TestTranslateMaxPixels(t *testing.T) {
	dir := t.TempDir()
	checkpoint := tinyGenerator(t, dir)
	big := filepath.Join(dir, "big.png")
	writePNG(t, big, 40, 30, false)
	out := filepath.Join(dir, "out")
	err := runTranslate([]string{"-checkpoint", checkpoint, "-out", out, "-max-pixels", "1000", big})
	if err == nil {
		t.Fatal("a 40x30 image passed -max-pixels 1000")
	}
	for _, want := range []string{"big.png", "40x30", "-max-pixels"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := runTranslate([]string{"-checkpoint", checkpoint, "-out", out, "-max-pixels", "1200", big}); err != nil {
		t.Errorf("a 40x30 image with -max-pixels 1200: %v", err)
	}
	for _, v := range []string{"0", "-1", "NaN", "1e3"} {
		if err := runTranslate([]string{"-checkpoint", checkpoint, "-out", out, "-max-pixels", v, big}); err == nil {
			t.Errorf("-max-pixels %s was accepted", v)
		}
	}
}

// TestTranslateDefaultMaxPixels: the default bound refuses a 4000x4000 image (16 million
// pixels; 4.1 GB at ngf 8 before the bound) from a PNG of a few KB, before decoding it.
func TestTranslateDefaultMaxPixels(t *testing.T) {
	dir := t.TempDir()
	checkpoint := tinyGenerator(t, dir)
	big := filepath.Join(dir, "big.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4000, 4000))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runTranslate([]string{"-checkpoint", checkpoint, "-out", filepath.Join(dir, "out"), big})
	if err == nil || !strings.Contains(err.Error(), "4000x4000") {
		t.Fatalf("a 4000x4000 image with the default -max-pixels: %v, want an error giving its size", err)
	}
}
