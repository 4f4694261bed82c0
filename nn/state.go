package nn

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensorfile"
)

// StateDict returns m's parameters and buffers (BufferHolder) by their state_dict keys (see
// Module.NamedParameters). The tensors are the module's own, not copies, as in PyTorch: clone
// them to keep a snapshot that later training steps do not change.
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for _, s := range stateSlots(m) {
		sd[s.name] = s.value
	}
	return sd
}

// slot is one entry of a module's state dict: a parameter's value or a buffer, which loading
// overwrites in place.
type slot struct {
	name   string
	value  *tensor.Tensor
	buffer bool
}

// stateSlots lists m's parameters, then its buffers.
func stateSlots(m Module) []slot {
	var slots []slot
	for _, np := range m.NamedParameters() {
		slots = append(slots, slot{name: np.Name, value: np.Param.Value})
	}
	for _, nb := range Buffers(m) {
		slots = append(slots, slot{name: nb.Name, value: nb.Value, buffer: true})
	}
	return slots
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

// LoadStateDict copies the tensors of sd into m's parameters and buffers, matching them by key
// (PyTorch's load_state_dict). Each tensor is converted to its parameter's dtype and device; the parameters
// keep their identity, so optimizers holding them see the new values. In strict mode every
// parameter must have a key and every key a parameter; otherwise keys present on one side only
// are skipped. A key whose shape differs is an error in either mode. On any error nothing is
// loaded, and the *StateDictError lists every problem at once.
func LoadStateDict(m Module, sd map[string]*tensor.Tensor, strict bool) error {
	slots := stateSlots(m)
	if err := checkStateDict(slots, sd, nil, strict); err != nil {
		return err
	}
	copyStateDict(slots, sd)
	return nil
}

// checkStateDict returns a *StateDictError listing every problem with loading sd into the slots,
// or nil. others are further keys that cannot be loaded (a file's integer tensors that name no
// buffer): they count as unexpected.
func checkStateDict(slots []slot, sd map[string]*tensor.Tensor, others []string, strict bool) error {
	var e StateDictError
	known := map[string]bool{}
	for _, s := range slots {
		known[s.name] = true
		t, ok := sd[s.name]
		switch {
		case !ok:
			if strict {
				e.Missing = append(e.Missing, s.name)
			}
		case t == nil:
			panic(fmt.Sprintf("nn.LoadStateDict: nil tensor for key %q", s.name))
		case !slices.Equal(t.Shape(), s.value.Shape()):
			e.Mismatched = append(e.Mismatched, ShapeMismatch{Key: s.name, Want: s.value.Shape(), Got: t.Shape()})
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

// copyStateDict copies every tensor of sd that names a slot into it, converting dtype and
// device; checkStateDict has vouched for the shapes.
func copyStateDict(slots []slot, sd map[string]*tensor.Tensor) {
	for _, s := range slots {
		if t, ok := sd[s.name]; ok {
			tensor.CopyInto(s.value, tensor.Cast(t, s.value.DType()).To(s.value.Backend()))
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
	slots := stateSlots(m)
	params, buffers := map[string]bool{}, map[string]bool{}
	for _, s := range slots {
		if s.buffer {
			buffers[s.name] = true
		} else {
			params[s.name] = true
		}
	}
	sd := map[string]*tensor.Tensor{}
	var others []string // integer tensors that name no buffer
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
		case errors.Is(err, tensorfile.ErrNotFloat) && buffers[key]:
			// A count kept as an integer (PyTorch's int64 num_batches_tracked); zebra's
			// buffers are floating-point, and counts below 2^53 convert exactly.
			counts, shape, cerr := f.Counts(name)
			if cerr != nil {
				return fmt.Errorf("nn.LoadFile: %w", cerr)
			}
			values := make([]float64, len(counts))
			for i, c := range counts {
				values[i] = float64(c)
			}
			t = tensor.FromFloat64(values, shape...)
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
	if err := checkStateDict(slots, sd, others, o.Strict); err != nil {
		return fmt.Errorf("nn.LoadFile: %s: %w", path, err)
	}
	copyStateDict(slots, sd)
	return nil
}
