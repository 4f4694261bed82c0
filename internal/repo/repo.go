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

// Horse2ZebraEnv names the environment variable that points the tests at a copy of the full
// horse2zebra dataset.
const Horse2ZebraEnv = "ZEBRA_HORSE2ZEBRA"

// Horse2Zebra returns the folder of the full horse2zebra dataset (trainA, trainB, testA, testB),
// for the tests and tools that read real images. It looks, in order, at $ZEBRA_HORSE2ZEBRA, at
// datasets/horse2zebra in the repository (where `cyclegan download horse2zebra` puts it), and at
// ../shared/data/horse2zebra beside the repository (where this project's development machines
// keep it). The error says where it looked; tests skip with it.
func Horse2Zebra() (string, error) {
	var candidates []string
	if dir := os.Getenv(Horse2ZebraEnv); dir != "" {
		candidates = append(candidates, dir)
	}
	if root, err := Root(); err == nil {
		candidates = append(candidates,
			filepath.Join(root, "datasets", "horse2zebra"),
			filepath.Join(root, "..", "shared", "data", "horse2zebra"))
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "trainB")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("the horse2zebra dataset is in none of %s (set %s, or run `cyclegan download horse2zebra`)",
		strings.Join(candidates, ", "), Horse2ZebraEnv)
}
