package imageio

import (
	"bufio"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
)

// SavePNG writes img to path as a PNG file. The file is written under a temporary name in the
// same folder, synced and renamed into place, so path holds either its old contents or the
// whole new image, never a partial file.
func SavePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error {
		return png.Encode(w, img)
	})
}

// SaveJPEG writes img to path as a baseline JPEG of the given quality (1 to 100), atomically
// like SavePNG. Go's encoder subsamples chroma 4:2:0.
func SaveJPEG(path string, img image.Image, quality int) error {
	if quality < 1 || quality > 100 {
		return fmt.Errorf("imageio: JPEG quality %d for %s is outside 1..100", quality, path)
	}
	return writeAtomic(path, func(w io.Writer) error {
		return jpeg.Encode(w, img, &jpeg.Options{Quality: quality})
	})
}

// writeAtomic writes a file through encode to a temporary file next to path, syncs it, and
// renames it to path. On any error the temporary file is removed and path is left untouched.
func writeAtomic(path string, encode func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("imageio: cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	buf := bufio.NewWriterSize(tmp, 64<<10)
	if err := encode(buf); err != nil {
		return fmt.Errorf("imageio: cannot encode %s: %w", path, err)
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("imageio: cannot write %s: %w", path, err)
	}
	// CreateTemp makes the file private (0600); image outputs are meant to be shared.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("imageio: cannot write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("imageio: cannot sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("imageio: cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("imageio: cannot rename the finished file into place: %w", err)
	}
	// Make the rename itself durable; not every system can sync a folder, so this is best effort.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
