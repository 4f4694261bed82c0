package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootHoldsTheModule(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "repo", "repo.go")); err != nil {
		t.Fatalf("Root() = %s, which does not hold internal/repo: %v", root, err)
	}
	// From outside the repository there is no root.
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if got, err := Root(); err == nil {
		t.Fatalf("Root() from a temporary folder = %s, want an error", got)
	}
}
