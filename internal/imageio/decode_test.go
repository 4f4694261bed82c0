package imageio

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"
)

// TestDecodeWithinMatchesLoadWithin: the bytes of a file decode to the pixels LoadWithin gives
// for the file, and the pixel bound applies to them the same way.
func TestDecodeWithinMatchesLoadWithin(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stripes.jpg")
	img := image.NewRGBA(image.Rect(0, 0, 20, 12))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	if err := SaveJPEG(path, img, 90); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadRGBWithin(path, 240)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := DecodeWithin("body", bytes.NewReader(data), 240)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ToRGB(decoded).Pix, fromFile.Pix) {
		t.Error("DecodeWithin's pixels differ from LoadRGBWithin's for the same bytes")
	}
	_, err = DecodeWithin("body", bytes.NewReader(data), 239)
	var large *TooLargeError
	if !errors.As(err, &large) || large.Width != 20 || large.Height != 12 || large.Path != "body" {
		t.Errorf("240 pixels with a bound of 239: err = %v, want a TooLargeError for body, 20x12", err)
	}
	if _, err := DecodeWithin("body", bytes.NewReader([]byte("not an image")), 240); err == nil {
		t.Error("DecodeWithin decoded text")
	}
}
