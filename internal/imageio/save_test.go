package imageio

import (
	"encoding/binary"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

// brokenImage panics when its pixels are read, as an image backed by a buggy decoder or a
// released buffer would.
type brokenImage struct{ image.Rectangle }

func (b brokenImage) ColorModel() color.Model { return color.RGBAModel }
func (b brokenImage) Bounds() image.Rectangle { return b.Rectangle }
func (b brokenImage) At(x, y int) color.Color { panic("broken pixels") }

// TestSaveThatPanicsLeavesNoTemporaryFile: a panic inside the encoder propagates, and neither the
// old file nor a temporary one is left changed or behind.
func TestSaveThatPanicsLeavesNoTemporaryFile(t *testing.T) {
	for name, save := range map[string]func(path string, img image.Image) error{
		"png":  SavePNG,
		"jpeg": func(path string, img image.Image) error { return SaveJPEG(path, img, 90) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			func() {
				defer func() {
					if r := recover(); r != "broken pixels" {
						t.Errorf("the encoder's panic came back as %v", r)
					}
				}()
				save(path, brokenImage{image.Rect(0, 0, 4, 4)})
			}()
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("folder holds %q after a panicking save, want only out", names)
			}
			if old, _ := os.ReadFile(path); string(old) != "old" {
				t.Errorf("the old file now holds %q", old)
			}
		})
	}
}

// TestSavePNGCompressesFast: SavePNG deflates at the fastest level, which the zlib header of the
// first IDAT chunk records in its FLEVEL bits (RFC 1950: 0 is the fastest, 2 Go's default).
func TestSavePNGCompressesFast(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 31)
	}
	path := filepath.Join(t.TempDir(), "fast.png")
	if err := SavePNG(path, img); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// After the 8-byte signature, chunks are length (4), type (4), data, CRC (4).
	for rest := data[8:]; len(rest) >= 12; {
		n := int(binary.BigEndian.Uint32(rest))
		kind, body := string(rest[4:8]), rest[8:]
		if kind != "IDAT" {
			rest = body[n+4:]
			continue
		}
		if n < 2 {
			t.Fatalf("IDAT chunk of %d bytes has no zlib header", n)
		}
		if level := body[1] >> 6; level != 0 {
			t.Errorf("zlib FLEVEL %d, want 0 (fastest)", level)
		}
		return
	}
	t.Fatal("no IDAT chunk")
}
