package nn

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

func smallModel(seed uint64) *Sequential {
	rng := tensor.NewRNG(seed)
	return NewSequential(
		NewConv2d(rng, 3, 4, 3, Conv2dOptions{Padding: 1}),
		NewInstanceNorm2d(4, InstanceNorm2dOptions{Affine: true}),
		NewReLU(),
		NewConvTranspose2d(rng, 4, 2, 3, ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1, NoBias: true}),
	)
}

// snapshot copies every parameter's values.
func snapshot(m Module) map[string][]float64 {
	out := map[string][]float64{}
	for _, np := range m.NamedParameters() {
		out[np.Name] = np.Param.Value.Float64s()
	}
	return out
}

func sameValues(a, b map[string][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestStateDictRoundTrip(t *testing.T) {
	src, dst := smallModel(1), smallModel(2)
	sd := StateDict(src)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range sd {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"0.bias", "0.weight", "1.bias", "1.weight", "3.weight"}; !slices.Equal(keys, want) {
		t.Fatalf("keys %q, want %q", keys, want)
	}
	if sd["0.weight"] != src.Layers[0].(*Conv2d).Weight.Value {
		t.Error("StateDict must return the parameters' own values, as PyTorch does")
	}
	if sameValues(snapshot(src), snapshot(dst)) {
		t.Fatal("two seeds gave the same model")
	}
	w := dst.Layers[0].(*Conv2d).Weight
	if err := LoadStateDict(dst, sd, true); err != nil {
		t.Fatal(err)
	}
	if !sameValues(snapshot(src), snapshot(dst)) {
		t.Error("loaded values differ")
	}
	if dst.Layers[0].(*Conv2d).Weight != w {
		t.Error("loading replaced a parameter; optimizers holding it would not see the new values")
	}
	if dst.Layers[0].(*Conv2d).Weight.Value == sd["0.weight"] {
		t.Error("loading must copy values, not share the state dict's tensors")
	}
}

func TestLoadStateDictConvertsDType(t *testing.T) {
	src, dst := smallModel(1), smallModel(2)
	Cast(src, tensor.Float64)
	if err := LoadStateDict(dst, StateDict(src), true); err != nil {
		t.Fatal(err)
	}
	if dst.Layers[0].(*Conv2d).Weight.DType() != tensor.Float32 {
		t.Error("the parameter's dtype must not change")
	}
	if !sameValues(snapshot(src), snapshot(dst)) { // the values were float32 to begin with
		t.Error("values differ after a float64 -> float32 load")
	}
}

func TestLoadStateDictReportsEveryProblem(t *testing.T) {
	dst := smallModel(2)
	before := snapshot(dst)
	sd := StateDict(smallModel(1))
	delete(sd, "1.bias")
	sd["0.weight"] = tensor.Zeros(tensor.Float32, 4, 3, 5, 5)
	sd["9.weight"] = tensor.Zeros(tensor.Float32, 2)
	sd["extra"] = tensor.Zeros(tensor.Float32, 1)

	err := LoadStateDict(dst, sd, true)
	var e *StateDictError
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *StateDictError", err)
	}
	if !slices.Equal(e.Missing, []string{"1.bias"}) || !slices.Equal(e.Unexpected, []string{"9.weight", "extra"}) ||
		len(e.Mismatched) != 1 || e.Mismatched[0].Key != "0.weight" ||
		!slices.Equal(e.Mismatched[0].Got, []int{4, 3, 5, 5}) || !slices.Equal(e.Mismatched[0].Want, []int{4, 3, 3, 3}) {
		t.Errorf("error %+v", e)
	}
	for _, frag := range []string{`missing keys ["1.bias"]`, `unexpected keys ["9.weight" "extra"]`, `size mismatch for "0.weight"`, "[4 3 5 5]", "[4 3 3 3]"} {
		if !strings.Contains(err.Error(), frag) {
			t.Errorf("message %q does not mention %s", err, frag)
		}
	}
	if !sameValues(before, snapshot(dst)) {
		t.Error("a failed load changed the module")
	}

	// Not strict: missing and unexpected keys are skipped, a wrong shape is still an error.
	err = LoadStateDict(dst, sd, false)
	if !errors.As(err, &e) || len(e.Missing)+len(e.Unexpected) != 0 || len(e.Mismatched) != 1 {
		t.Errorf("non-strict with a wrong shape: %v", err)
	}
	delete(sd, "0.weight")
	if err := LoadStateDict(dst, sd, false); err != nil {
		t.Fatalf("non-strict: %v", err)
	}
	after := snapshot(dst)
	if !slices.Equal(after["0.weight"], before["0.weight"]) || !slices.Equal(after["1.bias"], before["1.bias"]) ||
		!slices.Equal(after["0.bias"], sd["0.bias"].Float64s()) {
		t.Error("non-strict load must load exactly the keys present on both sides")
	}
}

func TestSaveFileLoadFile(t *testing.T) {
	dir := t.TempDir()
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		src := smallModel(1)
		Cast(src, dt)
		path := filepath.Join(dir, "model_"+dt.String()+".safetensors")
		if err := SaveFile(path, src); err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := safetensors.F32
		if dt == tensor.Float64 {
			want = safetensors.F64
		}
		if w, ok := f.Tensor("0.weight"); !ok || w.DType != want || !slices.Equal(w.Shape, []int{4, 3, 3, 3}) || f.Metadata["format"] != "pt" {
			t.Errorf("%s: file holds %+v, metadata %v", dt, w.Shape, f.Metadata)
		}
		dst := smallModel(2)
		if err := LoadFile(path, dst, true); err != nil {
			t.Fatal(err)
		}
		if !sameValues(snapshot(src), snapshot(dst)) {
			t.Errorf("%s: values differ after the round trip", dt)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the directory holds %d files, want just the 2 saved (no temporary leftovers)", len(entries))
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	m := smallModel(1)
	before := snapshot(m)

	missing := filepath.Join(dir, "nope.safetensors")
	if err := LoadFile(missing, m, true); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}

	good := filepath.Join(dir, "good.safetensors")
	if err := SaveFile(good, m); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.safetensors")
	if err := os.WriteFile(truncated, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := LoadFile(truncated, m, true); !errors.Is(err, safetensors.ErrInvalid) || !strings.Contains(err.Error(), truncated) {
		t.Errorf("truncated file: %v", err)
	}

	// Integer tensors: an error where one names a parameter, an unexpected key otherwise.
	f, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	ints := filepath.Join(dir, "ints.safetensors")
	withStep := append(slices.Clone(f.Tensors), safetensors.FromInt64("step", []int{}, []int64{7}))
	if err := safetensors.WriteFile(ints, withStep, nil); err != nil {
		t.Fatal(err)
	}
	var e *StateDictError
	if err := LoadFile(ints, m, true); !errors.As(err, &e) || !slices.Equal(e.Unexpected, []string{"step"}) || !strings.Contains(err.Error(), ints) {
		t.Errorf("strict load with an extra integer tensor: %v", err)
	}
	if err := LoadFile(ints, m, false); err != nil {
		t.Errorf("non-strict load with an extra integer tensor: %v", err)
	}
	var renamed []safetensors.Tensor
	for _, ts := range f.Tensors {
		if ts.Name != "1.bias" {
			renamed = append(renamed, ts)
		}
	}
	renamed = append(renamed, safetensors.FromInt64("1.bias", []int{4}, []int64{1, 2, 3, 4}))
	if err := safetensors.WriteFile(ints, renamed, nil); err != nil {
		t.Fatal(err)
	}
	if err := LoadFile(ints, m, false); err == nil || !strings.Contains(err.Error(), `"1.bias" is I64`) {
		t.Errorf("an integer tensor for a parameter: %v", err)
	}
	if !sameValues(before, snapshot(m)) {
		t.Error("failed loads changed the module")
	}
}
