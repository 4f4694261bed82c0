package cli

import (
	"os"
	"path/filepath"
)

// MkdirAll creates folder dir and the parents it lacks, like os.MkdirAll, and returns undo, which
// removes the folders that this call created, deepest first, as long as they are still empty. A
// command calls undo when it fails, so that a failed download or translate leaves no empty
// "datasets" or "translated" folder behind, while the files it did write stay.
func MkdirAll(dir string) (undo func(), err error) {
	var created []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	undo = func() {
		for _, d := range created { // deepest first; os.Remove refuses a folder that is not empty
			os.Remove(d)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		undo()
		return func() {}, err
	}
	return undo, nil
}
