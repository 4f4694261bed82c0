package imageio

import (
	"errors"
	"image"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/repo"
)

// TestLoadGrayscaleTrainB loads the single-channel JPEGs of the real data set: they decode to
// *image.Gray and must become three equal channels holding the gray values.
func TestLoadGrayscaleTrainB(t *testing.T) {
	root := dataRoot(t)
	for _, name := range []string{"n02391049_226.jpg", "n02391049_2341.jpg", "n02391049_9726.jpg"} {
		path := filepath.Join(root, "trainB", name)
		img, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		gray, ok := img.(*image.Gray)
		if !ok {
			t.Fatalf("%s decoded as %T, the data set's README says it is grayscale", name, img)
		}
		rgb := ToRGB(img)
		if rgb.Rect != image.Rect(0, 0, 256, 256) {
			t.Fatalf("%s: bounds %v, want 256x256", name, rgb.Rect)
		}
		distinct := map[uint8]bool{}
		for y := 0; y < 256; y++ {
			for x := 0; x < 256; x++ {
				v := gray.GrayAt(x, y).Y
				p := rgb.Pix[rgb.PixOffset(x, y):]
				if p[0] != v || p[1] != v || p[2] != v || p[3] != 255 {
					t.Fatalf("%s (%d, %d): RGB %v from gray %d", name, x, y, p[:4], v)
				}
				distinct[v] = true
			}
		}
		if len(distinct) < 32 {
			t.Errorf("%s: only %d distinct gray levels; did it decode?", name, len(distinct))
		}
		// The rest of the pipeline takes it like any colour image.
		chw := ToCHW(ResizeBicubic(rgb, 286, 286))
		if len(chw) != 3*286*286 {
			t.Errorf("%s: ToCHW gave %d values", name, len(chw))
		}
	}
}

func TestListImagesRealData(t *testing.T) {
	root := dataRoot(t)
	paths, err := ListImages(filepath.Join(root, "testA"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 120 {
		t.Errorf("testA lists %d images, the README says 120", len(paths))
	}
}

func TestListImages(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.PNG", "a.jpg", "c.JpEg", "notes.txt", "z.gif", ".hidden.jpg", "sub/d.jpg", ".cache/e.jpg"} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range []string{"a.jpg", "b.PNG", "c.JpEg", "sub/d.jpg"} {
		want = append(want, filepath.Join(dir, name))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListImages = %q\nwant %q", got, want)
	}

	// A link to the folder lists the same files under the link's name.
	link := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(dir, link); err != nil {
		t.Skipf("skipping the symbolic link case: %v", err)
	}
	got, err = ListImages(link)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i] = filepath.Join(link, strings.TrimPrefix(want[i], dir))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListImages(link) = %q\nwant %q", got, want)
	}
}

func TestListImagesErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "trainA")
	if _, err := ListImages(missing); err == nil || !strings.Contains(err.Error(), missing) ||
		!errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: err = %v, want one naming %s and wrapping fs.ErrNotExist", err, missing)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	os.WriteFile(filepath.Join(empty, "readme.txt"), []byte("no images"), 0o644)
	if _, err := ListImages(empty); err == nil || !strings.Contains(err.Error(), empty) ||
		!strings.Contains(err.Error(), "no .jpg") {
		t.Errorf("folder without images: err = %v", err)
	}
	file := filepath.Join(dir, "file.jpg")
	os.WriteFile(file, []byte("x"), 0o644)
	if _, err := ListImages(file); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("file instead of folder: err = %v", err)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	// A real PNG cut in half: the header is fine, the data is not.
	good := filepath.Join(dir, "good.png")
	src := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 13)
	}
	if err := SavePNG(good, src); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.png")
	os.WriteFile(truncated, raw[:len(raw)/2], 0o644)
	// A JPEG whose scan data is garbage after a valid start.
	corruptJPEG := filepath.Join(dir, "corrupt.JPG")
	os.WriteFile(corruptJPEG, append([]byte{0xff, 0xd8, 0xff, 0xdb, 0x00, 0x02}, make([]byte, 100)...), 0o644)
	notImage := filepath.Join(dir, "text.jpg")
	os.WriteFile(notImage, []byte("this is not an image"), 0o644)
	empty := filepath.Join(dir, "empty.jpg")
	os.WriteFile(empty, nil, 0o644)
	folder := filepath.Join(dir, "folder.png")
	os.Mkdir(folder, 0o755)

	for _, tc := range []struct {
		path, says string
	}{
		{filepath.Join(dir, "missing.jpg"), "does not exist"},
		{empty, "is empty"},
		{truncated, "corrupt image"},
		{corruptJPEG, "corrupt image"},
		{notImage, "not a JPEG or PNG"},
		{folder, "is a folder"},
	} {
		img, err := Load(tc.path)
		if err == nil {
			t.Errorf("Load(%s) = %T, want an error", filepath.Base(tc.path), img)
			continue
		}
		if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Load(%s): error %q should name the file and say %q", filepath.Base(tc.path), err, tc.says)
		}
	}
	if _, err := Load(good); err != nil {
		t.Errorf("the intact PNG does not load: %v", err)
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("skipping: running as root, file permissions do not stop reading")
	}
	path := filepath.Join(t.TempDir(), "locked.png")
	if err := SavePNG(path, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("unreadable file: err = %v, want one naming %s", err, path)
	}
}

func TestSavePNGAtomicAndRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	img := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*31) | 0
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	if err := SavePNG(path, img); err != nil {
		t.Fatal(err)
	}
	back := mustLoadRGB(t, path)
	if maxDiff, _ := compareRGB(back, img); maxDiff != 0 {
		t.Errorf("PNG round trip changed pixels by up to %d", maxDiff)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", info.Mode().Perm())
	}

	// A failing encoder (an image with no pixels) leaves the old file and no temporary behind.
	if err := SavePNG(path, image.NewRGBA(image.Rect(0, 0, 0, 0))); err == nil {
		t.Fatal("saving an empty image did not fail")
	}
	if again := mustLoadRGB(t, path); again.Rect != img.Rect {
		t.Errorf("the old file was replaced by a failed save: bounds %v", again.Rect)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %q, want only out.png", names)
	}

	if err := SavePNG(filepath.Join(dir, "no", "such", "dir.png"), img); err == nil {
		t.Error("saving into a missing folder did not fail")
	}
}

func TestSaveJPEG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flat.jpg")
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 180, 90, 40, 255
	}
	if err := SaveJPEG(path, img, 90); err != nil {
		t.Fatal(err)
	}
	back := mustLoadRGB(t, path)
	want := color.RGBA{180, 90, 40, 255}
	if d := maxAbsDiff3(back.Pix, [3]uint8{want.R, want.G, want.B}); d > 3 {
		t.Errorf("flat colour came back as %v", back.Pix[:4])
	}
	if err := SaveJPEG(path, img, 0); err == nil {
		t.Error("quality 0 was accepted")
	}
}

func TestLoadRefusesTooManyPixels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.png")
	if err := SavePNG(path, image.NewGray(image.Rect(0, 0, 16, 16))); err != nil {
		t.Fatal(err)
	}
	defer func(old int64) { MaxPixels = old }(MaxPixels)
	MaxPixels = 255
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "16x16") || !strings.Contains(err.Error(), path) {
		t.Errorf("256 pixels with MaxPixels 255: err = %v", err)
	}
	MaxPixels = 256
	if _, err := Load(path); err != nil {
		t.Errorf("256 pixels with MaxPixels 256: %v", err)
	}
}

// dataRoot returns the full horse2zebra dataset, or skips the test when it is absent.
func dataRoot(t *testing.T) string {
	t.Helper()
	root, err := repo.Horse2Zebra()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	return root
}
