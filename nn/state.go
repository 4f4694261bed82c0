package nn

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensorfile"
)

// StateDict returns m's parameters by their state_dict keys (see Module.NamedParameters). The
// tensors are the parameters' own values, not copies, as in PyTorch: clone them to keep a snapshot
// that later training steps do not change.
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for _, np := range m.NamedParameters() {
		sd[np.Name] = np.Param.Value
	}
	return sd
}

// StateDictError lists everything that kept a state dict from loading: keys of the module that
// the state dict lacks, keys of the state dict that name no parameter (both reported only in
// strict mode) and keys whose shapes differ (always reported, as in PyTorch).
type StateDictError struct {
	Missing    []string
	Unexpected []string
	Mismatched []ShapeMismatch
}

// ShapeMismatch is a key whose tensor in the state dict (Got) has another shape than the module's
// parameter (Want).
type ShapeMismatch struct {
	Key       string
	Want, Got []int
}

func (e *StateDictError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing keys %q", e.Missing))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("unexpected keys %q", e.Unexpected))
	}
	for _, m := range e.Mismatched {
		parts = append(parts, fmt.Sprintf("size mismatch for %q: the state dict has %v, the module %v", m.Key, m.Got, m.Want))
	}
	return "nn: cannot load state dict: " + strings.Join(parts, "; ")
}

// LoadStateDict copies the tensors of sd into m's parameters, matching them by key (PyTorch's
// load_state_dict). Each tensor is converted to its parameter's dtype and device; the parameters
// keep their identity, so optimizers holding them see the new values. In strict mode every
// parameter must have a key and every key a parameter; otherwise keys present on one side only
// are skipped. A key whose shape differs is an error in either mode. On any error nothing is
// loaded, and the *StateDictError lists every problem at once.
func LoadStateDict(m Module, sd map[string]*tensor.Tensor, strict bool) error {
	named := m.NamedParameters()
	if err := checkStateDict(named, sd, nil, strict); err != nil {
		return err
	}
	copyStateDict(named, sd)
	return nil
}

// checkStateDict returns a *StateDictError listing every problem with loading sd into the named
// parameters, or nil. others are further keys that cannot be parameters (a file's integer
// tensors): they count as unexpected.
func checkStateDict(named []NamedParam, sd map[string]*tensor.Tensor, others []string, strict bool) error {
	var e StateDictError
	known := map[string]bool{}
	for _, np := range named {
		known[np.Name] = true
		t, ok := sd[np.Name]
		switch {
		case !ok:
			if strict {
				e.Missing = append(e.Missing, np.Name)
			}
		case t == nil:
			panic(fmt.Sprintf("nn.LoadStateDict: nil tensor for key %q", np.Name))
		case !slices.Equal(t.Shape(), np.Param.Shape()):
			e.Mismatched = append(e.Mismatched, ShapeMismatch{Key: np.Name, Want: np.Param.Shape(), Got: t.Shape()})
		}
	}
	if strict {
		for k := range sd {
			if !known[k] {
				e.Unexpected = append(e.Unexpected, k)
			}
		}
		e.Unexpected = append(e.Unexpected, others...)
		slices.Sort(e.Unexpected)
	}
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) > 0 {
		return &e
	}
	return nil
}

// copyStateDict copies every tensor of sd that names a parameter into it, converting dtype and
// device; checkStateDict has vouched for the shapes.
func copyStateDict(named []NamedParam, sd map[string]*tensor.Tensor) {
	for _, np := range named {
		if t, ok := sd[np.Name]; ok {
			tensor.CopyInto(np.Param.Value, tensor.Cast(t, np.Param.DType()).To(np.Param.Value.Backend()))
		}
	}
}

// SaveFile writes m's state dict to a safetensors file at path, each parameter in its own dtype
// (F32 or F64) under its state_dict key, with the metadata {"format": "pt"} that PyTorch's
// safetensors loaders expect. The write is atomic: a crash leaves the old file or the new one.
func SaveFile(path string, m Module) error {
	if err := tensorfile.Write(path, StateDict(m), map[string]string{"format": "pt"}); err != nil {
		return fmt.Errorf("nn.SaveFile: %w", err)
	}
	return nil
}

// LoadFile loads a tensor file into m, as LoadStateDict does: a safetensors file written by
// SaveFile or by PyTorch (safetensors.torch.save_file of a state_dict), or a PyTorch state dict
// saved by torch.save (.pth, zip or legacy format; the official CycleGAN models are legacy). The
// format is found from the file's first bytes, not its name (package tensorfile). Tensors may be
// F32, F64, F16 or BF16; each is converted to its parameter's dtype. A file that cannot be read
// or parsed, and one that does not fit the module, gives an error naming the path; m is then
// left unchanged. LoadFile(path, m, strict) is LoadFileOptions(path, m, LoadOptions{Strict:
// strict}).
func LoadFile(path string, m Module, strict bool) error {
	return LoadFileOptions(path, m, LoadOptions{Strict: strict})
}

// LoadOptions says how LoadFileOptions matches a file's keys with a module's parameters.
type LoadOptions struct {
	// Strict: every parameter must have a key and every key (after Prefix and Ignore) a
	// parameter, as in load_state_dict(strict=True). Shapes must agree in either mode.
	Strict bool
	// Prefix, if not empty, selects the keys that start with Prefix + "." and strips that from
	// them: "G_A" loads a zebra checkpoint's G_A.model.1.weight as model.1.weight. Other keys
	// are not looked at.
	Prefix string
	// Ignore, if not nil, drops the keys (after Prefix) for which it returns true before
	// matching: buffers that the file carries and the module does not keep, such as the
	// running_mean, running_var and num_batches_tracked of an InstanceNorm in an old checkpoint.
	Ignore func(key string) bool
}

// LoadFileOptions loads the tensor file at path into m as LoadFile does, selecting and
// matching keys as o says.
func LoadFileOptions(path string, m Module, o LoadOptions) error {
	f, err := tensorfile.Open(path)
	if err != nil {
		return fmt.Errorf("nn.LoadFile: %w", err)
	}
	named := m.NamedParameters()
	params := map[string]bool{}
	for _, np := range named {
		params[np.Name] = true
	}
	sd := map[string]*tensor.Tensor{}
	var others []string // tensors that cannot be parameters
	for _, name := range f.Names() {
		key := name
		if o.Prefix != "" {
			var ok bool
			if key, ok = strings.CutPrefix(name, o.Prefix+"."); !ok {
				continue
			}
		}
		if o.Ignore != nil && o.Ignore(key) {
			continue
		}
		t, err := f.Tensor(name)
		switch {
		case errors.Is(err, tensorfile.ErrNotFloat):
			if params[key] {
				info, _ := f.Info(name)
				return fmt.Errorf("nn.LoadFile: %s: tensor %q is %s, want a floating-point dtype", path, name, info.DType)
			}
			others = append(others, key)
			continue
		case err != nil:
			return fmt.Errorf("nn.LoadFile: %w", err)
		}
		sd[key] = t
	}
	if err := checkStateDict(named, sd, others, o.Strict); err != nil {
		return fmt.Errorf("nn.LoadFile: %s: %w", path, err)
	}
	copyStateDict(named, sd)
	return nil
}
