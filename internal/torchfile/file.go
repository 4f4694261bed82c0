package torchfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/zebra-go/zebra/internal/safetensors"
)

// ErrInvalid is wrapped by every error about a file's contents (corrupt, truncated, or holding
// something torchfile does not read), so callers can tell them from I/O failures.
var ErrInvalid = errors.New("invalid PyTorch file")

// ErrNotTorchFile is wrapped (with ErrInvalid) by the error for data that is neither of
// torch.save's formats: no zip archive and no pickle starting with torch's magic number.
var ErrNotTorchFile = errors.New("not a PyTorch file")

type invalidError struct {
	path    string
	msg     string
	foreign bool // ErrNotTorchFile
}

func (e *invalidError) Error() string {
	if e.path != "" {
		return "torchfile: " + e.path + ": " + e.msg
	}
	return "torchfile: " + e.msg
}

func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid || e.foreign && target == ErrNotTorchFile
}

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Tensor is one named tensor, the same type as a safetensors tensor: dtype, shape and elements
// as raw little-endian bytes in row-major (contiguous) order. A caller can pass it on to
// safetensors.Encode as it is.
type Tensor = safetensors.Tensor

// File is a decoded torch.save file: the tensors of its state dict, by name.
type File struct {
	names []string
	views map[string]*tensorView
}

// Names returns the tensor names in the order of the file (a state dict's order: the order in
// which the model registered its parameters and buffers).
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Tensor returns the tensor called name, contiguous and little-endian. Its Data aliases the
// decoded file when the stored tensor already is (almost always); it is a copy for a
// non-contiguous view (a transpose) or a big-endian file. Data must not be modified.
func (f *File) Tensor(name string) (Tensor, bool) {
	v, ok := f.views[name]
	if !ok {
		return Tensor{}, false
	}
	return Tensor{Name: name, DType: v.storage.dtype, Shape: append([]int(nil), v.shape...), Data: v.contiguous()}, true
}

// SniffLen is how many leading bytes IsTorchFile needs to recognize any legacy file: PROTO,
// a protocol 4 FRAME, and the pickled magic number.
const SniffLen = 2 + 9 + 2 + 10

// legacyPrefix is how torch.save's legacy format begins with its default pickle protocol 2:
// PROTO 2, then LONG1 of 10 bytes holding the magic number 0x1950a86a20f9469cfc6c,
// little-endian.
var legacyPrefix = []byte{opProto, 2, opLong1, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

// zipMagic begins a zip archive's first local file header (torch.save since PyTorch 1.6).
var zipMagic = []byte("PK\x03\x04")

// IsTorchFile reports whether prefix, the first SniffLen bytes of a file (or all of a shorter
// one), looks like torch.save's output: a zip archive, or a pickle that starts with torch's
// magic number. A zip archive of another kind also says yes; Decode tells them apart.
func IsTorchFile(prefix []byte) bool {
	return bytes.HasPrefix(prefix, zipMagic) || isLegacy(prefix)
}

// isLegacy accepts torch's magic number pickled with any protocol from 2 on (torch.save's
// pickle_protocol argument); protocols 4 and 5 put a FRAME opcode (and its 8-byte length)
// before it.
func isLegacy(prefix []byte) bool {
	if len(prefix) < 2 || prefix[0] != opProto || prefix[1] < 2 || prefix[1] > 5 {
		return false
	}
	rest := prefix[2:]
	if prefix[1] >= 4 && len(rest) >= 9 && rest[0] == opFrame {
		rest = rest[9:]
	}
	return bytes.HasPrefix(rest, legacyPrefix[2:])
}

// Decode parses a torch.save file held in memory, of either format, found by its content. The
// tensors alias data, which must not be modified while the File is in use.
func Decode(data []byte) (*File, error) {
	switch {
	case bytes.HasPrefix(data, zipMagic):
		return decodeZip(data)
	case isLegacy(data):
		return decodeLegacy(data)
	case len(data) >= 262 && string(data[257:262]) == "ustar":
		return nil, invalidf("a tar archive: the format of torch.save before PyTorch 0.1.10 is not supported; load and save it again with a newer torch")
	}
	return nil, &invalidError{msg: "not a PyTorch file: neither a zip archive nor a pickle starting with torch's magic number", foreign: true}
}

// ReadFile reads and decodes the torch.save file at path, which must be a regular file.
// Errors about its contents wrap ErrInvalid and name path.
func ReadFile(path string) (*File, error) {
	// Look before opening: opening a FIFO (or a device) for reading can wait for a writer for
	// ever. The type is checked again on the open file, in case path changed in between.
	if info, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("torchfile: %s is not a regular file (%v)", path, info.Mode().Type())
	}
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	defer fd.Close()
	info, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("torchfile: %s is not a regular file (%v)", path, info.Mode().Type())
	}
	// The size comes from the file system, not from the contents, so it is safe to allocate.
	data := make([]byte, info.Size())
	if _, err := io.ReadFull(fd, data); err != nil {
		return nil, fmt.Errorf("torchfile: read %s: %w (did the file shrink while being read?)", path, err)
	}
	f, err := Decode(data)
	if err != nil {
		var inv *invalidError
		if errors.As(err, &inv) {
			return nil, &invalidError{path: path, msg: inv.msg, foreign: inv.foreign}
		}
		return nil, fmt.Errorf("torchfile: %s: %w", path, err)
	}
	return f, nil
}

// The limits of flatten. A state dict is one or two levels deep; maxDepth stops a list that
// contains itself.
const maxDepth = 64

// flattener names the tensors of an unpickled object. Dicts and lists nest by dots, as in a
// state dict: {"G_A": {"model.1.weight": t}} gives "G_A.model.1.weight", a list's items are
// numbered. Values that are not tensors (an epoch number, a string, None) are skipped.
//
// A container can be reached more than once (the memo lets a pickle share one), so the walk
// is bounded by a budget of visits and of name bytes proportional to the pickle's size: a few
// bytes of GET opcodes cannot make it walk or allocate exponentially much.
type flattener struct {
	file       *File
	visits     int // left
	nameBytes  int // left
	pickleSize int
}

func flatten(obj any, pickleSize int) (*File, error) {
	fl := &flattener{
		file:       &File{views: map[string]*tensorView{}},
		visits:     pickleSize,
		nameBytes:  16*pickleSize + 1<<16,
		pickleSize: pickleSize,
	}
	if err := fl.walk(obj, "", 0); err != nil {
		return nil, err
	}
	return fl.file, nil
}

func (fl *flattener) walk(v any, name string, depth int) error {
	if depth > maxDepth {
		return invalidf("the object nests deeper than %d levels at %q (a list or dict that contains itself?)", maxDepth, name)
	}
	if fl.visits--; fl.visits < 0 {
		return invalidf("the object has more values than its %d-byte pickle can describe without sharing; torchfile does not expand shared containers", fl.pickleSize)
	}
	if fl.nameBytes -= len(name); fl.nameBytes < 0 {
		return invalidf("the names add up to more than %d bytes", 16*fl.pickleSize+1<<16)
	}
	switch v := v.(type) {
	case *tensorView:
		if _, dup := fl.file.views[name]; dup {
			return invalidf("two tensors are named %q", name)
		}
		fl.file.names = append(fl.file.names, name)
		fl.file.views[name] = v
	case *pyDict:
		for i, k := range v.keys {
			var key string
			switch k := k.(type) {
			case string:
				key = k
			case int64: // an optimizer's state is keyed by parameter number
				key = strconv.FormatInt(k, 10)
			default:
				return invalidf("dict key at %q is %s, not a str or int", name, describe(k))
			}
			if err := fl.walk(v.values[i], join(name, key), depth+1); err != nil {
				return err
			}
		}
	case pyTuple, *pyList:
		items, _ := sequence(v)
		for i, item := range items {
			if err := fl.walk(item, join(name, strconv.Itoa(i)), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
