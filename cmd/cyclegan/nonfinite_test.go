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

// TestHugeLearningRateSavesNothing: at -lr 1e39 the first step's losses are finite but its
// weights are not. Training stops there with an error naming a tensor, and no checkpoint holds
// those weights (an epoch of one sample used to end by saving them as latest).
func TestHugeLearningRateSavesNothing(t *testing.T) {
	dir := t.TempDir()
	err := runTrain(append(tinyTrainArgs(t, dir), "-name", "lr", "-epochs", "2", "-lr", "1e39"))
	if err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("training at -lr 1e39: %v, want an error about non-finite weights", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "lr", "checkpoints", "latest.safetensors")); err == nil {
		t.Error("a checkpoint was saved with the non-finite weights")
	}
}
