package download

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/internal/atomicfile"
	"github.com/zebra-go/zebra/internal/torchfile"
)

// DefaultModelBaseURL is where the CycleGAN authors publish their pretrained generators, as
// <DefaultModelBaseURL>/<name>.pth (the official scripts/download_cyclegan_model.sh).
const DefaultModelBaseURL = "http://efrosgans.eecs.berkeley.edu/cyclegan/pretrained_models"

// models are the pretrained generators the official download script knows. Each file is a bare
// ResnetGenerator state dict (ngf 64, 9 blocks) in torch.save's legacy format, about 45 MB.
var models = []string{
	"apple2orange", "orange2apple", "summer2winter_yosemite", "winter2summer_yosemite",
	"horse2zebra", "zebra2horse", "monet2photo", "style_monet", "style_cezanne", "style_ukiyoe",
	"style_vangogh", "sat2map", "map2sat", "cityscapes_photo2label", "cityscapes_label2photo",
	"facades_photo2label", "facades_label2photo", "iphone2dslr_flower",
}

// ModelNames returns the names of the pretrained generators that Model accepts, in the order of
// the official download script. Model also accepts FIDInception.
func ModelNames() []string { return slices.Clone(models) }

// FIDInception is the name Model knows pytorch-fid's Inception-v3 weights by: the network that
// FID and KID measure images with (package models/inception), a torch.save zip file of 95 MB.
const FIDInception = "fid-inception"

// FIDInceptionURL is where pytorch-fid publishes those weights (its FID_WEIGHTS_URL). The file
// name ends in the first 8 hex digits of the file's SHA-256, as torch.hub's check_hash expects.
const FIDInceptionURL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + fidInceptionFile

const fidInceptionFile = "pt_inception-2015-12-05-6726825d.pth"

// fidInceptionDigest is the SHA-256 prefix that a downloaded fid-inception file must have (the
// one in its name); tests serve another file and change it.
var fidInceptionDigest = "6726825d"

// ErrUnknownModel is wrapped by the error Model returns for a name not in ModelNames.
var ErrUnknownModel = errors.New("unknown CycleGAN pretrained model")

// ModelURL returns the address of pretrained model name under baseURL: <baseURL>/<name>.pth,
// and for FIDInception <baseURL>/pt_inception-2015-12-05-6726825d.pth. An empty baseURL means
// the model's own server: DefaultModelBaseURL, or pytorch-fid's releases for FIDInception.
func ModelURL(baseURL, name string) string {
	if baseURL == "" && name == FIDInception {
		return FIDInceptionURL
	}
	if baseURL == "" {
		baseURL = DefaultModelBaseURL
	}
	return strings.TrimRight(baseURL, "/") + "/" + modelFile(name)
}

// modelFile is the name a model has on its server and on disk.
func modelFile(name string) string {
	if name == FIDInception {
		return fidInceptionFile
	}
	return name + ".pth"
}

// maxModelBytes bounds a model download; the official generators are 45 MB.
var maxModelBytes int64 = 1 << 30

// Model downloads <baseURL>/<name>.pth to destDir/<name>.pth (destDir is created if needed) and
// returns that path. Pass DefaultModelBaseURL for the authors' server, or "" for each model's
// own. FIDInception is saved under its own file name, pt_inception-2015-12-05-6726825d.pth, and
// kept only if its SHA-256 begins with the 6726825d of that name. If progress is not nil, a
// progress bar is drawn on it. The download honours ctx.
//
// The file is written atomically (package atomicfile: a temporary file in destDir, synced and
// renamed), so a failed or interrupted download leaves no partial .pth behind, and it is renamed
// into place only if its first bytes are those of a torch.save file: an error page served with
// status 200 is not kept. Model refuses names it does not know (the error wraps
// ErrUnknownModel) and does not overwrite an existing file.
func Model(ctx context.Context, baseURL, name, destDir string, progress io.Writer) (string, error) {
	if !slices.Contains(models, name) && name != FIDInception {
		return "", fmt.Errorf("download: %w %q; known models: %s, %s", ErrUnknownModel, name, strings.Join(models, ", "), FIDInception)
	}
	dest := filepath.Join(destDir, modelFile(name))
	if exists(dest) {
		return "", fmt.Errorf("download: %s already exists; remove it to download %s again", dest, name)
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return "", fmt.Errorf("download: cannot create the target folder: %w", err)
	}
	url := ModelURL(baseURL, name)
	// The errors of the download itself say what went wrong without atomicfile's "write <dest>"
	// in front: nothing was written there.
	var fetchErr error
	err := atomicfile.Write(dest, 0o644, func(w io.Writer) error {
		head := &prefixWriter{n: torchfile.SniffLen}
		digest := sha256.New()
		if _, fetchErr = fetch(ctx, url, io.MultiWriter(w, head, digest), maxModelBytes, progress); fetchErr != nil {
			return fetchErr
		}
		sum := hex.EncodeToString(digest.Sum(nil))
		switch {
		case !torchfile.IsTorchFile(head.buf.Bytes()):
			fetchErr = fmt.Errorf("download: %s is not a PyTorch file (it begins %q)", url, head.buf.Bytes())
		case name == FIDInception && !strings.HasPrefix(sum, fidInceptionDigest):
			fetchErr = fmt.Errorf("download: %s has SHA-256 %s, not pytorch-fid's weights (whose SHA-256 begins %s)", url, sum, fidInceptionDigest)
		}
		return fetchErr
	})
	switch {
	case fetchErr != nil:
		return "", fetchErr
	case err != nil:
		return "", fmt.Errorf("download: %w", err)
	}
	return dest, nil
}

// prefixWriter keeps the first n bytes written through it.
type prefixWriter struct {
	buf bytes.Buffer
	n   int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if keep := p.n - p.buf.Len(); keep > 0 {
		p.buf.Write(b[:min(keep, len(b))])
	}
	return len(b), nil
}
