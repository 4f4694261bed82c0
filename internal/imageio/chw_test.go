package imageio

import (
	"encoding/binary"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func readFloat32s(t *testing.T, path string) []float32 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)%4 != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of float32", path, len(raw))
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// TestToCHWMatchesTorch checks every byte value against torch's ToTensor + Normalize(0.5, 0.5),
// bit for bit (testdata/totensor.f32, written by scripts/golden/pixel_golden.py).
func TestToCHWMatchesTorch(t *testing.T) {
	want := readFloat32s(t, filepath.Join("testdata", "totensor.f32"))
	if len(want) != 256 {
		t.Fatalf("totensor.f32 holds %d values, want 256", len(want))
	}
	// A 256x1 image with R = v, G = 255 - v, B = v/2 also checks the channel order and layout.
	img := image.NewRGBA(image.Rect(0, 0, 256, 1))
	for v := 0; v < 256; v++ {
		img.Pix[4*v+0], img.Pix[4*v+1], img.Pix[4*v+2], img.Pix[4*v+3] = uint8(v), uint8(255-v), uint8(v/2), 255
	}
	got := ToCHW(img)
	if len(got) != 3*256 {
		t.Fatalf("ToCHW returned %d values, want %d", len(got), 3*256)
	}
	for v := 0; v < 256; v++ {
		for c, src := range []int{v, 255 - v, v / 2} {
			if g := got[c*256+v]; math.Float32bits(g) != math.Float32bits(want[src]) {
				t.Errorf("channel %d, byte %d: got %.9g, torch %.9g", c, src, g, want[src])
			}
		}
	}
	if got[0] != -1 || got[255] != 1 {
		t.Errorf("byte 0 -> %v and 255 -> %v, want -1 and 1", got[0], got[255])
	}
}

// TestFromCHWMatchesTensor2im checks the official tensor2im's bytes for thousands of values,
// including those just beside the points where the result crosses an integer.
func TestFromCHWMatchesTensor2im(t *testing.T) {
	in := readFloat32s(t, filepath.Join("testdata", "tensor2im_in.f32"))
	want, err := os.ReadFile(filepath.Join("testdata", "tensor2im_out.u8"))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != len(in) {
		t.Fatalf("%d inputs but %d outputs in testdata", len(in), len(want))
	}
	// One channel of width len(in): C = 1 is tiled into R, G, B.
	img := FromCHW(in, 1, 1, len(in))
	bad := 0
	for i, w := range want {
		p := img.Pix[4*i:]
		if p[0] != w || p[1] != w || p[2] != w || p[3] != 255 {
			if bad++; bad <= 10 {
				t.Errorf("x = %.9g: got %v, tensor2im %d", in[i], p[:4], w)
			}
		}
	}
	if bad > 10 {
		t.Errorf("... %d mismatches in all", bad)
	}
}

func TestFromCHWLayoutAndClamp(t *testing.T) {
	// Shape (3, 1, 2): R = [-1, 1], G = [5, -5] (clamped), B = [NaN, 0].
	data := []float32{-1, 1, 5, -5, float32(math.NaN()), 0}
	img := FromCHW(data, 3, 1, 2)
	want := []uint8{0, 255, 0, 255, 255, 0, 127, 255}
	for i, w := range want {
		if img.Pix[i] != w {
			t.Fatalf("pixels %v, want %v", img.Pix, want)
		}
	}
}

// TestToCHWFromCHWRoundTrip pins down the official pipeline's behaviour: a byte that goes to
// [-1, 1] and back through tensor2im's truncating cast comes back as itself or one less.
func TestToCHWFromCHWRoundTrip(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 256, 1))
	for v := 0; v < 256; v++ {
		img.Pix[4*v+0], img.Pix[4*v+1], img.Pix[4*v+2], img.Pix[4*v+3] = uint8(v), uint8(v), uint8(v), 255
	}
	back := FromCHW(ToCHW(img), 3, 1, 256)
	lost := 0
	for v := 0; v < 256; v++ {
		got := int(back.Pix[4*v])
		if got != v && got != v-1 {
			t.Errorf("byte %d came back as %d", v, got)
		}
		if got != v {
			lost++
		}
	}
	t.Logf("%d of 256 bytes come back one lower, as with the official tensor2im", lost)
}

func TestFromCHWPanicsOnBadShape(t *testing.T) {
	for _, tc := range []struct {
		n, c, h, w int
	}{{6, 2, 1, 3}, {5, 3, 1, 2}, {12, 3, 2, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FromCHW(%d values, %d, %d, %d) did not panic", tc.n, tc.c, tc.h, tc.w)
				}
			}()
			FromCHW(make([]float32, tc.n), tc.c, tc.h, tc.w)
		}()
	}
}
