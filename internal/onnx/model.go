package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DefaultOpset is the version of the standard operator set (domain "") that NewModel imports, and
// DefaultIRVersion the IR version that goes with it (ONNX's docs/Versioning.md: opset 17 was
// released with IR version 8, in ONNX 1.12).
const (
	DefaultOpset     = 17
	DefaultIRVersion = 8
)

// DataType is a TensorProto.DataType: the element type of a tensor.
type DataType int32

// The element types this package writes.
const (
	Float DataType = 1 // float32
	Int64 DataType = 7
)

// size returns the size in bytes of one element.
func (d DataType) size() int {
	switch d {
	case Float:
		return 4
	case Int64:
		return 8
	}
	return 0
}

func (d DataType) String() string {
	switch d {
	case Float:
		return "FLOAT"
	case Int64:
		return "INT64"
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

// Model is an ONNX model: one graph and the operator set its nodes are bound to.
type Model struct {
	IRVersion       int64
	Opset           int64 // version of the standard operator set, domain ""
	ProducerName    string
	ProducerVersion string
	DocString       string
	// Metadata is stored as the model's metadata_props, sorted by key: free-form facts that
	// runtimes show (onnxruntime's InferenceSession metadata, Netron's properties).
	Metadata map[string]string
	Graph    Graph
}

// NewModel returns a model of an empty graph called name, importing DefaultOpset.
func NewModel(producer, name string) *Model {
	return &Model{IRVersion: DefaultIRVersion, Opset: DefaultOpset, ProducerName: producer, Graph: Graph{Name: name}}
}

// Graph is a computation graph: nodes in topological order, the constant tensors they read
// (initializers), and the typed inputs and outputs that a caller feeds and fetches.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is one operator applied to named values.
type Node struct {
	Name       string // optional, for people reading the graph
	OpType     string // "Conv", "Relu", ... of the standard operator set
	Inputs     []string
	Outputs    []string
	Attributes []Attribute
}

// AddNode appends a node of opType that reads inputs and writes one value named output, and
// returns output. The node takes the same name as its output.
func (g *Graph) AddNode(opType, output string, inputs []string, attrs ...Attribute) string {
	g.Nodes = append(g.Nodes, Node{Name: output, OpType: opType, Inputs: inputs, Outputs: []string{output}, Attributes: attrs})
	return output
}

// AddInitializer appends t to the graph's initializers and returns its name.
func (g *Graph) AddInitializer(t Tensor) string {
	g.Initializers = append(g.Initializers, t)
	return t.Name
}

// HasInitializer reports whether an initializer is called name: builders share one constant
// (a vector of ones, a list of pads) between the nodes that need it.
func (g *Graph) HasInitializer(name string) bool {
	for _, t := range g.Initializers {
		if t.Name == name {
			return true
		}
	}
	return false
}

// Tensor is a constant tensor, stored as raw little-endian bytes.
type Tensor struct {
	Name     string
	DataType DataType
	Dims     []int64
	RawData  []byte
}

// Float32Tensor returns a FLOAT tensor of the given shape. It panics if data does not have
// exactly the shape's number of elements.
func Float32Tensor(name string, shape []int, data []float32) Tensor {
	dims := dimsOf("onnx.Float32Tensor", name, shape, len(data))
	raw := make([]byte, 0, 4*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	return Tensor{Name: name, DataType: Float, Dims: dims, RawData: raw}
}

// Int64Tensor returns an INT64 tensor of the given shape (Pad's pads, Reshape's shape). It panics
// if data does not have exactly the shape's number of elements.
func Int64Tensor(name string, shape []int, data []int64) Tensor {
	dims := dimsOf("onnx.Int64Tensor", name, shape, len(data))
	raw := make([]byte, 0, 8*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
	}
	return Tensor{Name: name, DataType: Int64, Dims: dims, RawData: raw}
}

func dimsOf(op, name string, shape []int, n int) []int64 {
	dims := make([]int64, len(shape))
	count := 1
	for i, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("%s: %s: negative dimension in shape %v", op, name, shape))
		}
		dims[i] = int64(d)
		count *= d
	}
	if count != n {
		panic(fmt.Sprintf("%s: %s: shape %v holds %d elements, data has %d", op, name, shape, count, n))
	}
	return dims
}

// ValueInfo is the name and type of a graph input or output: a tensor of ElemType and Shape.
type ValueInfo struct {
	Name     string
	ElemType DataType
	Shape    []Dim
}

// Dim is one dimension of a ValueInfo's shape: a fixed Value, or, when Param is not empty, a
// symbolic dimension that takes its size from the tensor fed at run time. Two dimensions with the
// same Param must have the same size.
type Dim struct {
	Value int64
	Param string
}

// Fixed returns a dimension of size n.
func Fixed(n int) Dim { return Dim{Value: int64(n)} }

// Symbolic returns a dimension called name, of any size.
func Symbolic(name string) Dim { return Dim{Param: name} }

// AttributeType is an AttributeProto.AttributeType: which of an attribute's value fields is set.
type AttributeType int32

// The attribute types this package writes.
const (
	AttrFloat  AttributeType = 1
	AttrInt    AttributeType = 2
	AttrString AttributeType = 3
	AttrInts   AttributeType = 7
)

// Attribute is a named setting of a node, such as Conv's strides. Type says which value is set.
type Attribute struct {
	Name string
	Type AttributeType
	F    float32
	I    int64
	S    string
	Ints []int64
}

// FloatAttr returns a FLOAT attribute (InstanceNormalization's epsilon).
func FloatAttr(name string, v float32) Attribute {
	return Attribute{Name: name, Type: AttrFloat, F: v}
}

// IntAttr returns an INT attribute (Conv's group).
func IntAttr(name string, v int64) Attribute { return Attribute{Name: name, Type: AttrInt, I: v} }

// StringAttr returns a STRING attribute (Pad's mode).
func StringAttr(name, v string) Attribute { return Attribute{Name: name, Type: AttrString, S: v} }

// IntsAttr returns an INTS attribute (Conv's kernel_shape, strides, pads).
func IntsAttr(name string, v ...int64) Attribute {
	return Attribute{Name: name, Type: AttrInts, Ints: v}
}
