package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// checkpointError says in one phrase what is wrong with the checkpoint at path when the reason
// is plain: it does not exist, or it is not a safetensors file at all (a README or an image
// passed by mistake), where the decoder's details (a "header length" of 10^18) would only
// puzzle. Any other error is returned as it is.
func checkpointError(err error, path string) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("checkpoint %s does not exist", path)
	case errors.Is(err, safetensors.ErrNotSafetensors):
		return fmt.Errorf("%s is not a checkpoint: neither a safetensors file (cyclegan train writes them in <runs>/<name>/checkpoints) nor a PyTorch .pth file", path)
	}
	return err
}

// checkpointHint adds to err, the error of loading the checkpoint at path, what the user can do
// about it: a damaged one loads anyway with -skip-checksum, and the epochNNN checkpoints that
// train keeps beside latest are older states to fall back on; how to use one is the command's
// own sentence, use, in which %s stands for the newest of them. A memory budget error gets no
// hint here: the older checkpoints need as much. usable, when not nil, says which of them the
// command can use (resuming needs a full checkpoint, and by default the epoch checkpoints hold
// the generators only).
func checkpointHint(err error, path, use string, usable func(path string) bool) error {
	if errors.Is(err, cyclegan.ErrMemoryBudget) {
		return err
	}
	var hints []string
	if errors.Is(err, safetensors.ErrDamaged) {
		hints = append(hints, "-skip-checksum loads it as it is, damaged values included")
	}
	dir := filepath.Dir(path)
	epochs, _ := filepath.Glob(filepath.Join(dir, "epoch[0-9][0-9][0-9]*.safetensors"))
	epochs = slices.DeleteFunc(epochs, func(p string) bool {
		return p == filepath.Clean(path) || (usable != nil && !usable(p))
	})
	if len(epochs) > 0 {
		slices.Sort(epochs) // epoch%03d: the names sort as the epochs do up to 999
		names := make([]string, len(epochs))
		for i, p := range epochs {
			names[i] = filepath.Base(p)
		}
		hints = append(hints, fmt.Sprintf("%s also holds the checkpoints of earlier epochs (%s); %s",
			dir, strings.Join(names, ", "), fmt.Sprintf(use, epochs[len(epochs)-1])))
	}
	if len(hints) == 0 {
		return err
	}
	return fmt.Errorf("%w\n%s", err, strings.Join(hints, "\n"))
}

// resumable says whether the checkpoint at path holds a whole training state.
func resumable(path string) bool {
	c, err := cyclegan.Contents(path)
	return err == nil && c == "full"
}
