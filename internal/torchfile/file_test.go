package torchfile

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
)

// tensorReader is what a caller that accepts either checkpoint format needs; both files have it.
type tensorReader interface {
	Names() []string
	Tensor(name string) (safetensors.Tensor, bool)
	Float32s(name string) ([]float32, []int, error)
	Float64s(name string) ([]float64, []int, error)
	Int64s(name string) ([]int64, []int, error)
}

var (
	_ tensorReader = (*File)(nil)
	_ tensorReader = (*safetensors.File)(nil)
)

// fixtures maps each file written by scripts/golden/torchfile_fixtures.py to its group of
// expected values in testdata/expected.safetensors.
var fixtures = map[string]string{
	"generator_zip.pth":          "generator",
	"generator_legacy.pth":       "generator",
	"instancenorm_legacy.pth":    "instancenorm",
	"views_zip.pth":              "views",
	"views_legacy.pth":           "views",
	"views_legacy_protocol4.pth": "views",
	"dtypes_zip.pth":             "dtypes",
	"dtypes_legacy.pth":          "dtypes",
	"nested_zip.pth":             "nested",
	"cuda_legacy.pth":            "cuda",
	"cuda_zip.pth":               "cuda",
}

func readExpected(t *testing.T) *safetensors.File {
	t.Helper()
	want, err := safetensors.ReadFile(filepath.Join("testdata", "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// expectedNames returns the names of group in expected.safetensors, in file order, without the
// group prefix.
func expectedNames(want *safetensors.File, group string) []string {
	var names []string
	for _, n := range want.Names() {
		if rest, ok := strings.CutPrefix(n, group+"/"); ok {
			names = append(names, rest)
		}
	}
	return names
}

// TestFixtures reads every file torch wrote and compares each tensor's name (in order), dtype,
// shape and bytes with what torch saved.
func TestFixtures(t *testing.T) {
	want := readExpected(t)
	for file, group := range fixtures {
		t.Run(file, func(t *testing.T) {
			f, err := ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			names := expectedNames(want, group)
			if len(names) == 0 {
				t.Fatalf("expected.safetensors has no group %q", group)
			}
			if got := f.Names(); !slices.Equal(got, names) {
				t.Fatalf("names\n%q\nwant\n%q", got, names)
			}
			for _, name := range names {
				got, ok := f.Tensor(name)
				exp, _ := want.Tensor(group + "/" + name)
				if !ok || got.Name != name || got.DType != exp.DType || !slices.Equal(got.Shape, exp.Shape) || !bytes.Equal(got.Data, exp.Data) {
					t.Errorf("%s: got %s %v (%d bytes, found %v), want %s %v (%d bytes)", name, got.DType, got.Shape, len(got.Data), ok, exp.DType, exp.Shape, len(exp.Data))
				}
			}
		})
	}
}

// TestGeneratorKeys checks the official key names and shapes of the ngf 4, 2-block generator,
// independently of the expected file.
func TestGeneratorKeys(t *testing.T) {
	f, err := ReadFile(filepath.Join("testdata", "generator_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	for name, shape := range map[string][]int{
		"model.1.weight":               {4, 3, 7, 7},
		"model.4.weight":               {8, 4, 3, 3},
		"model.7.bias":                 {16},
		"model.10.conv_block.1.weight": {16, 16, 3, 3},
		"model.11.conv_block.5.bias":   {16},
		"model.12.weight":              {16, 8, 3, 3}, // ConvTranspose2d: [in, out, kh, kw]
		"model.19.weight":              {3, 4, 7, 7},
	} {
		if got, ok := f.Tensor(name); !ok || got.DType != safetensors.F32 || !slices.Equal(got.Shape, shape) {
			t.Errorf("%s: %s %v (found %v), want F32 %v", name, got.DType, got.Shape, ok, shape)
		}
	}
	if n := len(f.Names()); n != 20 {
		t.Errorf("%d tensors, want 20 (10 convolutions, weight and bias)", n)
	}
}

// TestConversions compares Float32s, Float64s and Int64s with safetensors' conversions of the
// same expected tensors.
func TestConversions(t *testing.T) {
	want := readExpected(t)
	f, err := ReadFile(filepath.Join("testdata", "dtypes_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"half", "bfloat16", "double", "empty"} {
		got32, shape, err := f.Float32s(name)
		exp32, expShape, expErr := want.Float32s("dtypes/" + name)
		if err != nil || expErr != nil || !slices.Equal(shape, expShape) || !sameFloats(got32, exp32) {
			t.Errorf("Float32s(%s) = %v %v, %v; want %v %v", name, got32, shape, err, exp32, expShape)
		}
		got64, _, err := f.Float64s(name)
		exp64, _, _ := want.Float64s("dtypes/" + name)
		if err != nil || !sameFloats(got64, exp64) {
			t.Errorf("Float64s(%s) = %v, %v; want %v", name, got64, err, exp64)
		}
	}
	for _, name := range []string{"long", "int", "short", "char", "byte"} {
		got, _, err := f.Int64s(name)
		exp, _, expErr := want.Int64s("dtypes/" + name)
		if err != nil || expErr != nil || !slices.Equal(got, exp) {
			t.Errorf("Int64s(%s) = %v, %v; want %v", name, got, err, exp)
		}
	}
	if got, shape, err := f.Int64s("bool"); err != nil || !slices.Equal(got, []int64{1, 0, 0, 1}) || !slices.Equal(shape, []int{2, 2}) {
		t.Errorf("Int64s(bool) = %v %v, %v; want [1 0 0 1] [2 2]", got, shape, err)
	}
	if _, _, err := f.Float32s("long"); err == nil || !strings.Contains(err.Error(), "I64") {
		t.Errorf("Float32s of an I64 tensor: %v, want an error naming I64", err)
	}
	if _, _, err := f.Int64s("half"); err == nil {
		t.Errorf("Int64s of an F16 tensor: no error")
	}
	if _, _, err := f.Float32s("missing"); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("Float32s of a missing tensor: %v", err)
	}
}

func sameFloats[T float32 | float64](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i]))) {
			return false
		}
		if math.Signbit(float64(a[i])) != math.Signbit(float64(b[i])) {
			return false
		}
	}
	return true
}

// TestFloat16MatchesSafetensors checks the binary16 widening this package's Float32s uses
// (internal/safetensors' Float16ToFloat32) against safetensors.File.Float32s on every bit
// pattern, through a safetensors file of all 65,536.
func TestFloat16MatchesSafetensors(t *testing.T) {
	data := make([]byte, 2<<16)
	for i := range 1 << 16 {
		data[2*i], data[2*i+1] = byte(i), byte(i>>8)
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, []safetensors.Tensor{{Name: "h", DType: safetensors.F16, Shape: []int{1 << 16}, Data: data}}, nil); err != nil {
		t.Fatal(err)
	}
	sf, err := safetensors.Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := sf.Float32s("h")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1 << 16 {
		if got := safetensors.Float16ToFloat32(uint16(i)); math.Float32bits(got) != math.Float32bits(want[i]) {
			t.Fatalf("Float16ToFloat32(%#04x) = %#08x, safetensors says %#08x", i, math.Float32bits(got), math.Float32bits(want[i]))
		}
	}
}

// TestViewsAliasOrCopy checks that a contiguous view is a slice of the shared storage (no copy)
// and that a transposed one is gathered into a copy of the right values.
func TestViewsAliasOrCopy(t *testing.T) {
	f, err := ReadFile(filepath.Join("testdata", "views_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := f.Tensor("base")
	row, _ := f.Tensor("row")
	if &row.Data[0] != &base.Data[16] {
		t.Errorf("row 1 of base is not a slice of base's storage at element 4")
	}
	tr, _, err := f.Float32s("transposed")
	if err != nil {
		t.Fatal(err)
	}
	// base = arange(12).reshape(3, 4) * 0.5 - 1, so base.t()[i][j] = (4j + i) * 0.5 - 1.
	for i := range 4 {
		for j := range 3 {
			if want := float32(4*j+i)*0.5 - 1; tr[3*i+j] != want {
				t.Errorf("transposed[%d][%d] = %g, want %g", i, j, tr[3*i+j], want)
			}
		}
	}
}

func TestTorchScriptIsRejected(t *testing.T) {
	_, err := ReadFile(filepath.Join("testdata", "torchscript.pt"))
	want := "torchscript.pt: a TorchScript archive (torch.jit.save); save a state_dict with torch.save instead"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInvalid) {
		t.Errorf("err = %v, want one containing %q", err, want)
	}
}

func TestIsTorchFile(t *testing.T) {
	for _, file := range []string{"generator_zip.pth", "generator_legacy.pth", "views_legacy_protocol4.pth", "torchscript.pt"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if !IsTorchFile(data[:SniffLen]) {
			t.Errorf("IsTorchFile(%s) = false", file)
		}
	}
	for _, prefix := range [][]byte{nil, []byte("PK"), []byte("{\"a\": 1}"), legacyPrefix[:len(legacyPrefix)-1], {opProto, 2, opLong1, 10, 0x6d, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}} {
		if IsTorchFile(prefix) {
			t.Errorf("IsTorchFile(%q) = true", prefix)
		}
	}
}

// decodeErr decodes data and returns the error text, failing if there is none or it does not
// wrap ErrInvalid.
func decodeErr(t *testing.T, data []byte) string {
	t.Helper()
	f, err := Decode(data)
	if err == nil {
		t.Fatalf("Decode succeeded with names %q, want an error", f.Names())
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	return err.Error()
}

// legacyOneTensor is a legacy file holding {"w": tensor} whose object pickle is written by obj.
func legacyOneTensor(t *testing.T, obj func(p *pickleBuilder), storages ...legacyStorage) []byte {
	var p pickleBuilder
	p.proto(2).stateDict(func(p *pickleBuilder) { p.str("w"); obj(p) })
	return legacyFile(t, p.stop(), true, storages...)
}

func TestForbiddenGlobals(t *testing.T) {
	// GLOBAL os.system called on a command, where a tensor belongs.
	msg := decodeErr(t, legacyOneTensor(t, func(p *pickleBuilder) {
		p.global("os", "system").str("touch /tmp/pwned").op(opTuple1, opReduce)
	}))
	if !strings.Contains(msg, "os.system") || !strings.Contains(msg, "never runs code") {
		t.Errorf("error %q does not name os.system", msg)
	}
	// STACK_GLOBAL (protocol 4) of builtins.eval, in a zip file.
	var p pickleBuilder
	p.proto(4).str("builtins").str("eval").op(opStackGlobal).str("1+1").op(opTuple1, opReduce)
	msg = decodeErr(t, zipFile(t, zipRecord{name: "archive/data.pkl", data: p.stop()}))
	if !strings.Contains(msg, "builtins.eval") {
		t.Errorf("error %q does not name builtins.eval", msg)
	}
	// INST, protocol 0's call.
	p.Reset()
	p.op(opMark).str("x").WriteString("iposix\nsystem\n")
	msg = decodeErr(t, legacyFile(t, p.stop(), true))
	if !strings.Contains(msg, "posix.system") {
		t.Errorf("error %q does not name posix.system", msg)
	}
	// An allowed name that is not a function: calling a storage class.
	msg = decodeErr(t, legacyOneTensor(t, func(p *pickleBuilder) {
		p.global("torch", "FloatStorage").op(opEmptyTuple, opReduce)
	}))
	if !strings.Contains(msg, "calls torch.FloatStorage") {
		t.Errorf("error %q does not say it calls torch.FloatStorage", msg)
	}
}

func TestTruncatedFiles(t *testing.T) {
	for _, file := range []string{"views_zip.pth", "views_legacy.pth"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(data); n++ {
			if _, err := Decode(data[:n]); err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s cut to %d of %d bytes: err = %v, want ErrInvalid", file, n, len(data), err)
			}
		}
	}
}

func TestZipStorageShorterThanTensor(t *testing.T) {
	var p pickleBuilder
	p.proto(2).stateDict(func(p *pickleBuilder) {
		p.str("w").tensorV2(func(p *pickleBuilder) { p.storagePID("FloatStorage", "0", 4) }, 0, []int64{4}, []int64{1})
	})
	msg := decodeErr(t, zipFile(t,
		zipRecord{name: "archive/data.pkl", data: p.stop()},
		zipRecord{name: "archive/data/0", data: float32Bytes(1, 2, 3)}))
	if !strings.Contains(msg, `storage "0" holds 12 bytes, fewer than its 4 elements of F32 need`) {
		t.Errorf("error %q", msg)
	}
	// The same with the full 16 bytes reads.
	f, err := Decode(zipFile(t,
		zipRecord{name: "archive/data.pkl", data: p.Bytes()},
		zipRecord{name: "archive/data/0", data: float32Bytes(1, 2, 3, 4)},
		zipRecord{name: "archive/version", data: []byte("3\n")}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := f.Float32s("w"); err != nil || !slices.Equal(got, []float32{1, 2, 3, 4}) {
		t.Errorf("w = %v, %v", got, err)
	}
	// A compressed record is refused rather than inflated.
	msg = decodeErr(t, zipFile(t,
		zipRecord{name: "archive/data.pkl", data: p.Bytes()},
		zipRecord{name: "archive/data/0", data: float32Bytes(1, 2, 3, 4), deflate: true}))
	if !strings.Contains(msg, "archive/data/0 is compressed") {
		t.Errorf("error %q", msg)
	}
	// A big-endian zip file (byteorder record, PyTorch 2.x on s390x).
	be := []byte{0x3f, 0x80, 0, 0, 0x40, 0, 0, 0, 0x40, 0x40, 0, 0, 0x40, 0x80, 0, 0}
	f, err = Decode(zipFile(t,
		zipRecord{name: "archive/data.pkl", data: p.Bytes()},
		zipRecord{name: "archive/byteorder", data: []byte("big")},
		zipRecord{name: "archive/data/0", data: be}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := f.Float32s("w"); err != nil || !slices.Equal(got, []float32{1, 2, 3, 4}) {
		t.Errorf("big-endian w = %v, %v", got, err)
	}
}

func TestLegacyWrongMagic(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "views_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	data[5] ^= 1
	msg := decodeErr(t, data)
	if _, err := Decode(data); !errors.Is(err, ErrNotTorchFile) || !strings.Contains(msg, "not a PyTorch file") {
		t.Errorf("error %q does not wrap ErrNotTorchFile", msg)
	}
}

// TestLegacyOldTorch reads what torch 0.3 and Python 2 wrote and 1.13 does not: _rebuild_tensor
// with 4 arguments, storage views, SHORT_BINSTRING keys, a big-endian machine, and BUILD of an
// OrderedDict's _metadata.
func TestLegacyOldTorch(t *testing.T) {
	values := float32Bytes(10, 11, 12, 13, 14, 15)
	var p pickleBuilder
	p.proto(2).global("collections", "OrderedDict").op(opEmptyTuple, opReduce, opMark)
	// Python 2's str key, torch 0.3's _rebuild_tensor, a 2x2 view at offset 1 of storage "a".
	p.op(opShortBinString, 1, 'x')
	p.global("torch._utils", "_rebuild_tensor").op(opMark)
	p.legacyStoragePID("FloatStorage", "a", 6).int(1).ints(2, 2).ints(2, 1).op(opTuple, opReduce)
	// A storage view (view_metadata): elements 2..5 of storage "a" as storage "v".
	p.str("y").global("torch._utils", "_rebuild_tensor_v2").op(opMark)
	p.op(opMark).str("storage").global("torch.cuda", "FloatStorage").str("a").str("cuda:0").int(6)
	p.str("v").int(2).int(4).op(opTuple3, opTuple, opBinPersID)
	p.int(1).ints(3).ints(1).op(opNewFalse).global("collections", "OrderedDict").op(opEmptyTuple, opReduce)
	p.global("collections", "OrderedDict").op(opEmptyTuple, opReduce) // the seventh argument, metadata
	p.op(opTuple, opReduce, opSetItems)
	// BUILD with {"_metadata": OrderedDict()}.
	p.op(opEmptyDict).str("_metadata").global("collections", "OrderedDict").op(opEmptyTuple, opReduce, opSetItem, opBuild)
	object := p.stop()

	for _, little := range []bool{true, false} {
		data := values
		if !little {
			data = bytes.Clone(values)
			for i := 0; i < len(data); i += 4 {
				slices.Reverse(data[i : i+4])
			}
		}
		f, err := Decode(legacyFile(t, object, little, legacyStorage{"a", 6, data}))
		if err != nil {
			t.Fatalf("little-endian %v: %v", little, err)
		}
		if got := f.Names(); !slices.Equal(got, []string{"x", "y"}) {
			t.Errorf("names %q", got)
		}
		x, xs, err := f.Float32s("x")
		if err != nil || !slices.Equal(x, []float32{11, 12, 13, 14}) || !slices.Equal(xs, []int{2, 2}) {
			t.Errorf("little-endian %v: x = %v %v, %v; want [11 12 13 14] [2 2]", little, x, xs, err)
		}
		y, _, err := f.Float32s("y")
		if err != nil || !slices.Equal(y, []float32{13, 14, 15}) {
			t.Errorf("little-endian %v: y = %v, %v; want [13 14 15]", little, y, err)
		}
	}
}

// TestBadGeometry covers tensors that reach outside their storage, expanded views, and lies
// about sizes that would make a reader allocate from a tiny file.
func TestBadGeometry(t *testing.T) {
	tensor := func(numel, offset int64, size, stride []int64) []byte {
		return legacyOneTensor(t, func(p *pickleBuilder) {
			p.tensorV2(func(p *pickleBuilder) { p.legacyStoragePID("FloatStorage", "0", numel) }, offset, size, stride)
		}, legacyStorage{"0", numel, make([]byte, 4*numel)})
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"past the end", tensor(4, 1, []int64{4}, []int64{1}), "reaches element 4 of a storage of 4"},
		{"stride past the end", tensor(4, 0, []int64{2, 2}, []int64{3, 1}), "reaches element 4"},
		{"expanded", tensor(1, 0, []int64{1 << 30}, []int64{0}), "more elements than its storage's 1"},
		{"stride overflow", tensor(9, 0, []int64{3, 3}, []int64{1 << 61, 1 << 61}), "reach past any storage"},
		{"size and stride lengths", tensor(4, 0, []int64{2, 2}, []int64{1}), "differ in length"},
		{"negative size", tensor(4, 0, []int64{-1}, []int64{1}), "not an int >= 0"},
		{"huge storage", legacyOneTensor(t, func(p *pickleBuilder) {
			p.tensorV2(func(p *pickleBuilder) { p.legacyStoragePID("FloatStorage", "0", 1<<60) }, 0, []int64{1}, []int64{1})
		}), "claims 1152921504606846976 elements of F32, more than the"},
		{"huge string", append(append(bytes.Clone(legacyPrefix), opStop, opProto, 2, opBinUnicode8), 0, 0, 0, 0, 0, 0, 0, 0x10), "1152921504606846976 bytes with 0 left"},
		{"storage count mismatch", legacyOneTensor(t, func(p *pickleBuilder) {
			p.tensorV2(func(p *pickleBuilder) { p.legacyStoragePID("FloatStorage", "0", 2) }, 0, []int64{2}, []int64{1})
		}, legacyStorage{"0", 3, make([]byte, 12)}), "holds 3 elements, but its tensors were saved with 2"},
		{"storage missing", legacyOneTensor(t, func(p *pickleBuilder) {
			p.tensorV2(func(p *pickleBuilder) { p.legacyStoragePID("FloatStorage", "0", 2) }, 0, []int64{2}, []int64{1})
		}), "missing from the storage keys"},
		{"storage class", legacyOneTensor(t, func(p *pickleBuilder) {
			p.tensorV2(func(p *pickleBuilder) { p.legacyStoragePID("ComplexFloatStorage", "0", 2) }, 0, []int64{2}, []int64{1})
		}), "torch.ComplexFloatStorage"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if msg := decodeErr(t, c.data); !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not contain %q", msg, c.want)
			}
		})
	}
}

// TestCyclesAndSharing: a list that contains itself, and tuples that double at each level
// through the memo (2^40 paths in a few hundred bytes), must fail fast.
func TestCyclesAndSharing(t *testing.T) {
	var p pickleBuilder
	p.proto(2).op(opEmptyList, opBinPut, 0, opBinGet, 0, opAppend)
	msg := decodeErr(t, legacyFile(t, p.stop(), true))
	if !strings.Contains(msg, "nests deeper than 64 levels") {
		t.Errorf("self-containing list: %q", msg)
	}

	p.Reset()
	p.proto(2).op(opEmptyList)
	for i := range 40 {
		p.op(opBinPut, byte(i), opBinGet, byte(i), opTuple2)
	}
	msg = decodeErr(t, legacyFile(t, p.stop(), true))
	if !strings.Contains(msg, "more values than its") {
		t.Errorf("doubling tuples: %q", msg)
	}
}

func TestNamesOfNestedObjects(t *testing.T) {
	f, err := ReadFile(filepath.Join("testdata", "nested_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"G_A.model.1.weight", "G_A.model.1.bias", "G_A.model.4.weight", "G_B.model.1.weight", "lists.0", "lists.4.0", "param"}
	if got := f.Names(); !slices.Equal(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
	// A single tensor saved on its own is named "".
	var p pickleBuilder
	p.proto(2).tensorV2(func(p *pickleBuilder) { p.legacyStoragePID("LongStorage", "0", 1) }, 0, nil, nil)
	f, err = Decode(legacyFile(t, p.stop(), true, legacyStorage{"0", 1, []byte{42, 0, 0, 0, 0, 0, 0, 0}}))
	if err != nil {
		t.Fatal(err)
	}
	if got, shape, err := f.Int64s(""); err != nil || !slices.Equal(got, []int64{42}) || len(shape) != 0 {
		t.Errorf(`Int64s("") = %v %v, %v; want [42] []`, got, shape, err)
	}
}

// TestProtocol0 reads a text pickle (protocol 0): the spellings Python 2's default used.
func TestProtocol0(t *testing.T) {
	var p pickleBuilder
	p.WriteString("ccollections\nOrderedDict\n(tR(S'it\\'s'\nI-7\nVcaf\\u00e9\nL123456789012345678901234567890L\nS\"w\"\n")
	p.WriteString("ctorch._utils\n_rebuild_tensor_v2\n((S'storage'\nctorch\nByteStorage\nS'k'\nS'cpu'\nI3\nNtQI0\n(I3\ntp0\n(I1\nt")
	p.WriteString("I00\nccollections\nOrderedDict\n(tRtRu.")
	f, err := Decode(legacyFile(t, p.Bytes(), true, legacyStorage{"k", 3, []byte{7, 8, 9}}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := f.Int64s("w"); err != nil || !slices.Equal(got, []int64{7, 8, 9}) {
		t.Errorf("w = %v, %v", got, err)
	}
	if got := f.Names(); !slices.Equal(got, []string{"w"}) {
		t.Errorf("names %q: the non-tensor values under \"it's\" and \"café\" should be skipped", got)
	}
}

func TestReadFileErrors(t *testing.T) {
	if _, err := ReadFile(filepath.Join("testdata", "missing.pth")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadFile("testdata"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("folder: %v", err)
	}
	_, err := ReadFile(filepath.Join("testdata", "expected.safetensors"))
	if !errors.Is(err, ErrNotTorchFile) || !strings.Contains(err.Error(), "expected.safetensors") {
		t.Errorf("a safetensors file: %v, want ErrNotTorchFile naming the file", err)
	}
}
