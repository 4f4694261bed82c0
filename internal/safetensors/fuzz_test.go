package safetensors

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode. Whatever the input, Decode must return an error
// wrapping ErrInvalid or a File whose accessors work and which re-encodes to a file that decodes
// to the same tensors and encodes to the same bytes again.
//
//	go test -fuzz=FuzzDecode -fuzztime=60s ./internal/safetensors
func FuzzDecode(f *testing.F) {
	f.Add(encode(f, sampleTensors(), map[string]string{"format": "pt"}))
	f.Add(encode(f, nil, nil))
	if python, err := os.ReadFile(filepath.Join("testdata", "from_python.safetensors")); err == nil {
		f.Add(python)
	}
	f.Add(rawFile(`{"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]},"__metadata__":null,"a":{"dtype":"BF16","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1, 2, 3}))
	f.Add(rawFile(`{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}`, make([]byte, 20)))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode error %v does not wrap ErrInvalid", err)
			}
			return
		}
		exerciseAccessors(file)

		// A decoded file may hold names Encode refuses (invalid UTF-8 is caught earlier, so
		// only an Encode bug would fail here).
		var first bytes.Buffer
		if err := Encode(&first, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("re-encoding a decoded file: %v", err)
		}
		again, err := Decode(first.Bytes())
		if err != nil {
			t.Fatalf("decoding a re-encoded file: %v", err)
		}
		if len(again.Tensors) != len(file.Tensors) || len(again.Metadata) != len(file.Metadata) {
			t.Fatalf("round trip changed the file: %d tensors and %d metadata keys, want %d and %d",
				len(again.Tensors), len(again.Metadata), len(file.Tensors), len(file.Metadata))
		}
		for _, want := range file.Tensors {
			if got, ok := again.Tensor(want.Name); !ok || !sameTensor(got, want) {
				t.Fatalf("round trip changed tensor %q: %+v, want %+v", want.Name, got, want)
			}
		}
		for k, v := range file.Metadata {
			if again.Metadata[k] != v {
				t.Fatalf("round trip changed metadata %q: %q, want %q", k, again.Metadata[k], v)
			}
		}
		var second bytes.Buffer
		if err := Encode(&second, again.Tensors, again.Metadata); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatal("Encode is not deterministic across a round trip")
		}
	})
}
