package torchfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds Decode arbitrary bytes. No input may panic, every error must wrap ErrInvalid,
// and no tensor read back may be larger than the input: a reader must not allocate beyond what
// the file's size suggests. The seeds are the torch-written fixtures, truncations of them, and
// crafted files with cycles, deep nesting and huge declared sizes.
func FuzzRead(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.p*"))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 8000 {
			continue // the generators: large seeds slow every mutation down
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	var p pickleBuilder
	p.proto(2).op(opEmptyList, opBinPut, 0, opBinGet, 0, opAppend) // a list inside itself
	f.Add(legacyFile(f, p.stop(), true))
	p.Reset()
	p.proto(2).op(opEmptyList)
	for i := range 30 { // tuples doubling through the memo
		p.op(opBinPut, byte(i), opBinGet, byte(i), opTuple2)
	}
	f.Add(legacyFile(f, p.stop(), true))
	p.Reset()
	p.proto(2).WriteString(string(bytes.Repeat([]byte{opEmptyDict, opBinUnicode, 1, 0, 0, 0, 'k'}, 100))) // deep nesting
	p.op(opEmptyDict)
	for range 100 {
		p.op(opSetItem)
	}
	f.Add(legacyFile(f, p.stop(), true))
	var sp pickleBuilder
	sp.proto(2).stateDict(func(p *pickleBuilder) {
		p.str("w").tensorV2(func(p *pickleBuilder) { p.legacyStoragePID("FloatStorage", "0", 1<<40) }, 0, []int64{1 << 20, 1 << 20}, []int64{1 << 20, 1})
	})
	f.Add(legacyFile(f, sp.stop(), true, legacyStorage{"0", 4, make([]byte, 16)}))
	f.Add(zipFile(f, zipRecord{name: "archive/data.pkl", data: sp.Bytes()}, zipRecord{name: "archive/data/0", data: make([]byte, 16)}))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for _, name := range file.Names() {
			tensor, ok := file.Tensor(name)
			if !ok {
				t.Fatalf("Names lists %q but Tensor does not find it", name)
			}
			if len(tensor.Data) > len(data) {
				t.Fatalf("tensor %q has %d bytes from a %d-byte file", name, len(tensor.Data), len(data))
			}
			if len(tensor.Data) != tensor.NumElements()*tensor.DType.Size() {
				t.Fatalf("tensor %q: %d bytes for shape %v of %s", name, len(tensor.Data), tensor.Shape, tensor.DType)
			}
			file.Float32s(name)
			file.Int64s(name)
		}
	})
}
