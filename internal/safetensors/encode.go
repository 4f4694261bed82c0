package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Encode writes tensors and metadata to w in the safetensors format. Tensors are laid out by
// dtype, widest first, then by name, whatever their order in the slice; metadata may be nil.
// Everything is checked before the first byte is written: names must be unique, valid UTF-8 and
// not "__metadata__", dtypes known, and each tensor's Data exactly as long as its shape requires.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	order, err := checkTensors(tensors)
	if err != nil {
		return err
	}
	for k, v := range metadata {
		// encoding/json would silently replace invalid UTF-8 with U+FFFD, so the file would
		// not read back as written.
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("safetensors: metadata %q: %q: keys and values must be valid UTF-8", k, v)
		}
	}
	header := encodeHeader(tensors, order, metadata)

	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(header)))
	if _, err := w.Write(prefix[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, i := range order {
		if _, err := w.Write(tensors[i].Data); err != nil {
			return err
		}
	}
	return nil
}

// checkTensors validates the tensors to write and returns their indices in file order: the
// reference implementation's order, dtype rank descending and then name, which puts wide types
// first so that every tensor's offset is a multiple of its element size.
func checkTensors(tensors []Tensor) ([]int, error) {
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		switch {
		case t.Name == metadataKey:
			return nil, fmt.Errorf("safetensors: %q is reserved and cannot name a tensor", metadataKey)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("safetensors: tensor name %q is not valid UTF-8", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("safetensors: tensor %q appears twice", t.Name)
		case t.DType.Size() == 0:
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		seen[t.Name] = true
		want, ok := byteLength(t.DType, t.Shape)
		if !ok {
			return nil, fmt.Errorf("safetensors: tensor %q: invalid shape %v", t.Name, t.Shape)
		}
		if want != uint64(len(t.Data)) {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v of %s needs %d bytes, data has %d", t.Name, t.Shape, t.DType, want, len(t.Data))
		}
	}
	order := make([]int, len(tensors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(tensors[b].DType.rank(), tensors[a].DType.rank()); c != 0 {
			return c
		}
		return cmp.Compare(tensors[a].Name, tensors[b].Name)
	})
	return order, nil
}

// encodeHeader returns the JSON header, compact as the reference writes it, with "__metadata__"
// first (keys sorted, omitted when empty), padded with spaces to a multiple of 8 bytes so that
// the data buffer starts 8-byte aligned.
func encodeHeader(tensors []Tensor, order []int, metadata map[string]string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(metadata) > 0 {
		writeJSONString(&b, metadataKey)
		b.WriteString(":{")
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, metadata[k])
		}
		b.WriteByte('}')
	}
	var offset uint64
	for i, ti := range order {
		t := tensors[ti]
		if i > 0 || len(metadata) > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, t.Name)
		b.WriteString(`:{"dtype":`)
		writeJSONString(&b, string(t.DType))
		b.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := offset + uint64(len(t.Data))
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

// writeJSONString writes s as a JSON string without escaping <, > and &, which encoding/json
// does by default for HTML's sake and Python and Rust writers do not.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // cannot fail for a string
	b.Truncate(b.Len() - 1) // drop the newline Encode appends
}

// FromFloat32 returns an F32 tensor holding data, which must have exactly as many elements as
// shape describes. Shape and data are copied.
func FromFloat32(name string, shape []int, data []float32) Tensor {
	return fromValues("FromFloat32", name, F32, shape, data)
}

// FromFloat64 returns an F64 tensor holding data, which must have exactly as many elements as
// shape describes. Shape and data are copied.
func FromFloat64(name string, shape []int, data []float64) Tensor {
	return fromValues("FromFloat64", name, F64, shape, data)
}

// FromInt64 returns an I64 tensor holding data, which must have exactly as many elements as
// shape describes. Shape and data are copied.
func FromInt64(name string, shape []int, data []int64) Tensor {
	return fromValues("FromInt64", name, I64, shape, data)
}

// fromValues builds a tensor from each value's little-endian bytes, written in place by a loop
// per type (one store per value: appending through a function value per element made encoding
// the largest part of saving a checkpoint).
func fromValues[T float32 | float64 | int64](op, name string, dtype DType, shape []int, data []T) Tensor {
	checkElements(op, shape, len(data))
	out := make([]byte, dtype.Size()*len(data))
	switch d := any(data).(type) {
	case []float32:
		for i, v := range d {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range d {
			binary.LittleEndian.PutUint64(out[8*i:], math.Float64bits(v))
		}
	case []int64:
		for i, v := range d {
			binary.LittleEndian.PutUint64(out[8*i:], uint64(v))
		}
	}
	return Tensor{Name: name, DType: dtype, Shape: slices.Clone(shape), Data: out}
}

// checkElements panics when shape and the length of the data passed with it disagree: a
// programmer error, not something a file can cause.
func checkElements(op string, shape []int, n int) {
	elements := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("safetensors.%s: negative dimension in shape %v", op, shape))
		}
		elements *= d
	}
	if elements != n {
		panic(fmt.Sprintf("safetensors.%s: shape %v has %d elements, data has %d", op, shape, elements, n))
	}
}
