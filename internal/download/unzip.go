package download

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/zebra-go/zebra/internal/filelock"
)

// unpackPrefix is how the name of Unzip's temporary folder begins.
const unpackPrefix = ".unpack-"

// Limits that keep a hostile or broken archive from filling the disk. The official archives
// hold JPEGs, which do not compress: horse2zebra is 111 MB packed and 116 MB unpacked.
var (
	maxFiles         = 200_000
	maxUnpackedBytes = int64(16 << 30)
	// maxRatio bounds how much any entry of more than ratioFloor bytes may grow when unpacked;
	// zip bombs reach ratios in the thousands.
	maxRatio   = int64(200)
	ratioFloor = int64(1 << 20)
	// maxArchiveRatio bounds how much the whole archive may grow, once it unpacks to more than
	// ratioFloor: entries that each stay under the floor add up (300 deflated MiBs of zeros pack
	// into 347 KB). Photographs do not compress, so a real dataset's ratio is about 1.
	maxArchiveRatio = int64(20)
)

// Unzip unpacks the zip archive in r (size bytes) into destDir and returns the number of files
// written. It refuses, before writing anything, an archive with an entry whose name is absolute,
// climbs out with "..", holds a backslash or is otherwise not a plain relative path, an entry
// that is a symbolic link or another special file, more than 200,000 entries, more than 16 GiB
// in all, an entry that claims to grow more than 200 times, or an archive that claims to grow
// more than 20 times in all. Sizes are enforced while
// writing too, and every file's CRC is checked.
//
// Everything is unpacked into a temporary folder inside destDir and then renamed into place,
// top-level entry by top-level entry; if any of them already exists in destDir, Unzip fails and
// leaves destDir as it was.
func Unzip(ctx context.Context, r io.ReaderAt, size int64, destDir string) (files int, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return 0, fmt.Errorf("not a valid zip archive: %w", err)
	}
	tops, err := checkEntries(zr.File, size)
	if err != nil {
		return 0, err
	}
	for _, top := range tops {
		if target := filepath.Join(destDir, top); exists(target) {
			return 0, fmt.Errorf("%s already exists; remove it first", target)
		}
	}
	tmp, err := os.MkdirTemp(destDir, unpackPrefix+"*")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	// Hold a lock on the folder while unpacking, so that Dataset can tell it from the folder
	// of a killed Unzip.
	if d, err := os.Open(tmp); err == nil {
		defer d.Close()
		if _, err := filelock.TryLock(d); err != nil {
			return 0, err
		}
	}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return files, err
		}
		target := filepath.Join(tmp, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return files, err
			}
			continue
		}
		if err := extractFile(f, target); err != nil {
			return files, err
		}
		files++
	}
	for _, top := range tops {
		if err := os.Rename(filepath.Join(tmp, top), filepath.Join(destDir, top)); err != nil {
			return files, err
		}
	}
	return files, nil
}

// checkEntries validates every entry of an archive of size bytes before anything is written and
// returns the distinct first components of their names.
func checkEntries(entries []*zip.File, size int64) (tops []string, err error) {
	if len(entries) > maxFiles {
		return nil, fmt.Errorf("archive holds %d entries, more than the %d allowed", len(entries), maxFiles)
	}
	seenTop := map[string]bool{}
	var total int64
	for _, f := range entries {
		name := strings.TrimSuffix(f.Name, "/")
		// filepath.IsLocal rejects absolute paths, "..", empty names and Windows device names;
		// zip names always use "/", so a backslash is an attempt to escape on Windows.
		if name == "" || strings.Contains(f.Name, `\`) || path.IsAbs(name) || !filepath.IsLocal(filepath.FromSlash(name)) ||
			path.Clean(name) != name {
			return nil, fmt.Errorf("entry %q has an unsafe path (absolute, escaping with \"..\", or not clean)", f.Name)
		}
		mode := f.Mode()
		if mode&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("entry %q is a symbolic link; links are not unpacked", f.Name)
		}
		if !mode.IsRegular() && !mode.IsDir() {
			return nil, fmt.Errorf("entry %q is a special file (%v)", f.Name, mode.Type())
		}
		if f.UncompressedSize64 > uint64(maxUnpackedBytes) {
			return nil, fmt.Errorf("entry %q claims %d bytes, more than the %d allowed in all", f.Name,
				f.UncompressedSize64, maxUnpackedBytes)
		}
		size := int64(f.UncompressedSize64)
		if size > ratioFloor && size > maxRatio*int64(f.CompressedSize64) {
			return nil, fmt.Errorf("entry %q grows from %d to %d bytes, a ratio above %d: refusing a likely zip bomb",
				f.Name, f.CompressedSize64, size, maxRatio)
		}
		total += size
		if total > maxUnpackedBytes {
			return nil, fmt.Errorf("archive unpacks to more than %d bytes", maxUnpackedBytes)
		}
		top, _, _ := strings.Cut(name, "/")
		if !seenTop[top] {
			seenTop[top] = true
			tops = append(tops, top)
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("archive is empty")
	}
	if total > ratioFloor && total > maxArchiveRatio*size {
		return nil, fmt.Errorf("archive grows from %d to %d bytes, a ratio above %d: refusing a likely zip bomb", size, total, maxArchiveRatio)
	}
	return tops, nil
}

// extractFile writes one regular entry to target, creating its folder. archive/zip checks the
// size and CRC against the header as the data is read; the LimitReader is a second fence in
// case a header lies about the size.
func extractFile(f *zip.File, target string) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	src, err := f.Open()
	if err != nil {
		return fmt.Errorf("entry %q: %w", f.Name, err)
	}
	defer src.Close()
	dst, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	limit := int64(f.UncompressedSize64)
	n, err := io.Copy(dst, io.LimitReader(src, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("holds more data than its header declares (%d bytes)", limit)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("entry %q: %w", f.Name, err)
	}
	return nil
}
