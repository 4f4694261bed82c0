package download

import (
	"bytes"
	"context"
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

// ModelNames returns the names of the pretrained models that Model accepts, in the order of the
// official download script.
func ModelNames() []string { return slices.Clone(models) }

// ErrUnknownModel is wrapped by the error Model returns for a name not in ModelNames.
var ErrUnknownModel = errors.New("unknown CycleGAN pretrained model")

// ModelURL returns the address of pretrained model name under baseURL.
func ModelURL(baseURL, name string) string {
	return strings.TrimRight(baseURL, "/") + "/" + name + ".pth"
}

// maxModelBytes bounds a model download; the official generators are 45 MB.
var maxModelBytes int64 = 1 << 30

// Model downloads <baseURL>/<name>.pth to destDir/<name>.pth (destDir is created if needed) and
// returns that path. Pass DefaultModelBaseURL for the authors' server. If progress is not nil, a
// progress bar is drawn on it. The download honours ctx.
//
// The file is written atomically (package atomicfile: a temporary file in destDir, synced and
// renamed), so a failed or interrupted download leaves no partial .pth behind, and it is renamed
// into place only if its first bytes are those of a torch.save file: an error page served with
// status 200 is not kept. Model refuses names it does not know (the error wraps
// ErrUnknownModel) and does not overwrite an existing file.
func Model(ctx context.Context, baseURL, name, destDir string, progress io.Writer) (string, error) {
	if !slices.Contains(models, name) {
		return "", fmt.Errorf("download: %w %q; known models: %s", ErrUnknownModel, name, strings.Join(models, ", "))
	}
	dest := filepath.Join(destDir, name+".pth")
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
		if _, fetchErr = fetch(ctx, url, io.MultiWriter(w, head), maxModelBytes, progress); fetchErr != nil {
			return fetchErr
		}
		if !torchfile.IsTorchFile(head.buf.Bytes()) {
			fetchErr = fmt.Errorf("download: %s is not a PyTorch file (it begins %q)", url, head.buf.Bytes())
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
