package onnx

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// The tests decode what Marshal writes with protowire's own reader, field by field, and compare
// with the field numbers and values of onnx.proto3 written out here by hand, not with encode.go's
// constants: a wrong number there must fail a test.

// field is one decoded protobuf field.
type field struct {
	typ    protowire.Type
	varint uint64
	fixed  uint32
	bytes  []byte
}

// message is a decoded message: its fields by number, in the order they came.
type message map[protowire.Number][]field

func decode(t *testing.T, b []byte) message {
	t.Helper()
	m := message{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{typ: typ}
		switch typ {
		case protowire.VarintType:
			f.varint, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			f.fixed, n = protowire.ConsumeFixed32(b)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: wire type %d, which ONNX files do not use here", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		m[num] = append(m[num], f)
	}
	return m
}

// one returns the single field num of m, failing if it is absent or repeated.
func (m message) one(t *testing.T, num protowire.Number) field {
	t.Helper()
	if len(m[num]) != 1 {
		t.Fatalf("field %d: %d occurrences, want 1", num, len(m[num]))
	}
	return m[num][0]
}

func (m message) int(t *testing.T, num protowire.Number) int64 {
	t.Helper()
	f := m.one(t, num)
	if f.typ != protowire.VarintType {
		t.Fatalf("field %d: wire type %d, want varint", num, f.typ)
	}
	return int64(f.varint)
}

func (m message) str(t *testing.T, num protowire.Number) string {
	t.Helper()
	return string(m.one(t, num).bytes)
}

func (m message) sub(t *testing.T, num protowire.Number) message {
	t.Helper()
	return decode(t, m.one(t, num).bytes)
}

// strs returns every element of a repeated string field.
func (m message) strs(num protowire.Number) []string {
	var out []string
	for _, f := range m[num] {
		out = append(out, string(f.bytes))
	}
	return out
}

// packed returns the elements of a packed repeated int64 field.
func (m message) packed(t *testing.T, num protowire.Number) []int64 {
	t.Helper()
	b := m.one(t, num).bytes
	var out []int64
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		out = append(out, int64(v))
		b = b[n:]
	}
	return out
}

// testModel is a two-node graph with every kind of field this package writes.
func testModel() *Model {
	m := NewModel("zebra-test", "tiny")
	m.ProducerVersion = "v0"
	m.Metadata = map[string]string{"note": "tiny", "direction": "AtoB"}
	g := &m.Graph
	g.Inputs = []ValueInfo{{Name: "input", ElemType: Float, Shape: []Dim{Symbolic("batch"), Fixed(2), Symbolic("height"), Fixed(0)}}}
	pads := g.AddInitializer(Int64Tensor("pads", []int{8}, []int64{0, 0, 1, 1, 0, 0, 1, -1}))
	w := g.AddInitializer(Float32Tensor("conv.weight", []int{1, 2, 1, 1}, []float32{0.5, -2}))
	padded := g.AddNode("Pad", "padded", []string{"input", pads}, StringAttr("mode", "reflect"))
	g.AddNode("Conv", "output", []string{padded, w, ""},
		IntsAttr("strides", 1, 2), IntAttr("group", 1), FloatAttr("epsilon", 1e-5), IntAttr("zero", 0))
	g.Outputs = []ValueInfo{{Name: "output", ElemType: Float, Shape: []Dim{Symbolic("batch"), Fixed(1)}}}
	return m
}

func TestMarshalFields(t *testing.T) {
	b, err := testModel().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	model := decode(t, b)
	if v := model.int(t, 1); v != 8 { // ir_version
		t.Errorf("ir_version %d, want 8", v)
	}
	if s := model.str(t, 2); s != "zebra-test" { // producer_name
		t.Errorf("producer_name %q", s)
	}
	if s := model.str(t, 3); s != "v0" { // producer_version
		t.Errorf("producer_version %q", s)
	}
	opset := model.sub(t, 8) // opset_import
	if v := opset.int(t, 2); v != 17 || len(opset[1]) != 0 {
		t.Errorf("opset_import: version %d, domain %q; want 17 and none", v, opset.strs(1))
	}

	var props []string // metadata_props, key=value, in file order
	for _, f := range model[14] {
		entry := decode(t, f.bytes)
		props = append(props, entry.str(t, 1)+"="+entry.str(t, 2))
	}
	if want := []string{"direction=AtoB", "note=tiny"}; !slices.Equal(props, want) {
		t.Errorf("metadata_props %q, want %q, sorted by key", props, want)
	}

	graph := model.sub(t, 7)
	if s := graph.str(t, 2); s != "tiny" {
		t.Errorf("graph name %q", s)
	}
	if len(graph[1]) != 2 { // node
		t.Fatalf("%d nodes, want 2", len(graph[1]))
	}
	pad := decode(t, graph[1][0].bytes)
	conv := decode(t, graph[1][1].bytes)
	if got := pad.strs(1); !slices.Equal(got, []string{"input", "pads"}) {
		t.Errorf("Pad inputs %q", got)
	}
	// An empty input (Conv's bias left out) is kept: it holds the place of an optional input.
	if got := conv.strs(1); !slices.Equal(got, []string{"padded", "conv.weight", ""}) {
		t.Errorf("Conv inputs %q", got)
	}
	if got, name, op := conv.strs(2), conv.str(t, 3), conv.str(t, 4); !slices.Equal(got, []string{"output"}) || name != "output" || op != "Conv" {
		t.Errorf("Conv: outputs %q, name %q, op_type %q", got, name, op)
	}

	mode := decode(t, pad.one(t, 5).bytes) // attribute
	if mode.str(t, 1) != "mode" || mode.str(t, 4) != "reflect" || mode.int(t, 20) != 3 {
		t.Errorf("Pad attribute: name %q, s %q, type %d; want mode, reflect, STRING (3)", mode.str(t, 1), mode.str(t, 4), mode.int(t, 20))
	}
	if len(conv[5]) != 4 {
		t.Fatalf("Conv has %d attributes, want 4", len(conv[5]))
	}
	strides := decode(t, conv[5][0].bytes)
	if got := strides.packed(t, 8); strides.str(t, 1) != "strides" || !slices.Equal(got, []int64{1, 2}) || strides.int(t, 20) != 7 {
		t.Errorf("strides: ints %v, type %d; want [1 2], INTS (7)", got, strides.int(t, 20))
	}
	group := decode(t, conv[5][1].bytes)
	if group.int(t, 3) != 1 || group.int(t, 20) != 2 {
		t.Errorf("group: i %d, type %d; want 1, INT (2)", group.int(t, 3), group.int(t, 20))
	}
	eps := decode(t, conv[5][2].bytes)
	if f := eps.one(t, 2); f.typ != protowire.Fixed32Type || math.Float32frombits(f.fixed) != 1e-5 || eps.int(t, 20) != 1 {
		t.Errorf("epsilon: wire type %d, f %g, type %d; want fixed32, 1e-5, FLOAT (1)", f.typ, math.Float32frombits(f.fixed), eps.int(t, 20))
	}
	// An INT attribute of 0 is written, not left for the reader to guess.
	if zero := decode(t, conv[5][3].bytes); len(zero[3]) != 1 || zero.int(t, 3) != 0 {
		t.Errorf("attribute zero: i written %d times, want once, as 0", len(zero[3]))
	}

	if len(graph[5]) != 2 { // initializer
		t.Fatalf("%d initializers, want 2", len(graph[5]))
	}
	padsT := decode(t, graph[5][0].bytes)
	if padsT.str(t, 8) != "pads" || padsT.int(t, 2) != 7 || !slices.Equal(padsT.packed(t, 1), []int64{8}) {
		t.Errorf("pads initializer: name %q, data_type %d, dims %v", padsT.str(t, 8), padsT.int(t, 2), padsT.packed(t, 1))
	}
	if raw := padsT.one(t, 9).bytes; len(raw) != 64 || int64(binary.LittleEndian.Uint64(raw[56:])) != -1 {
		t.Errorf("pads raw_data %v, want 8 little-endian int64s ending in -1", raw)
	}
	weight := decode(t, graph[5][1].bytes)
	raw := weight.one(t, 9).bytes
	if weight.int(t, 2) != 1 || !slices.Equal(weight.packed(t, 1), []int64{1, 2, 1, 1}) || len(raw) != 8 ||
		math.Float32frombits(binary.LittleEndian.Uint32(raw[4:])) != -2 {
		t.Errorf("weight initializer: data_type %d, dims %v, raw_data %v", weight.int(t, 2), weight.packed(t, 1), raw)
	}

	input := decode(t, graph.one(t, 11).bytes)
	tensorType := input.sub(t, 2).sub(t, 1) // type → tensor_type
	if input.str(t, 1) != "input" || tensorType.int(t, 1) != 1 {
		t.Errorf("input: name %q, elem_type %d", input.str(t, 1), tensorType.int(t, 1))
	}
	dims := tensorType.sub(t, 2)[1] // shape → dim
	if len(dims) != 4 {
		t.Fatalf("input has %d dims, want 4", len(dims))
	}
	if d := decode(t, dims[0].bytes); d.str(t, 2) != "batch" || len(d[1]) != 0 {
		t.Errorf("dim 0: dim_param %q, want batch alone", d.str(t, 2))
	}
	if d := decode(t, dims[1].bytes); d.int(t, 1) != 2 {
		t.Errorf("dim 1: dim_value %d, want 2", d.int(t, 1))
	}
	// A size of 0 is a size: it is written so that the oneof is set.
	if d := decode(t, dims[3].bytes); len(d[1]) != 1 || d.int(t, 1) != 0 {
		t.Errorf("dim 3: dim_value written %d times, want once, as 0", len(d[1]))
	}
	if output := decode(t, graph.one(t, 12).bytes); output.str(t, 1) != "output" {
		t.Errorf("output name %q", output.str(t, 1))
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(m *Model)
		want   string
	}{
		{"undefined input", func(m *Model) { m.Graph.Nodes[1].Inputs[0] = "nothing" }, `reads "nothing"`},
		{"read before defined", func(m *Model) { m.Graph.Nodes[0], m.Graph.Nodes[1] = m.Graph.Nodes[1], m.Graph.Nodes[0] }, `reads "padded"`},
		{"defined twice", func(m *Model) { m.Graph.Nodes[0].Outputs[0] = "conv.weight" }, `value "conv.weight" is defined twice, by an initializer and by node 0`},
		{"short data", func(m *Model) { m.Graph.Initializers[1].RawData = m.Graph.Initializers[1].RawData[:4] }, `needs 8 bytes, it has 4`},
		{"undefined output", func(m *Model) { m.Graph.Outputs[0].Name = "y" }, `output "y" is not defined`},
		{"no output", func(m *Model) { m.Graph.Outputs = nil }, "has no output"},
		{"no opset", func(m *Model) { m.Opset = 0 }, "opset 0"},
		{"no op type", func(m *Model) { m.Graph.Nodes[0].OpType = "" }, "has no op type"},
		{"unnamed attribute", func(m *Model) { m.Graph.Nodes[1].Attributes[0].Name = "" }, "attribute without a name"},
	} {
		m := testModel()
		c.change(m)
		if _, err := m.Marshal(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

func TestWriteFile(t *testing.T) {
	m := testModel()
	want, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.onnx")
	if err := m.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("WriteFile wrote %d bytes that differ from Marshal's %d", len(got), len(want))
	}
	m.Graph.Outputs = nil
	bad := filepath.Join(t.TempDir(), "bad.onnx")
	if err := m.WriteFile(bad); err == nil {
		t.Error("WriteFile of a model without outputs succeeded")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("WriteFile of an invalid model left a file: %v", err)
	}
}

func TestTensorShapeMismatchPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "shape [2 2] holds 4 elements, data has 3") {
			t.Errorf("recovered %v, want a panic naming the shape and the length", r)
		}
	}()
	Float32Tensor("w", []int{2, 2}, []float32{1, 2, 3})
}
