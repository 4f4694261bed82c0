package inception

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/internal/torchfile"
	"github.com/zebra-go/zebra/tensor"
)

// Weights is what LoadWeights reads: tensors by state dict key. *torchfile.File (a .pth file)
// and *safetensors.File implement it.
type Weights interface {
	Names() []string
	Float32s(name string) ([]float32, []int, error)
}

// LoadFile reads pytorch-fid's pt_inception-2015-12-05-6726825d.pth (or any .pth state dict of
// the same network) and returns the network with its weights.
func LoadFile(path string) (*Net, error) {
	f, err := torchfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inception: %w", err)
	}
	n := New()
	if err := LoadWeights(n, f); err != nil {
		return nil, fmt.Errorf("inception: %s: %w", path, err)
	}
	return n, nil
}

// LoadWeights copies w's tensors into n's parameters and BatchNorm statistics by key. Every
// convolution and BatchNorm tensor must be there with its shape, and every key of w must belong
// to the network, except two kinds that the features do not need and files differ in: the
// BatchNorm num_batches_tracked counters (written by PyTorch 0.4.1 and later; evaluation never
// reads them) and the fc classifier (loaded when present). On an error nothing is loaded, and
// the error lists every missing, unexpected and misshaped key.
func LoadWeights(n *Net, w Weights) error {
	state := n.stateTensors()
	loaded := map[string]*tensor.Tensor{}
	var unexpected, mismatched []string
	for _, name := range w.Names() {
		if strings.HasSuffix(name, ".num_batches_tracked") {
			continue
		}
		dst, ok := state[name]
		if !ok {
			unexpected = append(unexpected, name)
			continue
		}
		data, shape, err := w.Float32s(name)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if !slices.Equal(shape, dst.Shape()) {
			mismatched = append(mismatched, fmt.Sprintf("%s is %v, want %v", name, shape, dst.Shape()))
			continue
		}
		loaded[name] = tensor.FromFloat32(data, shape...)
	}
	var missing []string
	for name := range state {
		if _, ok := loaded[name]; !ok && !strings.HasPrefix(name, "fc.") && !strings.HasSuffix(name, ".num_batches_tracked") {
			missing = append(missing, name)
		}
	}
	if len(missing)+len(unexpected)+len(mismatched) > 0 {
		slices.Sort(missing)
		return &WeightsError{Missing: missing, Unexpected: unexpected, Mismatched: mismatched}
	}
	for name, t := range loaded {
		tensor.CopyInto(state[name], t)
	}
	return nil
}

// WeightsError lists what kept a weights file from loading.
type WeightsError struct {
	Missing, Unexpected []string // keys
	Mismatched          []string // "key is [shape], want [shape]"
}

func (e *WeightsError) Error() string {
	var parts []string
	list := func(what string, keys []string) {
		if len(keys) == 0 {
			return
		}
		shown := keys
		if len(shown) > 5 {
			shown = shown[:5]
		}
		s := fmt.Sprintf("%d %s (%s", len(keys), what, strings.Join(shown, ", "))
		if len(keys) > len(shown) {
			s += ", ..."
		}
		parts = append(parts, s+")")
	}
	list("missing keys", e.Missing)
	list("unexpected keys", e.Unexpected)
	list("keys of another shape", e.Mismatched)
	return "not the FID Inception weights: " + strings.Join(parts, "; ")
}
