package nn

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/tensor"
)

// The golden values come from PyTorch 1.13 through scripts/golden/nn_layers.py, which documents
// the files. Each case runs twice: in float32, the training dtype, and in float64.
//
// Tolerances, |got − want| ≤ atol + rtol·|want| elementwise, want computed by torch in float64:
//   - float32: atol 1e-4, rtol 1e-4. Inputs are float32 values; outputs and gradients are sums of
//     up to a few hundred products of magnitude ~1, so float32 rounding (2^-24 ≈ 6e-8 per
//     operation) accumulates to ~1e-5 at worst; 1e-4 leaves room for a reordering SIMD GEMM.
//   - float64: atol 1e-10, rtol 1e-10, which only a correct formula meets.
var goldenTolerances = map[tensor.DType][2]float64{
	tensor.Float32: {1e-4, 1e-4},
	tensor.Float64: {1e-10, 1e-10},
}

type goldenCase struct {
	Name, Kind    string
	Kernel        int
	Stride        int
	Padding       int
	OutputPadding int `json:"output_padding"`
	Dilation      int
	Bias          bool
	In, Out       int
	Pad           []int
	Affine        bool
	Eps           float64
	Features      int
	Slope         float64
	Reduction     string
	Keys          []string
	StartDim      int `json:"start_dim"`
	EndDim        int `json:"end_dim"`
}

var golden struct {
	once  sync.Once
	file  *safetensors.File
	cases []goldenCase
	err   error
}

// loadGolden reads testdata/layers_golden.safetensors once for all tests.
func loadGolden(t *testing.T) ([]goldenCase, *safetensors.File) {
	t.Helper()
	golden.once.Do(func() {
		golden.file, golden.err = safetensors.ReadFile(filepath.Join("testdata", "layers_golden.safetensors"))
		if golden.err == nil {
			golden.err = json.Unmarshal([]byte(golden.file.Metadata["cases"]), &golden.cases)
		}
	})
	if golden.err != nil {
		t.Fatal(golden.err)
	}
	return golden.cases, golden.file
}

// goldenFile is a file of golden tensors: a safetensors file here, a torch.save'd one for the
// FID layers (fid_layers_golden_test.go).
type goldenFile interface {
	Float64s(name string) ([]float64, []int, error)
}

// goldenTensor returns the tensor called name in dtype dt.
func goldenTensor(t *testing.T, f goldenFile, name string, dt tensor.DType) *tensor.Tensor {
	t.Helper()
	data, shape, err := f.Float64s(name)
	if err != nil {
		t.Fatal(err)
	}
	return tensor.Cast(tensor.FromFloat64(data, shape...), dt)
}

// compareGolden checks got against the golden tensor name within the tolerance of got's dtype.
func compareGolden(t *testing.T, f goldenFile, name string, got *tensor.Tensor) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no value (a gradient that was never computed?)", name)
		return
	}
	want := goldenTensor(t, f, name, tensor.Float64)
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), want.Shape())
		return
	}
	tol := goldenTolerances[got.DType()]
	g, w := got.Float64s(), want.Float64s()
	for i := range w {
		if d := math.Abs(g[i] - w[i]); !(d <= tol[0]+tol[1]*math.Abs(w[i])) {
			t.Errorf("%s (%s): element %d is %.9g, want %.9g (diff %.3g)", name, got.DType(), i, g[i], w[i], d)
			return
		}
	}
}

// goldenModule builds the layer a case describes, with its parameters loaded from the golden file
// through LoadStateDict (in strict mode, so the layer's parameter names are checked too).
func goldenModule(t *testing.T, f *safetensors.File, c goldenCase, dt tensor.DType) Module {
	t.Helper()
	var m Module
	switch c.Kind {
	case "conv2d":
		m = NewConv2d(tensor.NewRNG(0), c.In, c.Out, c.Kernel, Conv2dOptions{
			Stride: c.Stride, Padding: c.Padding, Dilation: c.Dilation, NoBias: !c.Bias})
	case "conv_transpose2d":
		m = NewConvTranspose2d(tensor.NewRNG(0), c.In, c.Out, c.Kernel, ConvTranspose2dOptions{
			Stride: c.Stride, Padding: c.Padding, OutputPadding: c.OutputPadding, Dilation: c.Dilation, NoBias: !c.Bias})
	case "reflection_pad2d":
		m = &ReflectionPad2d{Pad: tensor.Pad2d{Left: c.Pad[0], Right: c.Pad[1], Top: c.Pad[2], Bottom: c.Pad[3]}}
	case "instance_norm2d":
		if c.Eps != DefaultInstanceNormEps {
			t.Fatalf("%s: eps %g; the case expects the default", c.Name, c.Eps)
		}
		m = NewInstanceNorm2d(c.Features, InstanceNorm2dOptions{Affine: c.Affine})
	case "relu":
		m = NewReLU()
	case "leaky_relu":
		m = NewLeakyReLU(c.Slope)
	case "tanh":
		m = NewTanh()
	case "sigmoid":
		m = NewSigmoid()
	case "linear":
		m = NewLinear(tensor.NewRNG(0), c.In, c.Out, LinearOptions{NoBias: !c.Bias})
	case "flatten":
		m = &Flatten{StartDim: c.StartDim, EndDim: c.EndDim}
	default:
		t.Fatalf("%s: unknown kind %q", c.Name, c.Kind)
	}
	Cast(m, dt)
	sd := map[string]*tensor.Tensor{}
	for _, np := range m.NamedParameters() {
		sd[np.Name] = goldenTensor(t, f, c.Name+"."+np.Name, tensor.Float64)
	}
	if err := LoadStateDict(m, sd, true); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLayersMatchPyTorch(t *testing.T) {
	cases, f := loadGolden(t)
	n := 0
	for _, c := range cases {
		if c.Kind == "sequential" || c.Reduction != "" {
			continue
		}
		n++
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			t.Run(fmt.Sprintf("%s/%s", c.Name, dt), func(t *testing.T) {
				m := goldenModule(t, f, c, dt)
				x := autograd.NewVar(goldenTensor(t, f, c.Name+".x", dt), true)
				y := m.Forward(x)
				compareGolden(t, f, c.Name+".y", y.Value)
				y.BackwardWith(goldenTensor(t, f, c.Name+".grad_y", dt))
				compareGolden(t, f, c.Name+".grad_x", x.Grad)
				for _, np := range m.NamedParameters() {
					compareGolden(t, f, c.Name+".grad_"+np.Name, np.Param.Grad)
				}
			})
		}
	}
	if n < 20 {
		t.Errorf("only %d layer cases in the golden file", n)
	}
}

var lossFuncs = map[string]func(input, target *autograd.Var, r Reduction) *autograd.Var{
	"mse":             MSELoss,
	"l1":              L1Loss,
	"bce_with_logits": BCEWithLogitsLoss,
}

var reductions = map[string]Reduction{"mean": ReductionMean, "sum": ReductionSum, "none": ReductionNone}

func TestLossesMatchPyTorch(t *testing.T) {
	cases, f := loadGolden(t)
	n := 0
	for _, c := range cases {
		if c.Reduction == "" {
			continue
		}
		n++
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			t.Run(fmt.Sprintf("%s/%s", c.Name, dt), func(t *testing.T) {
				r, ok := reductions[c.Reduction]
				if !ok || r.String() != c.Reduction {
					t.Fatalf("reduction %q", c.Reduction)
				}
				input := autograd.NewVar(goldenTensor(t, f, c.Name+".input", dt), true)
				target := autograd.NewVar(goldenTensor(t, f, c.Name+".target", dt), true)
				loss := lossFuncs[c.Kind](input, target, r)
				compareGolden(t, f, c.Name+".loss", loss.Value)
				loss.BackwardWith(goldenTensor(t, f, c.Name+".grad_y", dt))
				compareGolden(t, f, c.Name+".grad_input", input.Grad)
				compareGolden(t, f, c.Name+".grad_target", target.Grad)
			})
		}
	}
	if n != 9 {
		t.Errorf("%d loss cases in the golden file, want 3 losses × 3 reductions", n)
	}
}

// tiny is the zebra twin of the script's Tiny: a Sequential in an attribute called "model".
type tiny struct{ model *Sequential }

func newTiny(rng *tensor.RNG) *tiny {
	return &tiny{model: NewSequential(
		NewReflectionPad2d(1),
		NewConv2d(rng, 3, 4, 3, Conv2dOptions{}),
		NewInstanceNorm2d(4, InstanceNorm2dOptions{Affine: true}),
		NewReLU(),
		NewConvTranspose2d(rng, 4, 2, 3, ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}),
		NewTanh(),
	)}
}

func (m *tiny) Forward(x *autograd.Var) *autograd.Var { return m.model.Forward(x) }
func (m *tiny) NamedParameters() []NamedParam         { return Prefixed("model", m.model) }

// A state dict saved by PyTorch loads, in strict mode, into a zebra model of the same structure,
// whose keys are PyTorch's in PyTorch's order, and the model then computes what PyTorch computed.
func TestLoadPyTorchStateDict(t *testing.T) {
	cases, f := loadGolden(t)
	var keys []string
	for _, c := range cases {
		if c.Kind == "sequential" {
			keys = c.Keys
		}
	}
	m := newTiny(tensor.NewRNG(1))
	var names []string
	for _, np := range m.NamedParameters() {
		names = append(names, np.Name)
	}
	if !slices.Equal(names, keys) {
		t.Fatalf("keys %q, PyTorch's state_dict has %q", names, keys)
	}
	if err := LoadFile(filepath.Join("testdata", "torch_sequential.safetensors"), m, true); err != nil {
		t.Fatal(err)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		Cast(m, dt)
		x := autograd.NewVar(goldenTensor(t, f, "sequential.x", dt), true)
		y := m.Forward(x)
		compareGolden(t, f, "sequential.y", y.Value)
		y.BackwardWith(goldenTensor(t, f, "sequential.grad_y", dt))
		compareGolden(t, f, "sequential.grad_x", x.Grad)
		for _, np := range m.NamedParameters() {
			compareGolden(t, f, "sequential.grad."+np.Name, np.Param.Grad)
		}
	}
}

var update = flag.Bool("update", false, "rewrite testdata/zebra_tiny.safetensors, which scripts/golden/nn_layers.py loads into PyTorch")

// The other direction: SaveFile's output for the twin of the script's Tiny is committed as
// testdata/zebra_tiny.safetensors, and scripts/golden/nn_layers.py loads it into the PyTorch model
// with load_state_dict(strict=True) and checks every value. This test pins those bytes: SaveFile
// must still write exactly that file (rerun with -update, then the script, after a deliberate
// change of format).
func TestSaveFileLoadsInPyTorch(t *testing.T) {
	m := newTiny(tensor.NewRNG(1))
	if err := LoadFile(filepath.Join("testdata", "torch_sequential.safetensors"), m, true); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("testdata", "zebra_tiny.safetensors")
	if *update {
		if err := SaveFile(committed, m); err != nil {
			t.Fatal(err)
		}
	}
	fresh := filepath.Join(t.TempDir(), "tiny.safetensors")
	if err := SaveFile(fresh, m); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("SaveFile wrote %d bytes that differ from the %d of %s, which PyTorch was shown to load", len(got), len(want), committed)
	}
}
