package cyclegan

import (
	"maps"
	"slices"
	"testing"

	"github.com/zebra-go/zebra/internal/onnx"
	"github.com/zebra-go/zebra/tensor"
)

// TestGeneratorONNXGraph checks the exported graph's structure against the official layer list:
// one node per layer, the parameters under their state_dict keys, and symbolic image sizes.
// Whether the graph computes what Forward does is cmd/cyclegan's TestExportONNXRunsInONNXRuntime.
func TestGeneratorONNXGraph(t *testing.T) {
	const ngf, blocks = 4, 3
	g := NewResnetGenerator(tensor.NewRNG(1), ngf, blocks)
	m, err := g.ONNX("zebra-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Marshal(); err != nil {
		t.Fatalf("the model does not pass onnx's checks: %v", err)
	}
	ops := map[string]int{}
	for _, n := range m.Graph.Nodes {
		ops[n.OpType]++
	}
	// The stem (pad, conv, norm, relu), two downsamplings (conv, norm, relu), each block (pad,
	// conv, norm, relu, pad, conv, norm, add), two upsamplings (transposed conv, norm, relu), and
	// the head (pad, conv, tanh).
	want := map[string]int{
		"Pad":                   1 + 2*blocks + 1,
		"Conv":                  1 + 2 + 2*blocks + 1,
		"InstanceNormalization": 1 + 2 + 2*blocks + 2,
		"Relu":                  1 + 2 + blocks + 2,
		"Add":                   blocks,
		"ConvTranspose":         2,
		"Tanh":                  1,
	}
	if !maps.Equal(ops, want) {
		t.Errorf("op counts %v, want %v", ops, want)
	}
	if last := m.Graph.Nodes[len(m.Graph.Nodes)-1]; last.OpType != "Tanh" || last.Outputs[0] != "output" {
		t.Errorf("last node %s writes %q, want the Tanh writing \"output\"", last.OpType, last.Outputs)
	}

	inits := map[string][]int64{}
	for _, init := range m.Graph.Initializers {
		inits[init.Name] = init.Dims
	}
	for _, np := range g.NamedParameters() {
		dims, ok := inits[np.Name]
		if !ok {
			t.Errorf("no initializer %s", np.Name)
			continue
		}
		shape := np.Param.Value.Shape()
		if !slices.Equal(dims, int64s(shape)) {
			t.Errorf("%s: dims %v, want %v", np.Name, dims, shape)
		}
		delete(inits, np.Name)
	}
	// What remains are the shared constants: InstanceNormalization's identity scale and shift for
	// each width, and the two kinds of reflection pads.
	rest := slices.Sorted(maps.Keys(inits))
	if want := []string{"ones.16", "ones.4", "ones.8", "pads.1.1.1.1", "pads.3.3.3.3", "zeros.16", "zeros.4", "zeros.8"}; !slices.Equal(rest, want) {
		t.Errorf("other initializers %q, want %q", rest, want)
	}

	for _, v := range append(m.Graph.Inputs, m.Graph.Outputs...) {
		want := []onnx.Dim{onnx.Symbolic("batch"), onnx.Fixed(3), onnx.Symbolic("height"), onnx.Symbolic("width")}
		if !slices.Equal(v.Shape, want) || v.ElemType != onnx.Float {
			t.Errorf("%s: %v of %v, want %v of FLOAT", v.Name, v.Shape, v.ElemType, want)
		}
	}
}

func int64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}
