package tensorfile

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/internal/torchfile"
	"github.com/zebra-go/zebra/tensor"
)

// ErrInvalid is wrapped by every error about a file's contents (corrupt, truncated, of another
// kind), so callers can tell them from I/O errors such as a missing file.
var ErrInvalid = errors.New("invalid tensor file")

// ErrNotFloat is wrapped by the error Tensor returns for an integer or bool tensor.
var ErrNotFloat = errors.New("not a floating-point tensor")

// Format is the kind of file Open found.
type Format string

const (
	Safetensors Format = "safetensors"
	Torch       Format = "torch" // torch.save, zip or legacy
)

// reader is what the safetensors and torchfile readers have in common.
type reader interface {
	Names() []string
	Tensor(name string) (safetensors.Tensor, bool)
	Float32s(name string) ([]float32, []int, error)
	Float64s(name string) ([]float64, []int, error)
	Int64s(name string) ([]int64, []int, error)
}

// File is an opened tensor file, held in memory.
type File struct {
	path     string
	format   Format
	r        reader
	metadata map[string]string
}

// Info describes one stored tensor.
type Info struct {
	DType string // as safetensors names it: F64, F32, F16, BF16, I64, I32, ..., U8, BOOL
	Shape []int
}

// Open reads the whole file at path, a safetensors file or a torch.save file, recognized by its
// first bytes. Errors about its contents wrap ErrInvalid and name path.
func Open(path string) (*File, error) {
	format, err := sniff(path)
	if err != nil {
		return nil, err
	}
	f := &File{path: path, format: format}
	switch format {
	case Torch:
		tf, err := torchfile.ReadFile(path)
		if err != nil {
			return nil, wrapInvalid(err, errors.Is(err, torchfile.ErrInvalid))
		}
		f.r = tf
	default:
		sf, err := safetensors.ReadFile(path)
		if err != nil {
			return nil, wrapInvalid(err, errors.Is(err, safetensors.ErrInvalid))
		}
		f.r, f.metadata = sf, sf.Metadata
	}
	return f, nil
}

// sniff reads the first bytes of path and says which reader it needs.
func sniff(path string) (Format, error) {
	fd, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("tensorfile: %w", err)
	}
	defer fd.Close()
	prefix := make([]byte, torchfile.SniffLen)
	n, err := io.ReadFull(fd, prefix)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		// A folder gets here; the readers' own checks give the clearer message for it.
		if info, serr := fd.Stat(); serr == nil && !info.Mode().IsRegular() {
			return "", fmt.Errorf("tensorfile: %s is not a regular file (%v)", path, info.Mode().Type())
		}
		return "", fmt.Errorf("tensorfile: read %s: %w", path, err)
	}
	if torchfile.IsTorchFile(prefix[:n]) {
		return Torch, nil
	}
	return Safetensors, nil
}

// invalid keeps a reader's message (which names the file) and adds ErrInvalid to what it wraps.
type invalid struct{ err error }

func (e *invalid) Error() string   { return e.err.Error() }
func (e *invalid) Unwrap() []error { return []error{ErrInvalid, e.err} }
func wrapInvalid(err error, bad bool) error {
	if bad {
		return &invalid{err}
	}
	return err
}

// Format returns the kind of file f is.
func (f *File) Format() Format { return f.format }

// Metadata returns the safetensors file's "__metadata__" strings (empty when it has none), or
// nil for a torch.save file, which has no such thing.
func (f *File) Metadata() map[string]string { return maps.Clone(f.metadata) }

// Names returns the tensors' names in the file's order (a state dict's order for .pth files,
// the header's for safetensors).
func (f *File) Names() []string { return f.r.Names() }

// Info returns the dtype and shape of the tensor called name, and whether there is one.
func (f *File) Info(name string) (Info, bool) {
	t, ok := f.r.Tensor(name)
	if !ok {
		return Info{}, false
	}
	return Info{DType: string(t.DType), Shape: slices.Clone(t.Shape)}, true
}

// Tensor returns a copy of the tensor called name on the CPU: float64 for an F64 tensor, float32
// for F32, F16 and BF16 (which convert exactly). An integer or bool tensor is an error wrapping
// ErrNotFloat; a name the file lacks is an error too.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	t, ok := f.r.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("tensorfile: %s has no tensor named %q", f.path, name)
	}
	switch t.DType {
	case safetensors.F64:
		data, shape, err := f.r.Float64s(name)
		if err != nil {
			return nil, fmt.Errorf("tensorfile: %s: %w", f.path, err)
		}
		return tensor.FromFloat64(data, shape...), nil
	case safetensors.F32, safetensors.F16, safetensors.BF16:
		data, shape, err := f.r.Float32s(name)
		if err != nil {
			return nil, fmt.Errorf("tensorfile: %s: %w", f.path, err)
		}
		return tensor.FromFloat32(data, shape...), nil
	}
	return nil, fmt.Errorf("tensorfile: %s: tensor %q is %s: %w (zebra tensors are float32 or float64)", f.path, name, t.DType, ErrNotFloat)
}

// Counts returns the integer (or bool) tensor called name as int64 values with its shape: a
// count that a state dict keeps beside its floating-point tensors, such as BatchNorm's
// num_batches_tracked.
func (f *File) Counts(name string) ([]int64, []int, error) {
	data, shape, err := f.r.Int64s(name)
	if err != nil {
		return nil, nil, fmt.Errorf("tensorfile: %s: %w", f.path, err)
	}
	return data, shape, nil
}

// Write writes tensors to path as a safetensors file, each in its own dtype (F32 or F64) under
// its name, with metadata (which may be nil; PyTorch's safetensors loaders expect
// {"format": "pt"}). The layout is deterministic (by dtype, then name), and the write is
// atomic: a temporary file in the same folder, synced and renamed over path, so a crash leaves
// the old file or the new one. Tensors on a GPU are copied to the host first.
func Write(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	var ts []safetensors.Tensor
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		t := tensors[name]
		if t == nil {
			return fmt.Errorf("tensorfile: writing %s: tensor %q is nil", path, name)
		}
		if t.DType() == tensor.Float64 {
			ts = append(ts, safetensors.FromFloat64(name, t.Shape(), t.Float64s()))
		} else {
			ts = append(ts, safetensors.FromFloat32(name, t.Shape(), t.Float32s()))
		}
	}
	if err := safetensors.WriteFile(path, ts, metadata); err != nil {
		return fmt.Errorf("tensorfile: %w", err)
	}
	return nil
}
