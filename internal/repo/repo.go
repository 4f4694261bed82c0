package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Root returns the folder that holds zebra's go.mod, searching up from the working folder (a
// test runs in its package's folder, a tool wherever it is started inside the repository).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/zebra-go/zebra\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of github.com/zebra-go/zebra above the working folder")
		}
		dir = parent
	}
}

// Horse2Zebra returns the full horse2zebra dataset that the development machines keep in
// ../shared/data/horse2zebra beside the repository, or an error saying where it was looked for
// (tests that read it skip with that message).
func Horse2Zebra() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	data := filepath.Join(root, "..", "shared", "data", "horse2zebra")
	if _, err := os.Stat(filepath.Join(data, "trainB")); err != nil {
		return "", fmt.Errorf("the horse2zebra dataset is not at %s: %w", data, err)
	}
	return data, nil
}
