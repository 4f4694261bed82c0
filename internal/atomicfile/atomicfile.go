package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Write writes the file at path through write, atomically: write gets a buffered writer onto a
// temporary file next to path (same directory, so the rename cannot cross file systems); when it
// returns nil the data is flushed and synced, the file is given mode perm exactly (the process's
// umask does not apply, unlike os.WriteFile), renamed over path, and the directory is synced.
//
// On any error, and if write panics, the temporary file is removed and path keeps its old
// contents (or stays absent). Errors name path; an error from write is wrapped, so errors.Is and
// errors.As see it.
func Write(path string, perm os.FileMode, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Clean up on every way out but success, a panic in write included.
	done := false
	defer func() {
		if !done {
			tmp.Close() // may already be closed; the error that matters is the first one
			os.Remove(tmp.Name())
		}
	}()

	buf := bufio.NewWriterSize(tmp, 256<<10)
	if err := write(buf); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; set the mode asked for, independent of the umask.
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	// The rename is durable only once the directory entry is on disk. From here on path holds the
	// new file, so a failure is reported as what it is: the file is written but may not survive a
	// crash.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: the file is in place, but syncing its directory failed: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory. Windows cannot open a directory for syncing and needs no sync for a
// rename to be durable, and some file systems refuse to sync directories (EINVAL, ENOTSUP): there
// is nothing more to do on those, so they are not errors.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// tempPrefix is how the names of Write's temporary files for a target called base begin; a
// random suffix follows.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// RemoveStale removes the temporary files that Write left for the targets matching pattern, a
// path whose file name may hold filepath.Match wildcards ("runs/x/images/*.png"), and returns
// the paths removed. Write removes its temporary file on every way out but one: its process
// being killed (kill -9, a power cut, the out-of-memory killer), which leaves a
// .<name>.tmp-* file as large as the target, a whole checkpoint.
//
// Call it only when no other process can be writing these targets (cyclegan train holds its
// run folder's lock): a live Write's temporary file looks the same.
func RemoveStale(pattern string) ([]string, error) {
	dir, base := filepath.Split(pattern)
	matches, err := filepath.Glob(filepath.Join(dir, tempPrefix(base)+"*"))
	if err != nil {
		return nil, fmt.Errorf("removing stale temporary files of %s: %w", pattern, err)
	}
	var removed []string
	for _, m := range matches {
		info, err := os.Lstat(m)
		if err != nil || !info.Mode().IsRegular() { // gone already, or not one of ours
			continue
		}
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("removing stale temporary file: %w", err)
		}
		removed = append(removed, m)
	}
	return removed, nil
}
