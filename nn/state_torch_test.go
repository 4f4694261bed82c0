package nn

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensorfile"
)

// torchTestdata holds .pth files written by PyTorch (scripts/golden/torchfile_fixtures.py).
var torchTestdata = filepath.Join("..", "internal", "torchfile", "testdata")

// TestLoadFileTorch: LoadFile reads a torch.save state dict found by content. The file is
// instancenorm_legacy.pth, an old-style checkpoint of Sequential(ReflectionPad2d(3),
// Conv2d(3, 4, 3), InstanceNorm2d(4, track_running_stats=True)) saved under "model.": strictly
// its InstanceNorm buffers are unexpected keys (load_state_dict(strict=True) says the same of a
// module without running statistics), and Ignore drops them, as the official CycleGAN loader's
// __patch_instance_norm_state_dict does.
func TestLoadFileTorch(t *testing.T) {
	path := filepath.Join(torchTestdata, "instancenorm_legacy.pth")
	newModule := func() *Sequential {
		return NewSequential(NewReflectionPad2d(3), NewConv2d(tensor.NewRNG(1), 3, 4, 3, Conv2dOptions{}),
			NewInstanceNorm2d(4, InstanceNorm2dOptions{}))
	}
	m := newModule()
	before := snapshot(m)
	var e *StateDictError
	err := LoadFileOptions(path, m, LoadOptions{Strict: true, Prefix: "model"})
	if !errors.As(err, &e) || !slices.Equal(e.Unexpected, []string{"2.num_batches_tracked", "2.running_mean", "2.running_var"}) ||
		len(e.Missing)+len(e.Mismatched) != 0 || !strings.Contains(err.Error(), path) {
		t.Fatalf("strict load of a file with InstanceNorm buffers: %v", err)
	}
	if !sameValues(before, snapshot(m)) {
		t.Error("a failed load changed the module")
	}
	if err := LoadFile(path, m, true); !errors.As(err, &e) || len(e.Missing) != 2 || len(e.Unexpected) != 5 {
		t.Errorf("strict load without the prefix: %v; want 2 missing and 5 unexpected keys", err)
	}

	isBuffer := func(key string) bool {
		return strings.HasPrefix(key, "2.") && slices.Contains([]string{"running_mean", "running_var", "num_batches_tracked"}, key[2:])
	}
	if err := LoadFileOptions(path, m, LoadOptions{Strict: true, Prefix: "model", Ignore: isBuffer}); err != nil {
		t.Fatal(err)
	}
	want, err := tensorfile.Open(filepath.Join(torchTestdata, "expected.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, np := range m.NamedParameters() {
		w, err := want.Tensor("instancenorm/model." + np.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(np.Param.Value.Float32s(), w.Float32s()) {
			t.Errorf("%s: loaded %v, PyTorch saved %v", np.Name, np.Param.Value.Float32s(), w.Float32s())
		}
	}
}

// TestLoadFilePrefix: Prefix selects one network of a file holding several, and a non-strict
// load skips what the module lacks.
func TestLoadFilePrefix(t *testing.T) {
	dir := t.TempDir()
	src := NewSequential(NewConv2d(tensor.NewRNG(2), 2, 3, 1, Conv2dOptions{}))
	other := NewSequential(NewConv2d(tensor.NewRNG(3), 2, 3, 1, Conv2dOptions{}))
	all := map[string]*tensor.Tensor{"extra": tensor.FromFloat32([]float32{1})}
	for k, v := range StateDict(src) {
		all["A."+k] = v
	}
	for k, v := range StateDict(other) {
		all["B."+k] = v
	}
	path := filepath.Join(dir, "two.safetensors")
	if err := tensorfile.Write(path, all, nil); err != nil {
		t.Fatal(err)
	}
	dst := NewSequential(NewConv2d(tensor.NewRNG(4), 2, 3, 1, Conv2dOptions{}))
	if err := LoadFileOptions(path, dst, LoadOptions{Strict: true, Prefix: "A"}); err != nil {
		t.Fatal(err)
	}
	if !sameValues(snapshot(src), snapshot(dst)) {
		t.Error("Prefix A did not load A's tensors")
	}
	if err := LoadFileOptions(path, dst, LoadOptions{Strict: true}); err == nil {
		t.Error("a strict load without a prefix accepted A.* and B.* keys")
	}
}
