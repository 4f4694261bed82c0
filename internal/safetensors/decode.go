package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header Decode and ReadFile accept, in bytes. It is the
// reference implementation's limit; a real header needs about 100 bytes per tensor.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key that holds the file's string metadata.
const metadataKey = "__metadata__"

// ErrInvalid is wrapped by every error that reports a malformed file, so callers can tell a
// corrupt file from an I/O failure with errors.Is(err, safetensors.ErrInvalid).
var ErrInvalid = errors.New("invalid safetensors data")

// ErrNotSafetensors is wrapped by the error for data that is not a safetensors file at all (a
// README, a PNG, a PyTorch .pth passed by mistake), rather than a damaged one: its first 8 bytes,
// read as the header length, point past the end of the file and are not followed by the '{' that
// begins every header, or the header does not begin with '{'. Such an error wraps ErrInvalid too.
var ErrNotSafetensors = errors.New("not a safetensors file")

// invalidError reports a malformed file. Path is filled in by ReadFile.
type invalidError struct {
	path string
	msg  string
	// foreign is set when the data is no safetensors file at all (ErrNotSafetensors); msg
	// then says how that shows.
	foreign bool
}

func (e *invalidError) Error() string {
	switch {
	case e.foreign && e.path != "":
		return "safetensors: " + e.path + " is not a safetensors file (" + e.msg + ")"
	case e.foreign:
		return "safetensors: not a safetensors file (" + e.msg + ")"
	case e.path != "":
		return "safetensors: " + e.path + ": " + e.msg
	}
	return "safetensors: " + e.msg
}

func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid || e.foreign && target == ErrNotSafetensors
}

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// foreignf reports data that is not a safetensors file (ErrNotSafetensors).
func foreignf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...), foreign: true}
}

// Tensor is one named tensor: its dtype, its shape (empty for a scalar) and its elements as raw
// little-endian bytes in row-major order.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar).
func (t Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// File is a decoded safetensors file.
type File struct {
	// Metadata holds the "__metadata__" strings; it is empty, not nil, when the file has none.
	Metadata map[string]string
	// Tensors are in the order of the header. Their Data slices alias the decoded bytes.
	Tensors []Tensor

	index map[string]int // name -> position in Tensors
}

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (Tensor, bool) {
	i, ok := f.index[name]
	if !ok {
		return Tensor{}, false
	}
	return f.Tensors[i], true
}

// Names returns the tensor names in header order.
func (f *File) Names() []string {
	names := make([]string, len(f.Tensors))
	for i, t := range f.Tensors {
		names[i] = t.Name
	}
	return names
}

// headerEntry is one tensor's entry in the JSON header. Shape and DataOffsets are decoded as
// signed and unsigned 64-bit numbers so that negative, fractional or out-of-range values are
// rejected by the JSON decoder rather than wrapped around.
type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int64  `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// Decode parses a whole safetensors file held in memory. The returned tensors' Data slices alias
// data rather than copy it, so data must not be modified while the File is in use.
func Decode(data []byte) (*File, error) {
	headerLen, err := readHeaderLength(data[:min(9, len(data))], int64(len(data)))
	if err != nil {
		return nil, err
	}
	header := data[8 : 8+headerLen]
	buffer := data[8+headerLen:]

	f, entries, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	if err := checkLayout(f.Tensors, entries, len(buffer)); err != nil {
		return nil, err
	}
	for i := range f.Tensors {
		begin, end := entries[i].DataOffsets[0], entries[i].DataOffsets[1]
		// A full slice expression, so appending to one tensor's Data cannot overwrite the next.
		f.Tensors[i].Data = buffer[begin:end:end]
	}
	return f, nil
}

// readHeaderLength reads the 8-byte length prefix and checks it against the size of the whole
// file before anything is allocated from it. prefix holds the file's first 9 bytes, or all of
// them in a shorter file: the ninth tells a truncated safetensors file, whose header still
// begins with '{', from a file of another kind, whose first 8 bytes (text, a PNG signature)
// read as a length far past its end.
func readHeaderLength(prefix []byte, fileSize int64) (int, error) {
	if len(prefix) < 8 {
		return 0, invalidf("file is %d bytes, too short for the 8-byte header length", fileSize)
	}
	n := binary.LittleEndian.Uint64(prefix)
	switch {
	case n > uint64(fileSize-8) && (len(prefix) < 9 || prefix[8] != '{'):
		return 0, foreignf("header length %d exceeds file size %d", n, fileSize)
	case n > uint64(fileSize-8):
		return 0, invalidf("header length %d exceeds file size %d: truncated?", n, fileSize)
	case n > MaxHeaderSize:
		return 0, invalidf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	case n < 2:
		return 0, invalidf("header length %d is too short for a JSON object", n)
	}
	return int(n), nil
}

// parseHeader decodes the JSON header into a File whose tensors have names, dtypes and shapes
// but no data yet, and the entries (with offsets) in the same order. It walks the top-level
// object token by token instead of decoding into a map, because a map would silently keep the
// last of two duplicate names and lose the header order.
func parseHeader(header []byte) (*File, []headerEntry, error) {
	if !utf8.Valid(header) {
		return nil, nil, invalidf("header is not valid UTF-8")
	}
	if header[0] != '{' {
		return nil, nil, foreignf("header does not start with '{' (first byte %q)", header[0])
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	if _, err := dec.Token(); err != nil { // the opening '{', checked above
		return nil, nil, invalidf("header: %v", err)
	}

	f := &File{Metadata: map[string]string{}, index: map[string]int{}}
	var entries []headerEntry
	sawMetadata := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, invalidf("header: %v", err)
		}
		name, ok := tok.(string)
		if !ok { // the decoder rejects non-string keys itself; this is belt and braces
			return nil, nil, invalidf("header: unexpected %v where a tensor name belongs", tok)
		}
		if name == metadataKey {
			if sawMetadata {
				return nil, nil, invalidf("header has %q twice", metadataKey)
			}
			sawMetadata = true
			if err := parseMetadata(dec, f.Metadata); err != nil {
				return nil, nil, err
			}
			continue
		}
		if _, dup := f.index[name]; dup {
			return nil, nil, invalidf("tensor %q appears twice in the header", name)
		}
		var e headerEntry
		if err := dec.Decode(&e); err != nil {
			return nil, nil, invalidf("tensor %q: %v", name, err)
		}
		t, err := e.tensor(name)
		if err != nil {
			return nil, nil, err
		}
		f.index[name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, invalidf("header: %v", err)
	}
	// Only whitespace (the writer's padding) may follow the object.
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, nil, invalidf("header: after the JSON object: %v", err)
		}
		return nil, nil, invalidf("header: unexpected %v after the JSON object", tok)
	}
	return f, entries, nil
}

// parseMetadata decodes the value of "__metadata__": null or an object of strings.
func parseMetadata(dec *json.Decoder, into map[string]string) error {
	tok, err := dec.Token()
	if err != nil {
		return invalidf("%s: %v", metadataKey, err)
	}
	if tok == nil {
		return nil // "__metadata__": null, which the reference implementation accepts
	}
	if tok != json.Delim('{') {
		return invalidf("%s is %v, not an object of strings", metadataKey, tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalidf("%s: %v", metadataKey, err)
		}
		key, ok := tok.(string)
		if !ok {
			return invalidf("%s: unexpected %v where a key belongs", metadataKey, tok)
		}
		if _, dup := into[key]; dup {
			return invalidf("%s: key %q appears twice", metadataKey, key)
		}
		tok, err = dec.Token()
		if err != nil {
			return invalidf("%s: key %q: %v", metadataKey, key, err)
		}
		value, ok := tok.(string)
		if !ok {
			return invalidf("%s: value of key %q is %v, not a string", metadataKey, key, tok)
		}
		into[key] = value
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return invalidf("%s: %v", metadataKey, err)
	}
	return nil
}

// tensor checks one header entry on its own (the layout checks need all of them) and returns the
// tensor it describes, without data.
func (e headerEntry) tensor(name string) (Tensor, error) {
	switch {
	case e.DType == "":
		return Tensor{}, invalidf("tensor %q: missing dtype", name)
	case e.DType.Size() == 0:
		return Tensor{}, invalidf("tensor %q: unknown dtype %q", name, e.DType)
	case e.Shape == nil:
		return Tensor{}, invalidf("tensor %q: missing shape", name)
	case len(e.DataOffsets) != 2:
		return Tensor{}, invalidf("tensor %q: data_offsets has %d numbers, want [begin, end]", name, len(e.DataOffsets))
	case e.DataOffsets[0] > e.DataOffsets[1]:
		return Tensor{}, invalidf("tensor %q: data_offsets [%d, %d] end before they begin", name, e.DataOffsets[0], e.DataOffsets[1])
	}
	shape := make([]int, len(e.Shape))
	for i, d := range e.Shape {
		if d < 0 || int64(int(d)) != d {
			return Tensor{}, invalidf("tensor %q: invalid dimension %d in shape %v", name, d, e.Shape)
		}
		shape[i] = int(d)
	}
	return Tensor{Name: name, DType: e.DType, Shape: shape}, nil
}

// byteLength returns the number of bytes a tensor of this dtype and shape occupies, and false if
// a dimension is negative or the number does not fit in 64 bits.
func byteLength(dtype DType, shape []int) (uint64, bool) {
	n := uint64(dtype.Size())
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
	}
	for _, d := range shape {
		if d == 0 {
			return 0, true
		}
	}
	for _, d := range shape {
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 {
			return 0, false
		}
		n = lo
	}
	return n, true
}

// checkLayout checks that each tensor's byte range matches its shape and that the ranges,
// sorted by offset, tile the buffer exactly.
func checkLayout(tensors []Tensor, entries []headerEntry, bufferLen int) error {
	for i, t := range tensors {
		begin, end := entries[i].DataOffsets[0], entries[i].DataOffsets[1]
		want, ok := byteLength(t.DType, t.Shape)
		if !ok {
			return invalidf("tensor %q: shape %v is too large", t.Name, t.Shape)
		}
		if want != end-begin {
			return invalidf("tensor %q: shape %v needs %d bytes, offsets give %d", t.Name, t.Shape, want, end-begin)
		}
	}
	order := make([]int, len(tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(entries[a].DataOffsets[0], entries[b].DataOffsets[0]); c != 0 {
			return c
		}
		return cmp.Compare(entries[a].DataOffsets[1], entries[b].DataOffsets[1])
	})
	var next uint64 // where the next tensor must begin
	for _, i := range order {
		begin, end := entries[i].DataOffsets[0], entries[i].DataOffsets[1]
		if begin != next {
			return invalidf("tensor %q: data begins at byte %d, expected %d (tensors must tile the buffer without gaps or overlaps)", tensors[i].Name, begin, next)
		}
		next = end
	}
	if next != uint64(bufferLen) {
		return invalidf("tensors cover %d bytes but the data buffer has %d", next, bufferLen)
	}
	return nil
}
