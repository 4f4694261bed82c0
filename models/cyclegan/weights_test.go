package cyclegan

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// weightsTrainer is a small trainer (ngf = ndf = 4, one block) whose weights are those of one
// training step, not the initial ones, so that the weights are varied.
func weightsTrainer(t *testing.T) *Trainer {
	t.Helper()
	o := tinyOptions(tinyData(t, 1, 1, 36, 36))
	o.NGF, o.NDF, o.Blocks = 4, 4, 1
	tr, _ := trainTiny(t, o, 1)
	return tr
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// TestSaveWeightsFloat32RoundTrip: the generators come back bit for bit from a generators-only
// and from a networks-only file, and the file is a fraction of the full checkpoint.
func TestSaveWeightsFloat32RoundTrip(t *testing.T) {
	tr := weightsTrainer(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "latest.safetensors")
	if err := tr.Save(full); err != nil {
		t.Fatal(err)
	}
	sizes := map[NetworkSet]int64{}
	for _, set := range []NetworkSet{Generators, AllNetworks} {
		path := filepath.Join(dir, set.String()+".safetensors")
		if err := tr.SaveWeights(path, WeightsOptions{Networks: set, Metadata: map[string]string{"command": "cyclegan train -ngf 4"}}); err != nil {
			t.Fatal(err)
		}
		sizes[set] = fileSize(t, path)
		for d, want := range map[Direction]*ResnetGenerator{AtoB: tr.GA, BtoA: tr.GB} {
			g, err := LoadGenerator(path, d, tensor.CPU)
			if err != nil {
				t.Fatal(err)
			}
			requireSameParameters(t, set.String()+" "+string(d), want, g)
		}
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Metadata["command"] != "cyclegan train -ngf 4" || f.Metadata[contentsKey] != set.String() || f.Metadata["steps"] != "1" {
			t.Errorf("%s: command %q, contents %q, steps %q, want the command given, %q and 1",
				set, f.Metadata["command"], f.Metadata[contentsKey], f.Metadata["steps"], set)
		}
		wantTensors := len(nn.StateDict(tr.GA)) * 2
		if set == AllNetworks {
			wantTensors += len(nn.StateDict(tr.DA)) * 2
		}
		if len(f.Tensors) != wantTensors {
			t.Errorf("%s: %d tensors, want %d", set, len(f.Tensors), wantTensors)
		}
	}
	// The full state holds each network twice more (Adam's two moments) and the pools: at these
	// sizes the generators are a seventh of it.
	fullSize := fileSize(t, full)
	t.Logf("full %d bytes, networks %d, generators %d", fullSize, sizes[AllNetworks], sizes[Generators])
	if sizes[Generators] > fullSize/4 || sizes[AllNetworks] > fullSize/2 {
		t.Errorf("generators-only %d bytes, networks-only %d, full %d: want at most a quarter and a half of the full one",
			sizes[Generators], sizes[AllNetworks], fullSize)
	}
}

// forward runs g on img without a graph and returns its output, in the Tanh range [-1, 1].
func forward(g *ResnetGenerator, img *image.RGBA) []float32 {
	defer nn.RequiresGrad(g, false)()
	return g.Forward(autograd.Constant(ImageTensor(img))).Value.Float32s()
}

// TestWeightsFloat16TranslatesAlike: a float16 file is half the size of the float32 one, each
// weight read back is the float32 one rounded to float16, and the generator translates an
// image as the float32 one does, within a bound that follows from float16's precision.
func TestWeightsFloat16TranslatesAlike(t *testing.T) {
	tr := weightsTrainer(t)
	dir := t.TempDir()
	f32, f16 := filepath.Join(dir, "g32.safetensors"), filepath.Join(dir, "g16.safetensors")
	if err := tr.SaveWeights(f32, WeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := tr.SaveWeights(f16, WeightsOptions{DType: WeightsFloat16}); err != nil {
		t.Fatal(err)
	}
	// The data halves; the header (names, shapes, options, digests) stays as it is, but for the
	// digits of the data offsets.
	data := func(path string) int {
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, st := range f.Tensors {
			n += len(st.Data)
		}
		return n
	}
	params := 2 * int(numParams(generatorShapes(4, 1)))
	if d32, d16 := data(f32), data(f16); d32 != 4*params || d16 != 2*params {
		t.Errorf("float32 data %d bytes, float16 %d, want %d and %d for %d parameters", d32, d16, 4*params, 2*params, params)
	}
	t.Logf("generators of ngf 4 and 1 block: %d bytes in float32, %d in float16", fileSize(t, f32), fileSize(t, f16))
	g32, err := LoadGenerator(f32, AtoB, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	g16, err := LoadGenerator(f16, AtoB, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	// Round to nearest moves a weight w by at most half of float16's step: 2^-11·|w| for a
	// normal value (11 significant bits), 2^-25 in the subnormal range under 2^-14.
	const u = 0x1p-11
	p32, p16 := g32.NamedParameters(), g16.NamedParameters()
	for i := range p32 {
		want, got := p32[i].Param.Value.Float32s(), p16[i].Param.Value.Float32s()
		for j := range want {
			if diff := math.Abs(float64(got[j] - want[j])); diff > u*math.Abs(float64(want[j]))+0x1p-25 {
				t.Fatalf("%s[%d]: %g read back as %g from float16, beyond rounding", p32[i].Name, j, want[j], got[j])
			}
		}
	}

	img := image.NewRGBA(image.Rect(0, 0, 24, 20))
	for i := range img.Pix {
		img.Pix[i] = uint8(i*37 + i/96*11)
	}
	y32, y16 := forward(g32, img), forward(g16, img)
	// The bound: every weight is off by a relative u at most, and to first order a layer's
	// output is off by its weights' relative error plus its input's. InstanceNorm, which
	// follows every convolution but the last, divides out the scale, and Tanh's slope is at most
	// 1, so each of the generator's 1 + 2 + 2·blocks + 2 + 1 = 8 convolutions adds at most about
	// u to the output's error: 8u = 3.9e-3, half of one of the 255 levels (2/255 = 7.8e-3 in
	// [-1, 1]) of a saved image. Rounding errors of random signs mostly cancel, so the measured
	// error is several times smaller (6.4e-4 here).
	const layers = 1 + 2 + 2*1 + 2 + 1
	worst := 0.0
	for i := range y32 {
		worst = max(worst, math.Abs(float64(y16[i]-y32[i])))
	}
	t.Logf("largest difference of the float16 generator's output: %.3g (bound %.3g)", worst, layers*u)
	if worst > layers*u {
		t.Errorf("the float16 generator's output differs by up to %g from the float32 one's, want at most %g", worst, layers*u)
	}
}

// TestLoadTrainerRefusesWeightsOnly: a weights-only file cannot resume training, and the error
// says why.
func TestLoadTrainerRefusesWeightsOnly(t *testing.T) {
	tr := weightsTrainer(t)
	for _, c := range []struct {
		set  NetworkSet
		want string
	}{{Generators, "is a generators-only checkpoint: it cannot resume training"}, {AllNetworks, "is a networks-only checkpoint: it cannot resume training"}} {
		path := filepath.Join(t.TempDir(), "epoch005.safetensors")
		if err := tr.SaveWeights(path, WeightsOptions{Networks: c.set, DType: WeightsFloat16}); err != nil {
			t.Fatal(err)
		}
		_, err := LoadTrainer(path, tensor.CPU)
		if err == nil || !strings.Contains(err.Error(), path+" "+c.want) || !strings.Contains(err.Error(), "full checkpoint") {
			t.Errorf("LoadTrainer of a %s file: %v, want %q and where to find a full checkpoint", c.set, err, c.want)
		}
	}
}

// TestWeightsDigests: SaveWeights records the digests of the data it writes, in float16 too, and
// LoadGenerator checks them.
func TestWeightsDigests(t *testing.T) {
	tr := weightsTrainer(t)
	path := filepath.Join(t.TempDir(), "g16.safetensors")
	if err := tr.SaveWeights(path, WeightsOptions{DType: WeightsFloat16}); err != nil {
		t.Fatal(err)
	}
	// In a little-endian float16 the first byte's lowest bit is the mantissa's last: the value
	// stays finite, and only the digest can tell.
	flipBit(t, path, "G_B.model.1.weight")
	if _, err := LoadGenerator(path, BtoA, tensor.CPU); err == nil || !strings.Contains(err.Error(), "G_B.model.1.weight") || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("LoadGenerator with a bit flipped in G_B.model.1.weight: %v, want an error naming it and its SHA-256", err)
	}
	if _, err := LoadGenerator(path, AtoB, tensor.CPU); err != nil {
		t.Errorf("LoadGenerator of the intact G_A: %v", err)
	}
	if _, err := (CheckpointReader{SkipChecksum: true}).LoadGenerator(path, BtoA, tensor.CPU); err != nil {
		t.Errorf("LoadGenerator with SkipChecksum: %v", err)
	}
}

// TestLoadGeneratorFloat64Weights: a weights file in float64 (as another tool might convert
// one) loads, exactly.
func TestLoadGeneratorFloat64Weights(t *testing.T) {
	tr := weightsTrainer(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "g32.safetensors")
	if err := tr.SaveWeights(src, WeightsOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var wide []safetensors.Tensor
	for _, st := range f.Tensors {
		data, shape, err := f.Float64s(st.Name)
		if err != nil {
			t.Fatal(err)
		}
		wide = append(wide, safetensors.FromFloat64(st.Name, shape, data))
	}
	f.Metadata[digestKey] = safetensors.Digests(wide)
	path := filepath.Join(dir, "g64.safetensors")
	if err := safetensors.WriteFile(path, wide, f.Metadata); err != nil {
		t.Fatal(err)
	}
	g, err := LoadGenerator(path, BtoA, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	requireSameParameters(t, "float64 weights", tr.GB, g)
}

// TestSaveWeightsRefuses: weights that float16 cannot hold, non-finite weights and metadata keys
// that would clash with the file's own are errors that name the culprit, and write nothing.
func TestSaveWeightsRefuses(t *testing.T) {
	tr := weightsTrainer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	for _, c := range []struct {
		w    WeightsOptions
		want string
	}{
		{WeightsOptions{Metadata: map[string]string{"options": "{}"}}, `"options" is one of the checkpoint's own keys`},
		{WeightsOptions{Metadata: map[string]string{"G_A.x": "1"}}, `"G_A.x"`},
		{WeightsOptions{Networks: 7}, "networks NetworkSet(7)"},
		{WeightsOptions{DType: 9}, "dtype WeightsDType(9)"},
	} {
		if err := tr.SaveWeights(path, c.w); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SaveWeights(%+v): %v, want an error with %q", c.w, err, c.want)
		}
	}

	w := tr.GA.NamedParameters()[0]
	values := w.Param.Value.Float32s()
	values[3] = 70000 // beyond float16's 65504
	w.Param.Value = tensor.FromFloat32(values, w.Param.Value.Shape()...)
	err := tr.SaveWeights(path, WeightsOptions{DType: WeightsFloat16})
	if err == nil || !strings.Contains(err.Error(), "G_A."+w.Name) || !strings.Contains(err.Error(), "element 3") || !strings.Contains(err.Error(), "65504") {
		t.Errorf("SaveWeights in float16 of a weight of 70000: %v, want an error naming the tensor, the element and the limit", err)
	}
	if err := tr.SaveWeights(path, WeightsOptions{}); err != nil {
		t.Errorf("SaveWeights in float32 of a weight of 70000: %v", err)
	}
	os.Remove(path)
	values[3] = float32(math.NaN())
	w.Param.Value = tensor.FromFloat32(values, w.Param.Value.Shape()...)
	for _, d := range []WeightsDType{WeightsFloat32, WeightsFloat16} {
		if err := tr.SaveWeights(path, WeightsOptions{DType: d}); err == nil || !strings.Contains(err.Error(), "NaN") {
			t.Errorf("SaveWeights in %s of a NaN weight: %v, want an error", d, err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused SaveWeights left a file: %v", err)
	}
}

// TestExportWeights exports the generators of a full checkpoint in float16 and the four
// networks of another, carries the metadata over, and refuses what cannot be exported.
func TestExportWeights(t *testing.T) {
	tr := weightsTrainer(t)
	dir := t.TempDir()
	full := filepath.Join(dir, "latest.safetensors")
	if err := tr.Save(full); err != nil {
		t.Fatal(err)
	}
	nets := filepath.Join(dir, "nets.safetensors")
	if err := (CheckpointReader{}).ExportWeights(full, nets, WeightsOptions{Networks: AllNetworks, Metadata: map[string]string{"command": "train", "note": "n"}}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(nets)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata[contentsKey] != contentsNetworks || f.Metadata["epoch"] != strconv.Itoa(tr.Epoch) || f.Metadata["steps"] != strconv.Itoa(tr.Steps) ||
		f.Metadata["command"] != "train" || len(f.Tensors) != 2*len(nn.StateDict(tr.GA))+2*len(nn.StateDict(tr.DA)) {
		t.Errorf("networks exported from a full checkpoint: contents %q, epoch %q, steps %q, command %q, %d tensors",
			f.Metadata[contentsKey], f.Metadata["epoch"], f.Metadata["steps"], f.Metadata["command"], len(f.Tensors))
	}
	// The direct save and the export of the same state are the same file, bytes and all.
	direct := filepath.Join(dir, "direct.safetensors")
	if err := tr.SaveWeights(direct, WeightsOptions{Networks: AllNetworks, Metadata: map[string]string{"command": "train", "note": "n"}}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(nets)
	b, _ := os.ReadFile(direct)
	if string(a) != string(b) {
		t.Errorf("ExportWeights and SaveWeights of the same state wrote different files")
	}

	// From the networks-only file to generators in float16: the command is carried over, the
	// note replaced.
	gens := filepath.Join(dir, "gens.safetensors")
	if err := (CheckpointReader{}).ExportWeights(nets, gens, WeightsOptions{DType: WeightsFloat16, Metadata: map[string]string{"note": "m"}}); err != nil {
		t.Fatal(err)
	}
	if f, err = safetensors.ReadFile(gens); err != nil {
		t.Fatal(err)
	}
	if f.Metadata["command"] != "train" || f.Metadata["note"] != "m" || f.Metadata[contentsKey] != contentsGenerators || f.Tensors[0].DType != safetensors.F16 {
		t.Errorf("generators exported from a networks-only file: command %q, note %q, contents %q, dtype %s",
			f.Metadata["command"], f.Metadata["note"], f.Metadata[contentsKey], f.Tensors[0].DType)
	}
	if _, err := LoadGenerator(gens, BtoA, tensor.CPU); err != nil {
		t.Error(err)
	}

	if err := (CheckpointReader{}).ExportWeights(gens, filepath.Join(dir, "x.safetensors"), WeightsOptions{Networks: AllNetworks}); err == nil || !strings.Contains(err.Error(), "generators-only") {
		t.Errorf("exporting all networks from a generators-only file: %v", err)
	}
	bare := filepath.Join(dir, "bare.safetensors")
	if err := nn.SaveFile(bare, tr.GA); err != nil {
		t.Fatal(err)
	}
	if err := (CheckpointReader{}).ExportWeights(bare, filepath.Join(dir, "x.safetensors"), WeightsOptions{}); err == nil || !strings.Contains(err.Error(), "not a zebra CycleGAN checkpoint") {
		t.Errorf("exporting a bare state_dict: %v", err)
	}
}

// TestDefaultArchitectureSizes: the figures of weights.go's comment, from the shapes alone.
func TestDefaultArchitectureSizes(t *testing.T) {
	o := DefaultOptions()
	g := numParams(generatorShapes(o.NGF, o.Blocks))
	d := numParams(discriminatorShapes(o.NDF, o.DLayers))
	t.Logf("default generator %d parameters, discriminator %d: generators %.1f MB in float32, %.1f MB in float16; four networks %.1f MB in float32",
		g, d, float64(8*g)/1e6, float64(4*g)/1e6, float64(8*(g+d))/1e6)
	if g != 11_378_179 {
		t.Errorf("the default generator has %d parameters, want the official ResnetGenerator's 11378179", g)
	}
}
