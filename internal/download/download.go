package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/zebra-go/zebra/internal/filelock"
)

// DefaultBaseURL is where the CycleGAN authors publish the dataset archives, as
// <DefaultBaseURL>/<name>.zip.
const DefaultBaseURL = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets"

// names are the datasets the official download script knows.
var names = []string{
	"apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo",
	"ukiyoe2photo", "vangogh2photo", "maps", "cityscapes", "facades", "iphone2dslr_flower",
	"ae_photos", "grumpifycat", "mini", "mini_pix2pix", "mini_colorization",
}

// Names returns the names of the datasets that Dataset accepts, in the order of the official
// download script.
func Names() []string { return slices.Clone(names) }

// ErrUnknownDataset is wrapped by the error Dataset returns for a name not in Names.
var ErrUnknownDataset = errors.New("unknown CycleGAN dataset")

// URL returns the address of the archive of dataset name under baseURL.
func URL(baseURL, name string) string {
	return strings.TrimRight(baseURL, "/") + "/" + name + ".zip"
}

// Dataset downloads <baseURL>/<name>.zip and unpacks it into destDir, which is created if
// needed. The authors' archives hold one folder named after the dataset, so horse2zebra ends up
// in destDir/horse2zebra/{trainA,trainB,testA,testB}. Pass DefaultBaseURL for the authors'
// server.
//
// If progress is not nil, a progress bar (bytes, speed, time left) is drawn on it while the
// archive downloads, and a line when it is unpacked. The download honours ctx.
//
// Dataset refuses names it does not know (the error wraps ErrUnknownDataset), and refuses to
// overwrite: if an entry at the top of the archive (normally destDir/<name>) already exists, it
// fails before unpacking anything there. The archive itself must be safe (see Unzip).
func Dataset(ctx context.Context, baseURL, name, destDir string, progress io.Writer) error {
	if !slices.Contains(names, name) {
		return fmt.Errorf("download: %w %q; known datasets: %s", ErrUnknownDataset, name, strings.Join(names, ", "))
	}
	if existing := filepath.Join(destDir, name); exists(existing) {
		return fmt.Errorf("download: %s already exists; remove it to download %s again", existing, name)
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return fmt.Errorf("download: cannot create the target folder: %w", err)
	}
	// A killed download leaves its partial archive (up to a gigabyte) and its unpacking folder
	// behind; a live one holds a lock on each, which a dead one no longer does.
	if err := removeUnlocked(filepath.Join(destDir, partPrefix(name)+"*")); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if err := removeUnlocked(filepath.Join(destDir, unpackPrefix+"*")); err != nil {
		return fmt.Errorf("download: %w", err)
	}
	archive, err := os.CreateTemp(destDir, partPrefix(name)+"*")
	if err != nil {
		return fmt.Errorf("download: cannot create a temporary file for %s.zip: %w", name, err)
	}
	defer os.Remove(archive.Name())
	defer archive.Close()
	if _, err := filelock.TryLock(archive); err != nil {
		return fmt.Errorf("download: %w", err)
	}

	url := URL(baseURL, name)
	size, err := fetch(ctx, url, archive, maxArchiveBytes, progress)
	if err != nil {
		return err
	}
	if err := archive.Sync(); err != nil {
		return fmt.Errorf("download: cannot write the archive: %w", err)
	}
	files, err := Unzip(ctx, archive, size, destDir)
	if err != nil {
		return fmt.Errorf("download: unpacking %s: %w", url, err)
	}
	if progress != nil {
		fmt.Fprintf(progress, "unpacked %d files from %s.zip into %s\n", files, name, destDir)
	}
	return nil
}

// partPrefix is how the name of dataset name's partial archive begins.
func partPrefix(name string) string { return "." + name + ".zip.part-" }

// removeUnlocked removes the files and folders matching pattern that no process holds a lock on:
// those that a killed download left. Without locks it cannot tell, and removes nothing.
func removeUnlocked(pattern string) error {
	if !filelock.Supported {
		return nil
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return err
	}
	for _, m := range matches {
		f, err := os.Open(m)
		if err != nil {
			continue // gone already
		}
		free, err := filelock.TryLock(f)
		f.Close()
		if err != nil || !free {
			continue // in use by a live download
		}
		if err := os.RemoveAll(m); err != nil {
			return fmt.Errorf("removing what an interrupted download left: %w", err)
		}
	}
	return nil
}

// maxArchiveBytes bounds the download itself; the largest official archive is under 1 GB.
var maxArchiveBytes int64 = 8 << 30

// client gives up on a server that accepts the connection but never answers; the body itself
// may take as long as it needs (ctx cancels it).
var client = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	},
	CheckRedirect: checkRedirect,
}

// checkRedirect follows a redirect only to the same host, or from http to https on the same
// host name, and never from https back to http: the archive is unpacked on the user's disk, so
// it comes from the server the user named (the authors' server is plain http, which is why a
// redirect to https must stay possible). The one exception is GitHub's: a release download on
// github.com answers with a redirect to an https address on githubusercontent.com.
func checkRedirect(req *http.Request, via []*http.Request) error {
	from, to := via[len(via)-1].URL, req.URL
	switch {
	case len(via) >= 10:
		return fmt.Errorf("stopped after %d redirects", len(via))
	case from.Scheme == "https" && to.Scheme != "https":
		return fmt.Errorf("refusing a redirect from %s to %s: from https back to %s", from, to, to.Scheme)
	case to.Host == from.Host && to.Scheme == from.Scheme:
		return nil
	case to.Hostname() == from.Hostname() && from.Scheme == "http" && to.Scheme == "https":
		return nil
	case from.Hostname() == "github.com" && to.Scheme == "https" && strings.HasSuffix(to.Hostname(), ".githubusercontent.com"):
		// GitHub serves a release's files (pytorch-fid's Inception weights) from its
		// content host.
		return nil
	}
	return fmt.Errorf("refusing a redirect from %s to another host, %s", from, to)
}

// fetch writes the body of url to f, drawing a progress bar on progress if it is not nil, and
// returns the number of bytes written. A body longer than limit bytes, or shorter than the
// server's Content-Length, is an error.
func fetch(ctx context.Context, url string, f io.Writer, limit int64, progress io.Writer) (_ int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("download: bad URL %q: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("download: GET %s: server answered %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return 0, fmt.Errorf("download: %s is %d bytes, more than the %d this tool accepts", url,
			resp.ContentLength, limit)
	}
	var dst io.Writer = f
	if progress != nil {
		bar := newBar(progress, resp.ContentLength, filepath.Base(url))
		defer func() {
			if err == nil {
				bar.Finish() // draws the bar at 100% once more, whatever the throttle skipped
			}
			fmt.Fprintln(progress)
		}()
		dst = io.MultiWriter(f, barWriter{bar})
	}
	// Read one byte more than allowed, to tell "exactly at the limit" from "over it".
	n, err := io.Copy(dst, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return n, fmt.Errorf("download: GET %s: interrupted after %d bytes: %w", url, n, err)
	}
	if n > limit {
		return n, fmt.Errorf("download: %s is larger than the %d bytes this tool accepts", url, limit)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("download: GET %s: got %d of %d bytes", url, n, resp.ContentLength)
	}
	return n, nil
}

// newBar returns a byte-counting progress bar drawn on w; a total of 0 or less (the server did
// not say) makes it a spinner.
func newBar(w io.Writer, total int64, what string) *progressbar.ProgressBar {
	if total <= 0 {
		total = -1
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("downloading "+what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSpinnerType(14),
	)
}

// barWriter advances a progress bar by the bytes written through it. It never fails: a bar
// that cannot draw must not abort the download.
type barWriter struct{ bar *progressbar.ProgressBar }

func (w barWriter) Write(p []byte) (int, error) {
	w.bar.Add(len(p))
	return len(p), nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
