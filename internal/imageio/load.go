package imageio

import (
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers the JPEG decoder with image.Decode
	_ "image/png"  // registers the PNG decoder with image.Decode
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxPixels is the largest image (width times height) that Load decodes: PIL's limit for a
// decompression bomb error (twice its warning threshold of 89,478,485 pixels). A 256x256
// dataset image is 65,536 pixels.
var MaxPixels int64 = 2 * 89_478_485

// imageExtensions are the file name endings (compared in lower case) that ListImages accepts.
var imageExtensions = []string{".jpg", ".jpeg", ".png"}

// IsImageFile reports whether name ends in .jpg, .jpeg or .png, in any case.
func IsImageFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range imageExtensions {
		if ext == e {
			return true
		}
	}
	return false
}

// TooLargeError reports an image whose header gives more pixels than allowed; it is returned
// before the pixels are decoded.
type TooLargeError struct {
	Path          string
	Format        string // "png" or "jpeg"
	Width, Height int
	Max           int64 // the bound, in pixels
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("imageio: %s image %s is %dx%d pixels (%d), more than the %d allowed",
		e.Format, e.Path, e.Width, e.Height, int64(e.Width)*int64(e.Height), e.Max)
}

// Load is LoadWithin(path, MaxPixels).
func Load(path string) (image.Image, error) {
	return LoadWithin(path, MaxPixels)
}

// LoadWithin decodes the JPEG or PNG file at path. The format is taken from the file's contents, not
// its name. The image keeps the colour model the decoder chose (*image.Gray for a grayscale
// JPEG, *image.YCbCr for a colour one, *image.NRGBA for a PNG with alpha, ...); pass it to ToRGB.
//
// Every error names the file: one that does not exist (the error wraps fs.ErrNotExist), is not a
// regular file (a FIFO would make the open wait for ever), cannot be read, is empty, does not
// decode, or has more than maxPixels pixels (a *TooLargeError, from the header alone).
func LoadWithin(path string, maxPixels int64) (image.Image, error) {
	// Look before opening: opening a FIFO (or a device) for reading can wait for a writer for
	// ever. The type is checked again on the open file, in case path changed in between.
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("imageio: image file %s does not exist: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("imageio: cannot open image: %w", err)
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imageio: cannot open image: %w", err)
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("imageio: cannot read image: %w", err)
	}
	if err := checkRegular(path, info); err != nil {
		return nil, err
	}
	if info.Size() == 0 {
		return nil, fmt.Errorf("imageio: image file %s is empty (0 bytes)", path)
	}
	return DecodeWithin(path, f, maxPixels)
}

// DecodeWithin decodes the JPEG or PNG image that r holds from its start, as LoadWithin decodes a
// file (cyclegan serve decodes request bodies with it); name stands for the image in errors. The
// header is read first, so that a tiny input claiming an enormous size (a decompression bomb) is
// refused with a *TooLargeError before its pixels are allocated; r is then read again from its
// start.
func DecodeWithin(name string, r io.ReadSeeker, maxPixels int64) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(r)
	if err == nil && int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, &TooLargeError{Path: name, Format: format, Width: cfg.Width, Height: cfg.Height, Max: maxPixels}
	}
	if _, serr := r.Seek(0, io.SeekStart); serr != nil {
		return nil, fmt.Errorf("imageio: cannot read image: %w", serr)
	}
	img, format, err := image.Decode(r)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("imageio: %s is not a JPEG or PNG image (unknown format)", name)
		}
		return nil, fmt.Errorf("imageio: corrupt image %s: %w", name, err)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, fmt.Errorf("imageio: %s image %s has no pixels (%dx%d)", format, name, b.Dx(), b.Dy())
	}
	return img, nil
}

// checkRegular refuses a folder or a special file where an image file belongs.
func checkRegular(path string, info fs.FileInfo) error {
	switch {
	case info.IsDir():
		return fmt.Errorf("imageio: image path %s is a folder, not a file", path)
	case !info.Mode().IsRegular():
		return fmt.Errorf("imageio: image path %s is not a regular file (%v)", path, info.Mode().Type())
	}
	return nil
}

// LoadRGB is Load followed by ToRGB.
func LoadRGB(path string) (*image.RGBA, error) {
	return LoadRGBWithin(path, MaxPixels)
}

// LoadRGBWithin is LoadWithin followed by ToRGB.
func LoadRGBWithin(path string, maxPixels int64) (*image.RGBA, error) {
	img, err := LoadWithin(path, maxPixels)
	if err != nil {
		return nil, err
	}
	return ToRGB(img), nil
}

// ListImages returns the paths of the .jpg, .jpeg and .png files (any case) under dir and its
// subfolders, sorted, like the official make_dataset followed by sorted(). Files and folders
// whose names start with a dot (.DS_Store, .ipynb_checkpoints) are skipped. It is an error if
// dir does not exist, is not a folder, or holds no image.
func ListImages(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("imageio: image folder %s does not exist: %w", dir, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("imageio: cannot read image folder: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("imageio: %s is not a folder", dir)
	}
	var paths []string
	// The trailing separator makes WalkDir enter dir even when dir itself is a symbolic link
	// to a folder (a common way to point at a dataset on another disk); links further down
	// are not followed, as os.walk does not follow them in the official code.
	root := dir + string(filepath.Separator)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !IsImageFile(d.Name()) {
			return nil
		}
		// Follow symbolic links to files, as os.walk and PIL do; skip links to folders.
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			if err != nil || !target.Mode().IsRegular() {
				return nil
			}
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("imageio: cannot list image folder %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("imageio: image folder %s holds no .jpg, .jpeg or .png file", dir)
	}
	sort.Strings(paths)
	return paths, nil
}
