package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/metrics"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/models/inception"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// pixelFeatures is a cheap stand-in for the Inception network: eight numbers of an image's
// pixels (the mean of each channel, the mean luminance of each quadrant, the luminance's
// spread), enough for FID and KID to tell sets apart. It records the batch sizes it was given.
type pixelFeatures struct{ batches []int }

func (p *pixelFeatures) Features(batch []image.Image) ([][]float64, error) {
	p.batches = append(p.batches, len(batch))
	out := make([][]float64, len(batch))
	for i, img := range batch {
		rgba := imageio.ToRGB(img)
		b := rgba.Bounds()
		f := make([]float64, 8)
		var sum, sumSq float64
		n := float64(b.Dx() * b.Dy())
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := rgba.RGBAAt(x, y)
				l := (float64(c.R) + float64(c.G) + float64(c.B)) / 765
				f[0] += float64(c.R) / 255 / n
				f[1] += float64(c.G) / 255 / n
				f[2] += float64(c.B) / 255 / n
				q := 3
				if 2*(x-b.Min.X) >= b.Dx() {
					q++
				}
				if 2*(y-b.Min.Y) >= b.Dy() {
					q += 2
				}
				f[q] += 4 * l / n
				sum += l
				sumSq += l * l
			}
		}
		f[7] = math.Sqrt(max(0, sumSq/n-(sum/n)*(sum/n)))
		out[i] = f
	}
	return out, nil
}

// fakeOpener opens a pixelFeatures for any weights file, keeping it for the test to look at.
func fakeOpener(fx *pixelFeatures) openExtractor {
	return func(string, tensor.Backend) (featureExtractor, error) { return fx, nil }
}

// writeNoisePNG writes a w×h image of seeded noise over a colour gradient; seeds give different
// images.
func writeNoisePNG(t *testing.T, path string, w, h int, seed uint64) {
	t.Helper()
	rng := tensor.NewRNG(seed)
	noise := tensor.Uniform(rng, tensor.Float32, 0, 80, 3, h, w).Float32s()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := y*w + x
			img.SetRGBA(x, y, color.RGBA{uint8(x*150/w) + uint8(noise[i]), uint8(y*150/h) + uint8(noise[w*h+i]), uint8(seed*37%120) + uint8(noise[2*w*h+i]), 255})
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := imageio.SavePNG(path, img); err != nil {
		t.Fatal(err)
	}
}

// writeWeightsFile writes a stand-in weights file (eval hashes it; the fake extractor ignores it)
// and returns its path and SHA-256.
func writeWeightsFile(t *testing.T, dir string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, "weights.pth")
	data := []byte("stand-in weights")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return path, hex.EncodeToString(sum[:])
}

// featuresOfFolder is what eval should compute for a folder: the extractor's features of its
// images, read as translate reads them.
func featuresOfFolder(t *testing.T, fx featureExtractor, dir string, translate *cyclegan.ResnetGenerator) [][]float64 {
	t.Helper()
	paths, err := imageio.ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	var images []image.Image
	for _, p := range paths {
		img, err := imageio.LoadRGB(p)
		if err != nil {
			t.Fatal(err)
		}
		if translate != nil {
			img = cyclegan.Translate(translate, img)
		}
		images = append(images, img)
	}
	f, err := fx.Features(images)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var fidLine = regexp.MustCompile(`(?m)^FID (\S+)\nKID (\S+) ± (\S+)$`)

// parseScores reads the FID and KID lines of eval's output.
func parseScores(t *testing.T, stdout string) scores {
	t.Helper()
	m := fidLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no FID and KID lines in\n%s", stdout)
	}
	var s scores
	for i, p := range []*float64{&s.FID, &s.KIDMean, &s.KIDStd} {
		v, err := strconv.ParseFloat(m[1+i], 64)
		if err != nil {
			t.Fatal(err)
		}
		*p = v
	}
	return s
}

// TestEvalFolders: eval of two folders prints the protocol and the FID and KID that package
// metrics gives for the extractor's features of the two folders, batched as -batch says, and
// -json holds the same values (exactly) and the protocol; a folder against itself scores 0.
func TestEvalFolders(t *testing.T) {
	dir := t.TempDir()
	real, fake := filepath.Join(dir, "real"), filepath.Join(dir, "fake")
	for i := range 5 {
		writeNoisePNG(t, filepath.Join(real, "r"+strconv.Itoa(i)+".png"), 24, 20, uint64(i))
	}
	for i := range 4 {
		writeNoisePNG(t, filepath.Join(fake, "f"+strconv.Itoa(i)+".png"), 20, 24, uint64(100+i))
	}
	weights, digest := writeWeightsFile(t, dir)
	jsonPath := filepath.Join(dir, "fid.json")
	fx := &pixelFeatures{}
	var stdout, stderr bytes.Buffer
	err := evalCommand([]string{"-inception", weights, "-real", real, "-fake", fake, "-batch", "2", "-kid-subsets", "10", "-json", jsonPath},
		&stdout, &stderr, fakeOpener(fx))
	if err != nil {
		t.Fatal(err)
	}
	got := parseScores(t, stdout.String())

	ref := &pixelFeatures{}
	realF, fakeF := featuresOfFolder(t, ref, real, nil), featuresOfFolder(t, ref, fake, nil)
	fid, err := metrics.FID(realF, fakeF)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := metrics.KID(realF, fakeF, metrics.KIDOptions{Subsets: 10, SubsetSize: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.FID-fid) > 1e-4*math.Max(1, fid) || math.Abs(got.KIDMean-kid.Mean) > 1e-6 || math.Abs(got.KIDStd-kid.Std) > 1e-6 || fid <= 0 {
		t.Errorf("printed FID %g, KID %g ± %g; metrics gives %g, %g ± %g", got.FID, got.KIDMean, got.KIDStd, fid, kid.Mean, kid.Std)
	}
	if want := []int{2, 2, 1, 2, 2}; !equalInts(fx.batches, want) {
		t.Errorf("batches %v, want %v (5 real images, then 4 fake, 2 at a time)", fx.batches, want)
	}
	out := stdout.String()
	for _, want := range []string{
		"sha256      " + digest + " (not pytorch-fid's",
		"resize      bilinear to 299x299",
		"real        " + real + ": 5 images, the reference set",
		"fake        " + fake + ": 4 images",
		"KID         10 subsets of 4 images per set, seed 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "images/s") {
		t.Errorf("no progress with images/s on stderr: %q", stderr.String())
	}

	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res evalResult
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.FID-fid) > 1e-9*math.Max(1, fid) || math.Abs(res.KIDMean-kid.Mean) > 1e-12 || res.Protocol.Inception.SHA256 != digest ||
		res.Protocol.Real.Images != 5 || res.Protocol.Fake.Images != 4 || res.Protocol.KID != (kidProtocol{Subsets: 10, SubsetSize: 4, Seed: 1}) ||
		!strings.Contains(res.Protocol.Resize, "299") || res.Protocol.Device != "cpu" || res.Protocol.Generator != nil {
		t.Errorf("-json wrote %s", data)
	}

	stdout.Reset()
	if err := evalCommand([]string{"-inception", weights, "-real", real, "-fake", real}, &stdout, &stderr, fakeOpener(&pixelFeatures{})); err != nil {
		t.Fatal(err)
	}
	if s := parseScores(t, stdout.String()); math.Abs(s.FID) > 1e-6 || !strings.Contains(stdout.String(), "KID         100 subsets of 5 images per set, seed 1") {
		t.Errorf("a folder against itself: FID %g, want 0\n%s", s.FID, stdout.String())
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEvalErrors: usage errors exit 2; a missing folder, a folder of one image (FID undefined),
// a missing weights file and files that are not the Inception weights are clear errors, found
// before any image is measured.
func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	real, one := filepath.Join(dir, "real"), filepath.Join(dir, "one")
	for i := range 3 {
		writeNoisePNG(t, filepath.Join(real, strconv.Itoa(i)+".png"), 12, 12, uint64(i))
	}
	writeNoisePNG(t, filepath.Join(one, "only.png"), 12, 12, 9)
	weights, _ := writeWeightsFile(t, dir)
	fx := &pixelFeatures{}
	run := func(open openExtractor, args ...string) error {
		var stdout, stderr bytes.Buffer
		return evalCommand(args, &stdout, &stderr, open)
	}
	for _, args := range [][]string{
		{"-real", real, "-fake", real},
		{"-inception", weights, "-real", real},
		{"-inception", weights, "-checkpoint", "x.safetensors"},
		{"-inception", weights, "-checkpoint", "x.safetensors", "-dataroot", dir, "-real", real},
		{"-inception", weights, "-real", real, "-fake", real, "-out", dir},
		{"-inception", weights, "-real", real, "-fake", real, "-batch", "0"},
		{"-inception", weights, "-real", real, "-fake", real, "-kid-subset-size", "4"},
		{"-inception", weights, "-checkpoint", "x", "-dataroot", dir, "-direction", "sideways"},
		{"-inception", weights, "-real", real, "-fake", real, "extra"},
	} {
		var usage *cli.UsageError
		if err := run(fakeOpener(fx), args...); !errors.As(err, &usage) {
			t.Errorf("%q: %v, want a usage error (exit status 2)", args, err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-inception", weights, "-real", filepath.Join(dir, "nothing"), "-fake", real}, "nothing: the folder does not exist"},
		{[]string{"-inception", weights, "-real", real, "-fake", one}, "holds 1 images: FID is undefined for fewer than 2"},
		{[]string{"-inception", weights, "-checkpoint", "x.safetensors", "-dataroot", dir}, "testA: the folder does not exist"},
		{[]string{"-inception", filepath.Join(dir, "none.pth"), "-real", real, "-fake", real}, "download-model fid-inception"},
	} {
		if err := run(fakeOpener(fx), c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error saying %q", c.args, err, c.want)
		}
	}
	if len(fx.batches) != 0 {
		t.Errorf("images were measured (%v) before an error was found", fx.batches)
	}

	// The real loader: a file that is no weights file, and a safetensors file of other tensors.
	other := filepath.Join(dir, "other.safetensors")
	if err := safetensors.WriteFile(other, []safetensors.Tensor{safetensors.FromFloat32("conv.weight", []int{2}, []float32{1, 2})}, nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		weights: "neither a PyTorch .pth file nor a safetensors file",
		other:   "not the FID Inception weights",
	} {
		err := run(openInception, "-inception", path, "-real", real, "-fake", real)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "download-model fid-inception") {
			t.Errorf("-inception %s: %v, want an error saying %q and where to get the weights", filepath.Base(path), err, want)
		}
	}
}

// tinyTrainer returns an untrained CycleGAN small enough to translate in milliseconds.
func tinyTrainer(t *testing.T, dataroot string) *cyclegan.Trainer {
	t.Helper()
	o := cyclegan.DefaultOptions()
	o.DataRoot, o.Name = dataroot, "tiny"
	o.NGF, o.NDF, o.Blocks, o.DLayers = 2, 2, 1, 1
	o.LoadSize, o.CropSize = 18, 16
	o.Epochs, o.DecayEpochs = 2, 1
	tr, err := cyclegan.NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// writeDataset writes trainA/B and testA/B of a few noise images each.
func writeDataset(t *testing.T, root string, testA, testB int) {
	t.Helper()
	for i := range 2 {
		writeNoisePNG(t, filepath.Join(root, "trainA", "a"+strconv.Itoa(i)+".png"), 20, 18, uint64(10+i))
		writeNoisePNG(t, filepath.Join(root, "trainB", "b"+strconv.Itoa(i)+".png"), 18, 20, uint64(20+i))
	}
	for i := range testA {
		writeNoisePNG(t, filepath.Join(root, "testA", "ta"+strconv.Itoa(i)+".png"), 16, 12, uint64(30+i))
	}
	for i := range testB {
		writeNoisePNG(t, filepath.Join(root, "testB", "tb"+strconv.Itoa(i)+".png"), 12, 16, uint64(40+i))
	}
}

// TestEvalCheckpoint: with -checkpoint, eval translates testA through G_A (testB through G_B for
// BtoA) as translate does and measures it against the other domain's test images; it names the
// checkpoint, its epoch and steps, writes nothing without -out, and with -out what translate
// -out writes.
func TestEvalCheckpoint(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeDataset(t, data, 3, 4)
	tr := tinyTrainer(t, data)
	ck := filepath.Join(dir, "ck.safetensors")
	if err := tr.Save(ck); err != nil {
		t.Fatal(err)
	}
	weights, _ := writeWeightsFile(t, dir)
	before, _ := os.ReadDir(dir)
	for _, c := range []struct {
		direction        string
		source, referent string
		g                *cyclegan.ResnetGenerator
	}{
		{"AtoB", "testA", "testB", tr.GA},
		{"btoa", "testB", "testA", tr.GB},
	} {
		var stdout, stderr bytes.Buffer
		if err := evalCommand([]string{"-inception", weights, "-checkpoint", ck, "-dataroot", data, "-direction", c.direction, "-kid-subsets", "0"},
			&stdout, &stderr, fakeOpener(&pixelFeatures{})); err != nil {
			t.Fatal(err)
		}
		got := parseScores(t, stdout.String())
		ref := &pixelFeatures{}
		real := featuresOfFolder(t, ref, filepath.Join(data, c.referent), nil)
		fake := featuresOfFolder(t, ref, filepath.Join(data, c.source), c.g)
		fid, err := metrics.FID(real, fake)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.FID-fid) > 1e-4*math.Max(1, fid) {
			t.Errorf("%s: FID %g, want %g from the generator's translations of %s against %s", c.direction, got.FID, fid, c.source, c.referent)
		}
		for _, want := range []string{
			"real        " + filepath.Join(data, c.referent) + ":",
			"fake        " + filepath.Join(data, c.source) + ":",
			"checkpoint  " + ck + ", ",
			"saved after epoch 0 (0 steps)",
			"KID         once, on the full sets",
		} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("%s: stdout lacks %q:\n%s", c.direction, want, stdout.String())
			}
		}
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("eval without -out wrote files: %d entries before, %d after", len(before), len(after))
	}

	out := filepath.Join(dir, "translated")
	var stdout, stderr bytes.Buffer
	if err := evalCommand([]string{"-inception", weights, "-checkpoint", ck, "-dataroot", data, "-out", out}, &stdout, &stderr, fakeOpener(&pixelFeatures{})); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ta0_real.png", "ta2_fake.png", "index.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestTrainEvalEvery trains a tiny run with -eval-every 1 and the stand-in extractor through the
// reporter, as train does: metrics.csv has a row per epoch, metrics.png and the page show them,
// best.safetensors holds the generators of the lowest FID A→B, and eval of best.safetensors
// prints exactly that FID. A resumed run drops the rows, and the best checkpoint, of the epochs
// after its checkpoint.
func TestTrainEvalEvery(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeDataset(t, data, 3, 2)
	weights, _ := writeWeightsFile(t, dir)
	runDir := filepath.Join(dir, "runs", "tiny")
	if err := os.MkdirAll(filepath.Join(runDir, "checkpoints"), 0o755); err != nil {
		t.Fatal(err)
	}
	tr := tinyTrainer(t, data)
	set, err := tr.Opts.TrainingData(false)
	if err != nil {
		t.Fatal(err)
	}
	log, err := openLossLog(runDir, 0, set.Len())
	if err != nil {
		t.Fatal(err)
	}
	defer log.close()
	tf := trainFlags{evalEvery: 2, inception: weights, quiet: true, sampleEvery: 0, epochSave: "generators"}
	var out bytes.Buffer
	rep := &reporter{tr: tr, runDir: runDir, log: log, tf: tf, epochLen: set.Len(), out: &out}
	if rep.eval, err = newTrainEval(tf, tr, runDir, &out, fakeOpener(&pixelFeatures{})); err != nil {
		t.Fatal(err)
	}
	if err := tr.Train(context.Background(), set, 0, rep.event); err != nil {
		t.Fatal(err)
	}

	rows := csvRows(t, filepath.Join(runDir, "metrics.csv"))
	// -eval-every 2 over 3 epochs: epoch 2, and the last.
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(metricsHeader, ",") || rows[1][0] != "2" || rows[2][0] != "3" {
		t.Fatalf("metrics.csv is %q, want the header and epochs 2 and 3", rows)
	}
	best := 1
	if fid2, fid3 := mustFloat(t, rows[1][2]), mustFloat(t, rows[2][2]); fid3 < fid2 {
		best = 2
	}
	bestPath := filepath.Join(runDir, "checkpoints", "best.safetensors")
	meta, err := safetensors.ReadMetadata(bestPath)
	if err != nil {
		t.Fatal(err)
	}
	if meta["epoch"] != rows[best][0] || meta["contents"] != "generators" || !strings.Contains(meta[selectionKey], "best by FID A→B") {
		t.Errorf("best.safetensors: epoch %s, contents %s, selection %q; want epoch %s, generators, best by FID A→B", meta["epoch"], meta["contents"], meta[selectionKey], rows[best][0])
	}
	for _, f := range []string{"metrics.png", "loss.png"} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Error(err)
		}
	}
	html, err := os.ReadFile(filepath.Join(runDir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<img src="metrics.png"`, "papers report the best checkpoint&#39;s FID, not the last one&#39;s", "<b>Best:</b> epoch " + rows[best][0], "<b>Last:</b> epoch 3"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if !strings.Contains(out.String(), "epoch 3 test set: FID A→B") {
		t.Errorf("no evaluation line on the output: %q", out.String())
	}

	// eval of best.safetensors measures what metrics.csv says, to the last digit.
	var stdout, stderr bytes.Buffer
	jsonPath := filepath.Join(dir, "best.json")
	if err := evalCommand([]string{"-inception", weights, "-checkpoint", bestPath, "-dataroot", data, "-json", jsonPath}, &stdout, &stderr, fakeOpener(&pixelFeatures{})); err != nil {
		t.Fatal(err)
	}
	var res evalResult
	if data, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(data, &res) != nil {
		t.Fatalf("reading -json: %v", err)
	}
	if want := mustFloat(t, rows[best][2]); res.FID != want || res.KIDMean != mustFloat(t, rows[best][3]) {
		t.Errorf("eval of best.safetensors: FID %v, KID %v; metrics.csv says %v, %s", res.FID, res.KIDMean, want, rows[best][3])
	}
	if res.Protocol.Generator == nil || !strings.Contains(res.Protocol.Generator.Selection, "best by FID A→B") || !strings.Contains(stdout.String(), "best by FID A→B") {
		t.Errorf("eval does not state the selection rule of best.safetensors:\n%s", stdout.String())
	}

	// Resuming from the checkpoint of epoch 2 drops the row of epoch 3, and a best checkpoint
	// of epoch 3 with it.
	tr.Epoch = 2
	if _, err := newTrainEval(tf, tr, runDir, &out, fakeOpener(&pixelFeatures{})); err != nil {
		t.Fatal(err)
	}
	if rows := csvRows(t, filepath.Join(runDir, "metrics.csv")); len(rows) != 2 || rows[1][0] != "2" {
		t.Errorf("after resuming at epoch 2, metrics.csv is %q", rows)
	}
	if _, err := os.Stat(bestPath); (best == 2) != errors.Is(err, os.ErrNotExist) {
		t.Errorf("best checkpoint of epoch %d after resuming at epoch 2: %v", best+1, err)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestTrainEvalFlags: -eval-every needs -inception and -inception needs -eval-every (usage
// errors); a missing weights file or test folder stops the run before its first step.
func TestTrainEvalFlags(t *testing.T) {
	dir := t.TempDir()
	data, untested := filepath.Join(dir, "data"), filepath.Join(dir, "untested")
	writeDataset(t, data, 2, 2)
	writeDataset(t, untested, 0, 0)
	weights, _ := writeWeightsFile(t, dir)
	args := []string{"-runs", filepath.Join(dir, "runs"), "-ngf", "2", "-ndf", "2", "-blocks", "0", "-d-layers", "1",
		"-load-size", "18", "-crop-size", "16", "-epochs", "1", "-decay-epochs", "0", "-quiet"}
	for _, extra := range [][]string{{"-eval-every", "1"}, {"-inception", weights}, {"-eval-every", "-1", "-inception", weights}} {
		var usage *cli.UsageError
		if err := runTrain(append(append([]string{"-dataroot", data}, args...), extra...)); !errors.As(err, &usage) {
			t.Errorf("%q: %v, want a usage error", extra, err)
		}
	}
	for _, c := range []struct {
		name, dataroot, inception, want string
	}{
		{"noweights", data, filepath.Join(dir, "none.pth"), "download-model fid-inception"},
		{"notest", untested, weights, "testA: the folder does not exist"},
	} {
		err := runTrain(append(append([]string{"-dataroot", c.dataroot}, args...), "-name", c.name, "-eval-every", "1", "-inception", c.inception))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "runs", c.name, "checkpoints", "latest.safetensors")); err == nil {
			t.Errorf("%s: a checkpoint was saved", c.name)
		}
	}
}

// TestDownloadModelFIDInception: download-model knows fid-inception, asks for pytorch-fid's file
// name, and refuses a file that is not pytorch-fid's (by its SHA-256).
func TestDownloadModelFIDInception(t *testing.T) {
	pth, err := os.ReadFile(filepath.Join("..", "..", "internal", "torchfile", "testdata", "generator_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		w.Write(pth)
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	err = downloadModel([]string{"-url", srv.URL, "-dir", filepath.Join(t.TempDir(), "pretrained"), "fid-inception"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "not pytorch-fid's weights") {
		t.Errorf("a file of another SHA-256: %v", err)
	}
	if len(asked) != 1 || asked[0] != "/pt_inception-2015-12-05-6726825d.pth" {
		t.Errorf("asked for %q, want /pt_inception-2015-12-05-6726825d.pth", asked)
	}
}

// TestInceptionExtractor runs the real network once, under deterministic weights written to a
// safetensors file: eval of two folders through openInception prints finite values, and the
// device path (one tensor per batch through inception.FeaturesOf), run on the CPU, gives
// inception.Features' features. The network takes about a third of a second per image.
func TestInceptionExtractor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the 299x299 Inception network on 8 images")
	}
	dir := t.TempDir()
	net := inception.New()
	var tensors []safetensors.Tensor
	rng := tensor.NewRNG(5)
	add := func(name string, shape []int) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		data := make([]float32, n)
		switch {
		case len(shape) == 4: // a convolution: He's uniform bound keeps the activations' scale
			bound := math.Sqrt(6 / float64(shape[1]*shape[2]*shape[3]))
			data = tensor.Uniform(rng, tensor.Float32, -bound, bound, shape...).Float32s()
		case strings.HasSuffix(name, "running_var") || strings.HasSuffix(name, "bn.weight"):
			for i := range data {
				data[i] = 1
			}
		}
		tensors = append(tensors, safetensors.FromFloat32(name, shape, data))
	}
	for _, p := range net.NamedParameters() {
		if !strings.HasPrefix(p.Name, "fc.") {
			add(p.Name, p.Param.Value.Shape())
		}
	}
	for _, b := range nn.Buffers(net) {
		if !strings.HasSuffix(b.Name, "num_batches_tracked") {
			add(b.Name, b.Value.Shape())
		}
	}
	weights := filepath.Join(dir, "inception.safetensors")
	if err := safetensors.WriteFile(weights, tensors, nil); err != nil {
		t.Fatal(err)
	}
	real, fake := filepath.Join(dir, "real"), filepath.Join(dir, "fake")
	for i := range 2 {
		writeNoisePNG(t, filepath.Join(real, strconv.Itoa(i)+".png"), 20, 16, uint64(i))
		writeNoisePNG(t, filepath.Join(fake, strconv.Itoa(i)+".png"), 16, 20, uint64(50+i))
	}
	var stdout, stderr bytes.Buffer
	if err := evalCommand([]string{"-inception", weights, "-real", real, "-fake", fake, "-batch", "2"}, &stdout, &stderr, openInception); err != nil {
		t.Fatal(err)
	}
	t.Logf("eval with the real network under test weights:\n%s", stdout.String())
	if s := parseScores(t, stdout.String()); math.IsNaN(s.FID) || math.IsInf(s.FID, 0) || s.FID <= 0 || math.IsNaN(s.KIDMean) {
		t.Errorf("FID %g, KID %g ± %g with the real network", s.FID, s.KIDMean, s.KIDStd)
	}

	fx, err := openInception(weights, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	var images []image.Image
	for _, p := range []string{filepath.Join(real, "0.png"), filepath.Join(real, "1.png"), filepath.Join(fake, "0.png")} {
		img, err := imageio.LoadRGB(p)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, img)
	}
	want, err := fx.Features(images)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fx.(*inceptionExtractor).featuresOnDevice(images) // two sizes: two tensors
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for j := range want[i] {
			if math.Abs(got[i][j]-want[i][j]) > 1e-5*(1+math.Abs(want[i][j])) {
				t.Fatalf("image %d feature %d: %g through FeaturesOf, %g through Features", i, j, got[i][j], want[i][j])
			}
		}
	}
}
