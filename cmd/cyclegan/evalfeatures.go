package main

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"time"

	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/internal/torchfile"
	"github.com/zebra-go/zebra/metrics"
	"github.com/zebra-go/zebra/models/inception"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// What eval and train -eval-every share: the network that turns images into FID features, the
// loop that feeds it a set of images in batches with a progress line, and the FID and KID of two
// sets of features under a protocol that the output states.

// featureExtractor turns images into FID features, one row per image. The real one is
// pytorch-fid's Inception-v3 (openInception); tests pass a cheap stand-in, since the network
// takes about a third of a second per image on two cores.
type featureExtractor interface {
	Features(batch []image.Image) ([][]float64, error)
}

// openExtractor opens the feature extractor of a weights file on a backend; eval and the
// training hook take one, so that tests can inject a fake.
type openExtractor func(path string, b tensor.Backend) (featureExtractor, error)

// pytorchFIDDigest begins the SHA-256 of pytorch-fid's pt_inception-2015-12-05-6726825d.pth (its
// name carries it, for torch.hub's check_hash). A file of another digest still runs, with a
// warning: its FID cannot be compared with published ones.
const pytorchFIDDigest = "6726825d"

// resizeProtocol is how every image reaches the network, as pytorch-fid feeds it.
const resizeProtocol = "bilinear to 299x299 (align_corners=False, as pytorch-fid), RGB in [0, 1] mapped to [-1, 1]"

// weightsInfo names the weights file that a protocol used.
type weightsInfo struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// readWeightsInfo hashes the weights file at path.
func readWeightsInfo(path string) (weightsInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return weightsInfo{}, fmt.Errorf("-inception %s does not exist; cyclegan download-model %s fetches pytorch-fid's weights", path, "fid-inception")
		}
		return weightsInfo{}, fmt.Errorf("-inception: %w", err)
	}
	defer f.Close()
	digest, err := readerSHA256(f)
	if err != nil {
		return weightsInfo{}, fmt.Errorf("-inception %s: %w", path, err)
	}
	return weightsInfo{Path: path, SHA256: digest}, nil
}

// inceptionExtractor is pytorch-fid's network on a backend. On the CPU it is inception.Features;
// elsewhere the network's parameters are moved to the device (its BatchNorm statistics follow the
// input by themselves) and each batch of images of one size goes there as one tensor, through
// inception.FeaturesOf, which resizes it on the device.
type inceptionExtractor struct {
	net     *inception.Net
	backend tensor.Backend
}

// openInception loads the FID Inception weights: pytorch-fid's .pth, or a safetensors file under
// the same keys (tests write one). The error of a file that is neither, or of another network,
// says where to get the right one.
func openInception(path string, b tensor.Backend) (featureExtractor, error) {
	net, err := loadInception(path)
	if err != nil {
		return nil, fmt.Errorf("-inception %s: %w (cyclegan download-model fid-inception fetches pytorch-fid's weights)", path, err)
	}
	if b != tensor.CPU {
		nn.To(net, b)
	}
	return &inceptionExtractor{net: net, backend: b}, nil
}

func loadInception(path string) (*inception.Net, error) {
	head := make([]byte, torchfile.SniffLen)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	if torchfile.IsTorchFile(head[:n]) {
		w, err := torchfile.ReadFile(path)
		if err != nil {
			return nil, err
		}
		net := inception.New()
		return net, inception.LoadWeights(net, w)
	}
	w, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("neither a PyTorch .pth file nor a safetensors file: %w", err)
	}
	net := inception.New()
	return net, inception.LoadWeights(net, w)
}

func (x *inceptionExtractor) Features(batch []image.Image) ([][]float64, error) {
	if x.backend == tensor.CPU {
		return inception.Features(x.net, batch, inception.Options{BatchSize: len(batch)})
	}
	return x.featuresOnDevice(batch)
}

// featuresOnDevice is Features for a network off the CPU (tests run it on the CPU, to compare it
// with inception.Features).
func (x *inceptionExtractor) featuresOnDevice(batch []image.Image) ([][]float64, error) {
	var out [][]float64
	for start := 0; start < len(batch); {
		// The longest run of images of the first one's size shares a tensor.
		b := batch[start].Bounds()
		end := start + 1
		for end < len(batch) && batch[end].Bounds().Size() == b.Size() {
			end++
		}
		x4, err := unitBatch(batch[start:end])
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", start, err)
		}
		feats := inception.FeaturesOf(x.net, x4.To(x.backend)).Float64s()
		for i := range end - start {
			out = append(out, feats[i*inception.FeatureDims:(i+1)*inception.FeatureDims])
		}
		start = end
	}
	return out, nil
}

// unitBatch returns images of one size as [N, 3, H, W] float32 on the CPU, RGB in [0, 1] (v/255,
// as inception.Features reads them: the stored bytes of an RGBA image, alpha ignored).
func unitBatch(images []image.Image) (*tensor.Tensor, error) {
	b := images[0].Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return nil, errors.New("the image is empty")
	}
	plane := w * h
	data := make([]float32, len(images)*3*plane)
	for n, img := range images {
		rgba := imageio.ToRGB(img)
		base := n * 3 * plane
		for y := range h {
			for x := range w {
				c := rgba.RGBAAt(rgba.Rect.Min.X+x, rgba.Rect.Min.Y+y)
				data[base+y*w+x] = float32(c.R) / 255
				data[base+plane+y*w+x] = float32(c.G) / 255
				data[base+2*plane+y*w+x] = float32(c.B) / 255
			}
		}
	}
	return tensor.FromFloat32(data, len(images), 3, h, w), nil
}

// featureJob is one set of images to measure: n images, the i-th made by image(i) (read from a
// file, or translated), fed to the network batch at a time.
type featureJob struct {
	what  string // for the progress line and errors: "real B (testB)", "fake B"
	n     int
	image func(i int) (image.Image, error)
}

// featureRun runs feature jobs with one extractor, batch images at a time, and reports on out
// (stderr) how far each got and how fast, every few seconds and at its end.
type featureRun struct {
	fx    featureExtractor
	batch int
	out   io.Writer
	every time.Duration // between progress lines; 0 means 10 s
}

func (r featureRun) features(job featureJob) ([][]float64, error) {
	batch := max(1, r.batch)
	every := r.every
	if every <= 0 {
		every = 10 * time.Second
	}
	start := time.Now()
	last := start
	out := make([][]float64, 0, job.n)
	images := make([]image.Image, 0, batch)
	for i := 0; i < job.n; i++ {
		img, err := job.image(i)
		if err != nil {
			return nil, err
		}
		images = append(images, img)
		if len(images) < batch && i < job.n-1 {
			continue
		}
		feats, err := r.fx.Features(images)
		if err != nil {
			return nil, fmt.Errorf("features of %s: %w", job.what, err)
		}
		if len(feats) != len(images) {
			return nil, fmt.Errorf("features of %s: %d feature rows for %d images", job.what, len(feats), len(images))
		}
		out = append(out, feats...)
		images = images[:0]
		if now := time.Now(); r.out != nil && (now.Sub(last) >= every || len(out) == job.n) {
			last = now
			elapsed := now.Sub(start).Seconds()
			fmt.Fprintf(r.out, "%s: %d/%d images, %.2f images/s\n", job.what, len(out), job.n, float64(len(out))/max(elapsed, 1e-9))
		}
	}
	return out, nil
}

// imageFiles is a job over image files as translate reads them (RGB, up to maxPixels).
func imageFiles(what string, paths []string, maxPixels int64) featureJob {
	return featureJob{what: what, n: len(paths), image: func(i int) (image.Image, error) {
		return imageio.LoadRGBWithin(paths[i], maxPixels)
	}}
}

// listEvalImages lists the images of a folder that eval measures, refusing a set that FID is
// not defined for: FID fits a Gaussian to each set, and the covariance needs two images.
func listEvalImages(flag, dir string) ([]string, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s %s: the folder does not exist", flag, dir)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", flag, err)
	case !info.IsDir():
		return nil, fmt.Errorf("%s %s is not a folder of images", flag, dir)
	}
	paths, err := imageio.ListImages(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if len(paths) < 2 {
		return nil, fmt.Errorf("%s %s holds %d images: FID is undefined for fewer than 2 (it compares the sets' covariances, and one image has none)", flag, dir, len(paths))
	}
	return paths, nil
}

// kidProtocol is how KID draws its subsets; SubsetSize 0 means min(1000, the smaller set), as
// metrics.KID takes it, and resolved says what that came to.
type kidProtocol struct {
	Subsets    int    `json:"subsets"`
	SubsetSize int    `json:"subset_size"`
	Seed       uint64 `json:"seed"`
}

// resolved returns the protocol with the subset size that KID will use for sets of n1 and n2.
func (k kidProtocol) resolved(n1, n2 int) kidProtocol {
	if k.SubsetSize == 0 {
		k.SubsetSize = min(metrics.DefaultKIDSubsetSize, n1, n2)
	}
	return k
}

// scores are FID and KID between a reference set and a generated one.
type scores struct {
	FID     float64 `json:"fid"`
	KIDMean float64 `json:"kid_mean"`
	KIDStd  float64 `json:"kid_std"`
}

// score computes FID and KID of fake against real.
func score(real, fake [][]float64, k kidProtocol) (scores, error) {
	fid, err := metrics.FID(real, fake)
	if err != nil {
		return scores{}, err
	}
	kid, err := metrics.KID(real, fake, metrics.KIDOptions{Subsets: k.Subsets, SubsetSize: k.SubsetSize, Seed: k.Seed})
	if err != nil {
		return scores{}, err
	}
	return scores{FID: fid, KIDMean: kid.Mean, KIDStd: kid.Std}, nil
}
