package cyclegan

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/tensor"

	"github.com/zebra-go/zebra/internal/repo"
)

// epochSamples loads every sample of an epoch from start.
func epochSamples(t *testing.T, d *Dataset, epoch, start int) []Sample {
	t.Helper()
	l := d.Epoch(epoch, start)
	defer l.Close()
	var out []Sample
	for {
		s, ok, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, s)
	}
}

var cropOptions = DataOptions{LoadSize: 36, CropSize: 32, Seed: 3}

// TestColourModels feeds gray, gray+alpha, 16-bit gray, 16-bit RGBA, RGBA with transparency and
// paletted PNGs of odd sizes, and JPEG, through the pipeline: each becomes a [1, 3, 32, 32] tensor in
// [-1, 1], grayscale files with three equal channels. (CMYK JPEG decoding is tested in
// internal/imageio, whose ToRGB this pipeline calls.)
func TestColourModels(t *testing.T) {
	root := t.TempDir()
	dirA, dirB := filepath.Join(root, "A"), filepath.Join(root, "B")
	writeImages(t, dirB, 1, 33, 35, true, 5)
	if err := os.MkdirAll(dirA, 0o755); err != nil {
		t.Fatal(err)
	}
	const w, h = 45, 39
	rect := image.Rect(0, 0, w, h)
	gray, gray16 := image.NewGray(rect), image.NewGray16(rect)
	rgba64, nrgba := image.NewRGBA64(rect), image.NewNRGBA(rect)
	palette := image.NewPaletted(rect, color.Palette{color.RGBA{200, 10, 10, 255}, color.RGBA{10, 200, 10, 255}, color.RGBA{10, 10, 200, 255}})
	for y := range h {
		for x := range w {
			gray.SetGray(x, y, color.Gray{uint8(x * 5)})
			gray16.SetGray16(x, y, color.Gray16{uint16(y * 1500)})
			rgba64.SetRGBA64(x, y, color.RGBA64{uint16(x * 1400), uint16(y * 1600), 30000, 65535})
			nrgba.SetNRGBA(x, y, color.NRGBA{uint8(x * 5), 100, uint8(y * 6), uint8(x * 4)})
			palette.SetColorIndex(x, y, uint8((x+y)%3))
		}
	}
	writePNG(t, filepath.Join(dirA, "gray.png"), gray)
	writePNG(t, filepath.Join(dirA, "gray16.PNG"), gray16)
	writePNG(t, filepath.Join(dirA, "rgba64.png"), rgba64)
	writePNG(t, filepath.Join(dirA, "nrgba.png"), nrgba)
	writePNG(t, filepath.Join(dirA, "palette.png"), palette)
	f, err := os.Create(filepath.Join(dirA, "gray.JPEG"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, gray, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()

	d, err := NewDataset(dirA, dirB, cropOptions)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 6 {
		t.Fatalf("dataset of 6 A and 1 B images has %d samples", d.Len())
	}
	seen := map[string]bool{}
	for _, s := range epochSamples(t, d, 0, 0) {
		seen[filepath.Base(s.PathA)] = true
		for _, x := range []*tensor.Tensor{s.A, s.B} {
			if !slices.Equal(x.Shape(), []int{1, 3, 32, 32}) {
				t.Fatalf("%s: shape %v, want [1 3 32 32]", s.PathA, x.Shape())
			}
			for _, v := range x.Float32s() {
				if v < -1 || v > 1 {
					t.Fatalf("%s: value %g outside [-1, 1]", s.PathA, v)
				}
			}
		}
		if strings.HasPrefix(filepath.Base(s.PathA), "gray") {
			requireGray(t, s.PathA, s.A)
		}
	}
	if len(seen) != 6 {
		t.Errorf("an epoch visited the A images %v, want all 6 once", seen)
	}
}

// requireGray fails unless the three channels of x are equal.
func requireGray(t *testing.T, what string, x *tensor.Tensor) {
	t.Helper()
	v := x.Float32s()
	plane := x.Dim(2) * x.Dim(3)
	for i := range plane {
		if v[i] != v[plane+i] || v[i] != v[2*plane+i] {
			t.Fatalf("%s: pixel %d has channels %g %g %g, want three equal", what, i, v[i], v[plane+i], v[2*plane+i])
		}
	}
}

// TestEpochPlan: A is visited in shuffled order, once each per epoch when A is the larger set;
// the samples are the same for a seed whatever the number of loading goroutines; an epoch
// restarted at sample k gives the samples from k on; another epoch gives another order.
func TestEpochPlan(t *testing.T) {
	root := tinyData(t, 7, 3, 40, 36)
	load := func(workers, epoch, start int) []Sample {
		o := cropOptions
		o.Workers = workers
		d, err := NewDataset(filepath.Join(root, "trainA"), filepath.Join(root, "trainB"), o)
		if err != nil {
			t.Fatal(err)
		}
		return epochSamples(t, d, epoch, start)
	}
	one := load(1, 0, 0)
	if len(one) != 7 {
		t.Fatalf("epoch of 7 A and 3 B images has %d samples", len(one))
	}
	var order []string
	for i, s := range one {
		order = append(order, filepath.Base(s.PathA))
		if s.Index != i {
			t.Fatalf("sample %d has index %d", i, s.Index)
		}
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(order))); len(distinct) != 7 {
		t.Errorf("epoch A order %v does not visit each image once", order)
	}
	if slices.IsSorted(order) {
		t.Errorf("epoch A order %v is not shuffled", order)
	}
	requireSameSamples(t, "1 and 4 workers", one, load(4, 0, 0))
	requireSameSamples(t, "restart at sample 3", one[3:], load(2, 0, 3))
	other := load(2, 1, 0)
	same := true
	for i := range one {
		same = same && one[i].PathA == other[i].PathA && one[i].PathB == other[i].PathB
	}
	if same {
		t.Error("epochs 0 and 1 have the same sample order")
	}
}

func requireSameSamples(t *testing.T, what string, a, b []Sample) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d and %d samples", what, len(a), len(b))
	}
	for i := range a {
		if a[i].PathA != b[i].PathA || a[i].PathB != b[i].PathB || a[i].Index != b[i].Index {
			t.Fatalf("%s: sample %d is %s+%s and %s+%s", what, i, a[i].PathA, a[i].PathB, b[i].PathA, b[i].PathB)
		}
		requireBitwiseEqual(t, what+" A pixels", [][]float32{a[i].A.Float32s()}, [][]float32{b[i].A.Float32s()})
		requireBitwiseEqual(t, what+" B pixels", [][]float32{a[i].B.Float32s()}, [][]float32{b[i].B.Float32s()})
	}
}

// TestPreprocessNone keeps each image's size, rounded to a multiple of 4 as Python's round does
// (half to even): 45x39 becomes 44x40, 50x38 becomes 48x40.
func TestPreprocessNone(t *testing.T) {
	root := t.TempDir()
	writeImages(t, filepath.Join(root, "A"), 1, 45, 39, false, 1)
	writeImages(t, filepath.Join(root, "B"), 1, 50, 38, true, 1)
	d, err := NewDataset(filepath.Join(root, "A"), filepath.Join(root, "B"), DataOptions{Preprocess: PreprocessNone, NoFlip: true})
	if err != nil {
		t.Fatal(err)
	}
	s := epochSamples(t, d, 0, 0)[0]
	if !slices.Equal(s.A.Shape(), []int{1, 3, 40, 44}) || !slices.Equal(s.B.Shape(), []int{1, 3, 40, 48}) {
		t.Errorf("preprocess none: A %v, B %v; want [1 3 40 44] and [1 3 40 48]", s.A.Shape(), s.B.Shape())
	}
	for _, c := range [][2]int{{1, 4}, {2, 4}, {6, 8}, {10, 8}, {14, 16}, {256, 256}, {255, 256}} {
		if got := RoundToMultiple(c[0], 4); got != c[1] {
			t.Errorf("RoundToMultiple(%d, 4) = %d, want %d", c[0], got, c[1])
		}
	}
}

// TestBadImages: a corrupt file stops loading with an error naming it; with SkipBadImages the
// samples that use it are skipped and the file is counted once.
func TestBadImages(t *testing.T) {
	root := tinyData(t, 3, 2, 40, 36)
	dirA, dirB := filepath.Join(root, "trainA"), filepath.Join(root, "trainB")
	bad := filepath.Join(dirA, "broken.jpg")
	if err := os.WriteFile(bad, []byte("\xff\xd8\xff\xe0 this is not a JPEG"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := NewDataset(dirA, dirB, cropOptions)
	if err != nil {
		t.Fatal(err)
	}
	l := d.Epoch(0, 0)
	var loadErr error
	for loadErr == nil {
		_, ok, err := l.Next()
		if !ok && err == nil {
			break
		}
		loadErr = err
	}
	l.Close()
	if loadErr == nil || !strings.Contains(loadErr.Error(), bad) {
		t.Fatalf("loading a corrupt file gave %v, want an error naming %s", loadErr, bad)
	}

	o := cropOptions
	o.SkipBadImages = true
	d, err = NewDataset(dirA, dirB, o)
	if err != nil {
		t.Fatal(err)
	}
	for epoch := range 2 {
		samples := epochSamples(t, d, epoch, 0)
		if len(samples) != 3 {
			t.Errorf("epoch %d: %d samples, want the 3 with good files", epoch, len(samples))
		}
	}
	if d.Skipped() != 1 {
		t.Errorf("Skipped() = %d, want 1", d.Skipped())
	}
}

func TestDatasetFolderErrors(t *testing.T) {
	root := t.TempDir()
	writeImages(t, filepath.Join(root, "B"), 1, 8, 8, true, 1)
	_, err := NewDataset(filepath.Join(root, "A"), filepath.Join(root, "B"), cropOptions)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join(root, "A")) {
		t.Errorf("missing folder: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "A"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = NewDataset(filepath.Join(root, "A"), filepath.Join(root, "B"), cropOptions)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "A")) {
		t.Errorf("empty folder: %v", err)
	}
	o := DefaultOptions()
	o.DataRoot = filepath.Join(root, "nowhere")
	if _, err := o.TrainingData(false); err == nil || !strings.Contains(err.Error(), o.DataRoot) {
		t.Errorf("missing data root: %v", err)
	}
	if _, err := NewDataset(filepath.Join(root, "B"), filepath.Join(root, "B"), DataOptions{LoadSize: 10, CropSize: 20}); err == nil {
		t.Error("a crop larger than the load size is accepted")
	}
}

// TestRealGrayscaleFiles runs the single-channel JPEGs of horse2zebra's trainB through the
// official 286/256 pipeline: each gives three equal channels.
func TestRealGrayscaleFiles(t *testing.T) {
	data := sharedData(t)
	paths, err := imageio.ListImages(filepath.Join(data, "trainB"))
	if err != nil {
		t.Fatal(err)
	}
	var gray []string
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, err := image.DecodeConfig(f)
		f.Close()
		if err == nil && cfg.ColorModel == color.GrayModel {
			gray = append(gray, p)
		}
	}
	if len(gray) == 0 {
		t.Fatal("found no grayscale file in trainB; the dataset's README lists 7")
	}
	t.Logf("%d grayscale files in trainB", len(gray))
	root := t.TempDir()
	for _, dir := range []string{"A", "B"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range gray {
			if err := os.Symlink(p, filepath.Join(root, dir, filepath.Base(p))); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := NewDataset(filepath.Join(root, "A"), filepath.Join(root, "B"), DataOptions{LoadSize: 286, CropSize: 256, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range epochSamples(t, d, 0, 0) {
		if !slices.Equal(s.A.Shape(), []int{1, 3, 256, 256}) {
			t.Fatalf("%s: shape %v", s.PathA, s.A.Shape())
		}
		requireGray(t, s.PathA, s.A)
		requireGray(t, s.PathB, s.B)
	}
}

// TestLoaderStartsNothingAfterCancel: once the loader's context is cancelled, no further sample
// starts loading. (A select between a free queue slot and the cancellation picks at random, so
// without a check of the context first the producer went on about half the time.)
func TestLoaderStartsNothingAfterCancel(t *testing.T) {
	root := tinyData(t, 4, 4, 8, 8)
	d, err := NewDataset(filepath.Join(root, "trainA"), filepath.Join(root, "trainB"), DataOptions{LoadSize: 8, CropSize: 8, Workers: 2, Prefetch: 8})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		d.batches(ctx, 0, EpochBatches(d.Len(), 0, 1)).Close()
	}
	if n := d.loadsStarted.Load(); n != 0 {
		t.Errorf("%d samples started loading under a cancelled context, want 0", n)
	}
}

// sharedData returns the full horse2zebra dataset, or skips the test when it is absent.
func sharedData(t *testing.T) string {
	t.Helper()
	data, err := repo.Horse2Zebra()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	return data
}
