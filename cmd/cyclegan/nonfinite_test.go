package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/models/cyclegan"
)

// TestNonFiniteMessage: the message says a checkpoint was kept only when there is one.
func TestNonFiniteMessage(t *testing.T) {
	nf := &cyclegan.NonFiniteLossError{}
	dir := t.TempDir()
	latest := filepath.Join(dir, "latest.safetensors")
	err := nonFiniteError(nf, latest)
	if !errors.As(err, &nf) {
		t.Errorf("%v does not wrap the NonFiniteLossError", err)
	}
	if strings.Contains(err.Error(), "kept") || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("without a checkpoint the message is %q", err)
	}
	if err := os.WriteFile(latest, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := nonFiniteError(nf, latest); !strings.Contains(err.Error(), "kept "+latest) {
		t.Errorf("with a checkpoint the message is %q", err)
	}
}
