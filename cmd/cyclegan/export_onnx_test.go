package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// onnxRuntimeEnv names the node_modules folder that holds the npm package onnxruntime-node, for
// TestExportONNXRunsInONNXRuntime. Without it the test looks in .ci/onnxruntime/node_modules of
// the repository, where .ci/run installs it.
const onnxRuntimeEnv = "ZEBRA_ONNXRUNTIME_NODE"

// tinyGenerators saves a trainer's generators (ngf 8, 2 residual blocks) as a float32
// weights-only checkpoint and returns its path and the trainer. The biases, zero after the
// official initialization, are drawn too, so that an exporter that dropped them would be caught.
func tinyGenerators(t *testing.T, dir string) (string, *cyclegan.Trainer) {
	t.Helper()
	o := cyclegan.DefaultOptions()
	o.NGF, o.NDF, o.Blocks, o.LoadSize, o.CropSize = 8, 4, 2, 32, 32
	tr, err := cyclegan.NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(7)
	for _, g := range []*cyclegan.ResnetGenerator{tr.GA, tr.GB} {
		for _, np := range g.NamedParameters() {
			if np.Param.Value.NDim() == 1 {
				nn.InitNormal(np.Param.Value, rng, 0, 0.1)
			}
		}
	}
	path := filepath.Join(dir, "generators.safetensors")
	if err := tr.SaveWeights(path, cyclegan.WeightsOptions{Networks: cyclegan.Generators, DType: cyclegan.WeightsFloat32,
		Metadata: map[string]string{"command": "cyclegan train -ngf 8"}}); err != nil {
		t.Fatal(err)
	}
	return path, tr
}

// onnxRuntime returns the node program and the node_modules folder holding onnxruntime-node, or
// skips the test saying where it looked.
func onnxRuntime(t *testing.T) (node, modules string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (apt-get install nodejs npm): the ONNX export is not run in ONNX Runtime")
	}
	modules = os.Getenv(onnxRuntimeEnv)
	where := "$" + onnxRuntimeEnv
	if modules == "" {
		modules, err = filepath.Abs(filepath.Join("..", "..", ".ci", "onnxruntime", "node_modules"))
		if err != nil {
			t.Fatal(err)
		}
		where = modules + " ($" + onnxRuntimeEnv + " is not set)"
	}
	if _, err := os.Stat(filepath.Join(modules, "onnxruntime-node", "package.json")); err != nil {
		t.Skipf("no onnxruntime-node in %s: install it with npm install --ignore-scripts onnxruntime-node there (.ci/run does), "+
			"or point $%s at a node_modules folder that has it", where, onnxRuntimeEnv)
	}
	return node, modules
}

// TestExportONNXRunsInONNXRuntime exports G_A of a tiny generator as ONNX, runs the file in ONNX
// Runtime (onnxruntime-node, through scripts/onnx/run.js) at two image sizes and batch sizes, one
// file for both, and compares the output with zebra's own forward pass.
//
// Tolerance: both are float32 computations of the same function that sum in different orders
// (and zebra may use Winograd for the 3x3 convolutions), so neither is exact. The reference is
// zebra's forward in float64, and ONNX Runtime must be within 8 times zebra's own float32 error
// from it, plus 1e-6 (a few float32 ulps of the outputs, which lie in (−1, 1)) in case zebra's
// happens to be tiny: a runtime computing the same function in float32 is no less accurate
// than zebra by more than that, while a wrong layer (a lost bias, a pad of the wrong kind, a
// transposed weight) changes outputs by 1e-2 or more.
func TestExportONNXRunsInONNXRuntime(t *testing.T) {
	node, modules := onnxRuntime(t)
	dir := t.TempDir()
	checkpoint, _ := tinyGenerators(t, dir)
	model := filepath.Join(dir, "g_a.onnx")
	var printed bytes.Buffer
	// The direction in lower case: it is read in any case.
	if err := export([]string{"-checkpoint", checkpoint, "-format", "onnx", "-direction", "atob", "-out", model}, &printed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printed.String(), "G_A (AtoB) as an ONNX model (opset 17)") {
		t.Errorf("export printed %q, want the network, the direction and the format", printed.String())
	}
	g32, err := cyclegan.LoadGenerator(checkpoint, cyclegan.AtoB, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	g64, err := cyclegan.LoadGenerator(checkpoint, cyclegan.AtoB, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	nn.Cast(g64, tensor.Float64)
	rng := tensor.NewRNG(1)
	for _, size := range []struct{ n, h, w int }{{1, 64, 64}, {2, 96, 128}} {
		x := tensor.Uniform(rng, tensor.Float32, -1, 1, size.n, 3, size.h, size.w)
		zebra := forward(g32, x).Float32s()
		exact := forward(g64, tensor.Cast(x, tensor.Float64)).Float64s()
		ort := runONNX(t, node, modules, model, x)
		if len(ort) != len(exact) {
			t.Fatalf("%v: ONNX Runtime returned %d values, want %d", size, len(ort), len(exact))
		}
		zebraErr, ortErr, ortZebra := maxDiff(zebra, exact), maxDiff(ort, exact), 0.0
		for i := range ort {
			ortZebra = max(ortZebra, math.Abs(float64(ort[i])-float64(zebra[i])))
		}
		tol := 8*zebraErr + 1e-6
		t.Logf("%dx3x%dx%d: max |ONNX Runtime − zebra| %.3g; from float64: zebra %.3g, ONNX Runtime %.3g (tolerance %.3g)",
			size.n, size.h, size.w, ortZebra, zebraErr, ortErr, tol)
		if ortErr > tol {
			t.Errorf("%dx3x%dx%d: ONNX Runtime's output is %.3g from zebra's float64 forward, zebra's float32 %.3g: want at most %.3g",
				size.n, size.h, size.w, ortErr, zebraErr, tol)
		}
	}
}

// forward runs g on x without recording a graph.
func forward(g *cyclegan.ResnetGenerator, x *tensor.Tensor) *tensor.Tensor {
	defer nn.RequiresGrad(g, false)()
	return g.Forward(autograd.Constant(x)).Value
}

func maxDiff[T float32 | float64](got []T, want []float64) float64 {
	d := 0.0
	for i := range got {
		d = max(d, math.Abs(float64(got[i])-want[i]))
	}
	return d
}

// runONNX runs model on x with scripts/onnx/run.js and returns the output, checking that its
// shape is x's.
func runONNX(t *testing.T, node, modules, model string, x *tensor.Tensor) []float32 {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "input.f32"), filepath.Join(dir, "output.f32")
	if err := os.WriteFile(in, float32Bytes(x.Float32s()), 0o644); err != nil {
		t.Fatal(err)
	}
	shape := x.Shape()
	dims := strings.Trim(strings.ReplaceAll(fmt.Sprint(shape), " ", ","), "[]")
	cmd := exec.Command(node, filepath.Join("..", "..", "scripts", "onnx", "run.js"), model, in, dims, out)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	stdout, err := cmd.Output()
	if err != nil {
		var stderr string
		if e, ok := err.(*exec.ExitError); ok {
			stderr = string(e.Stderr)
		}
		t.Fatalf("node run.js %s: %v\n%s", dims, err, stderr)
	}
	var result struct {
		Output string
		Dims   []int
	}
	if err := json.Unmarshal(stdout, &result); err != nil {
		t.Fatalf("run.js printed %q: %v", stdout, err)
	}
	if result.Output != "output" || !slices.Equal(result.Dims, shape) {
		t.Fatalf("ONNX Runtime: output %q of shape %v, want \"output\" of shape %v", result.Output, result.Dims, shape)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(b)/4)
	for i := range y {
		y[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return y
}

// TestExportSafetensorsStateDict: -format safetensors writes the generator of -direction alone,
// under the official keys, exactly, and translate reads the file as a bare state_dict.
func TestExportSafetensorsStateDict(t *testing.T) {
	dir := t.TempDir()
	checkpoint, tr := tinyGenerators(t, dir)
	out := filepath.Join(dir, "g_b.safetensors")
	var printed bytes.Buffer
	if err := export([]string{"-checkpoint", checkpoint, "-format", "safetensors", "-direction", "BTOA", "-out", out, "-note", "tiny"}, &printed); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printed.String(), "G_B (BtoA) as a state_dict") {
		t.Errorf("export printed %q", printed.String())
	}
	f, err := safetensors.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := tr.GB.NamedParameters()
	if len(f.Tensors) != len(want) {
		t.Errorf("%d tensors, want G_B's %d parameters", len(f.Tensors), len(want))
	}
	for _, np := range want {
		got, shape, err := f.Float32s(np.Name)
		if err != nil {
			t.Errorf("%s: %v", np.Name, err)
			continue
		}
		if !slices.Equal(shape, np.Param.Value.Shape()) || !slices.Equal(got, np.Param.Value.Float32s()) {
			t.Errorf("%s: shape %v, or its values, differ from G_B's (shape %v)", np.Name, shape, np.Param.Value.Shape())
		}
	}
	m := f.Metadata
	if m["format"] != "pt" || m["network"] != "G_B" || m["direction"] != "BtoA" || m["note"] != "tiny" || m["command"] != "cyclegan train -ngf 8" || m["export_command"] == "" {
		t.Errorf("metadata %v: want format pt, network G_B, direction BtoA, the note, the training command carried over and the export command", m)
	}
	img := filepath.Join(dir, "in", "x.png")
	writePNG(t, img, 20, 12, false)
	if err := runTranslate([]string{"-checkpoint", out, "-out", filepath.Join(dir, "t"), img}); err != nil {
		t.Errorf("translate with the state_dict: %v", err)
	}
	if check := os.Getenv(exportCheckEnv); check != "" {
		writePyTorchCheck(t, check, out)
	}
}

// exportCheckEnv names a folder where TestExportSafetensorsStateDict leaves the exported
// state_dict with an input and zebra's output, for scripts/check_safetensors_export.py to load
// the file into PyTorch's ResnetGenerator and compare (a developer check: CI has no torch).
const exportCheckEnv = "ZEBRA_EXPORT_CHECK_DIR"

// writePyTorchCheck writes generator.safetensors (a copy of stateDict), input.f32 and output.f32
// (little-endian float32, [2, 3, 64, 96]: zebra's forward of the input) and shape.json into dir.
func writePyTorchCheck(t *testing.T, dir, stateDict string) {
	t.Helper()
	g, err := cyclegan.LoadGenerator(stateDict, cyclegan.BtoA, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	shape := []int{2, 3, 64, 96}
	x := tensor.Uniform(tensor.NewRNG(3), tensor.Float32, -1, 1, shape...)
	data, err := os.ReadFile(stateDict)
	if err != nil {
		t.Fatal(err)
	}
	shapeJSON, err := json.Marshal(map[string][]int{"shape": shape})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"generator.safetensors": data,
		"input.f32":             float32Bytes(x.Float32s()),
		"output.f32":            float32Bytes(forward(g, x).Float32s()),
		"shape.json":            shapeJSON,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote the state_dict, an input and zebra's output to %s", dir)
}

// float32Bytes returns vs as little-endian bytes.
func float32Bytes(vs []float32) []byte {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// TestExportFormatFlags: the flags that belong to one format are refused with another.
func TestExportFormatFlags(t *testing.T) {
	dir := t.TempDir()
	checkpoint, _ := tinyGenerators(t, dir)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-format", "tflite"}, `-format "tflite": want zebra, onnx or safetensors`},
		{[]string{"-format", "onnx", "-direction", "AtoC"}, `-direction "AtoC": want AtoB or BtoA`},
		{[]string{"-format", "onnx", "-dtype", "float16"}, "-dtype applies to -format zebra"},
		{[]string{"-format", "safetensors", "-networks", "all"}, "-networks applies to -format zebra"},
		{[]string{"-direction", "BtoA"}, "-direction applies to -format onnx and safetensors"},
		{[]string{"-format", "onnx", "-out", checkpoint}, "is the checkpoint itself"},
	} {
		args := append([]string{"-checkpoint", checkpoint, "-out", out}, c.args...)
		var discard bytes.Buffer
		if err := export(args, &discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("export %q: %v, want an error with %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused export left %s: %v", out, err)
	}
}
