package cyclegan

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/internal/onnx"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// ONNX returns the generator as an ONNX model (opset onnx.DefaultOpset) that runs in ONNX Runtime
// and the other ONNX runtimes without zebra. The graph is the generator's own layers, walked in
// order, one node each:
//
//	ReflectionPad2d   Pad, mode "reflect", pads [0, 0, top, left, 0, 0, bottom, right]
//	Conv2d            Conv (kernel_shape, strides, pads, dilations), weight and bias
//	ConvTranspose2d   ConvTranspose (also output_padding); the weight is [Cin, Cout, k, k] in
//	                  both PyTorch and ONNX
//	InstanceNorm2d    InstanceNormalization, epsilon; without affine parameters (CycleGAN's
//	                  choice) its scale is a vector of ones and its bias one of zeros
//	ReLU, Tanh        Relu, Tanh
//	ResnetBlock       its conv_block, then Add of the block's input and that
//
// The initializers are named by the official state_dict keys ("model.1.weight"), and every
// node and the value it writes by its layer's path ("model.10.conv_block.1"), so the graph reads
// like the PyTorch module. The input "input" and the output "output" are [batch, 3, height,
// width] with symbolic batch, height and width: one file takes any batch and any image size.
// As for Forward, height and width must be multiples of 4, which ONNX shapes cannot say; the
// model's doc string does. The weights are written in float32, whatever their dtype here.
func (g *ResnetGenerator) ONNX(producer string) (*onnx.Model, error) {
	m := onnx.NewModel(producer, "ResnetGenerator")
	ngf := g.Model.Layers[1].(*nn.Conv2d).Weight.Value.Dim(0)
	m.DocString = fmt.Sprintf("CycleGAN ResnetGenerator, ngf %d, %d residual blocks. Input: RGB images [batch, 3, height, width] "+
		"in [-1, 1] (pixel/127.5 - 1), height and width multiples of 4. Output: the translated images, same shape, in (-1, 1).",
		ngf, g.blocks())
	shape := []onnx.Dim{onnx.Symbolic("batch"), onnx.Fixed(3), onnx.Symbolic("height"), onnx.Symbolic("width")}
	m.Graph.Inputs = []onnx.ValueInfo{{Name: "input", ElemType: onnx.Float, Shape: shape}}
	b := onnxBuilder{graph: &m.Graph}
	if _, err := b.sequential("model", g.Model, "input"); err != nil {
		return nil, err
	}
	// The last node (the Tanh) writes the graph's output: rename its value, which nothing reads.
	last := &m.Graph.Nodes[len(m.Graph.Nodes)-1]
	last.Outputs[0] = "output"
	m.Graph.Outputs = []onnx.ValueInfo{{Name: "output", ElemType: onnx.Float, Shape: shape}}
	return m, nil
}

// blocks counts the residual blocks.
func (g *ResnetGenerator) blocks() int {
	n := 0
	for _, l := range g.Model.Layers {
		if _, ok := l.(*ResnetBlock); ok {
			n++
		}
	}
	return n
}

// onnxBuilder appends the nodes of layers to a graph.
type onnxBuilder struct {
	graph *onnx.Graph
}

// sequential appends the layers of s, named prefix.0, prefix.1, ..., each reading the previous
// one's output, starting from x, and returns the last output.
func (b onnxBuilder) sequential(prefix string, s *nn.Sequential, x string) (string, error) {
	for i, layer := range s.Layers {
		var err error
		if x, err = b.layer(fmt.Sprintf("%s.%d", prefix, i), layer, x); err != nil {
			return "", err
		}
	}
	return x, nil
}

// layer appends the node (or nodes) of one layer called name reading x, and returns the name of
// its output, which is name itself.
func (b onnxBuilder) layer(name string, layer nn.Module, x string) (string, error) {
	g := b.graph
	switch l := layer.(type) {
	case *nn.ReflectionPad2d:
		p := l.Pad
		// ONNX pads list every axis's start, then every axis's end: N, C, H, W, then N, C, H, W.
		pads := fmt.Sprintf("pads.%d.%d.%d.%d", p.Top, p.Left, p.Bottom, p.Right)
		if !g.HasInitializer(pads) {
			g.AddInitializer(onnx.Int64Tensor(pads, []int{8}, []int64{0, 0, int64(p.Top), int64(p.Left), 0, 0, int64(p.Bottom), int64(p.Right)}))
		}
		return g.AddNode("Pad", name, []string{x, pads}, onnx.StringAttr("mode", "reflect")), nil
	case *nn.Conv2d:
		o := l.Options
		w := l.Weight.Value
		inputs := b.params(name, x, l.Weight, l.Bias)
		return g.AddNode("Conv", name, inputs,
			onnx.IntsAttr("kernel_shape", int64(w.Dim(2)), int64(w.Dim(3))),
			onnx.IntsAttr("strides", int64(o.Stride[0]), int64(o.Stride[1])),
			onnx.IntsAttr("pads", int64(o.Padding[0]), int64(o.Padding[1]), int64(o.Padding[0]), int64(o.Padding[1])),
			onnx.IntsAttr("dilations", int64(o.Dilation[0]), int64(o.Dilation[1])),
		), nil
	case *nn.ConvTranspose2d:
		o := l.Options
		w := l.Weight.Value
		inputs := b.params(name, x, l.Weight, l.Bias)
		// ONNX's output size, stride·(in − 1) + output_padding + (k − 1)·dilation + 1 − pads, is
		// PyTorch's: the same attributes give the same shape.
		return g.AddNode("ConvTranspose", name, inputs,
			onnx.IntsAttr("kernel_shape", int64(w.Dim(2)), int64(w.Dim(3))),
			onnx.IntsAttr("strides", int64(o.Stride[0]), int64(o.Stride[1])),
			onnx.IntsAttr("pads", int64(o.Padding[0]), int64(o.Padding[1]), int64(o.Padding[0]), int64(o.Padding[1])),
			onnx.IntsAttr("output_padding", int64(o.OutputPadding[0]), int64(o.OutputPadding[1])),
			onnx.IntsAttr("dilations", int64(o.Dilation[0]), int64(o.Dilation[1])),
		), nil
	case *nn.InstanceNorm2d:
		var scale, bias string
		if l.Weight != nil {
			scale, bias = b.param(name+".weight", l.Weight.Value), b.param(name+".bias", l.Bias.Value)
		} else {
			// InstanceNormalization requires a scale and a bias: give it the identity, shared by
			// every layer of the same width.
			scale, bias = b.constant("ones", l.NumFeatures, 1), b.constant("zeros", l.NumFeatures, 0)
		}
		return g.AddNode("InstanceNormalization", name, []string{x, scale, bias}, onnx.FloatAttr("epsilon", float32(l.Eps))), nil
	case *nn.ReLU:
		return g.AddNode("Relu", name, []string{x}), nil
	case *nn.Tanh:
		return g.AddNode("Tanh", name, []string{x}), nil
	case *ResnetBlock:
		y, err := b.sequential(name+".conv_block", l.ConvBlock, x)
		if err != nil {
			return "", err
		}
		return g.AddNode("Add", name, []string{x, y}), nil
	}
	return "", fmt.Errorf("cyclegan: ONNX export: layer %s (%T) has no ONNX form here", name, layer)
}

// params adds a layer's weight and bias (if it has one) as initializers called name.weight and
// name.bias, and returns the node's inputs: x, the weight, and the bias.
func (b onnxBuilder) params(name, x string, weight, bias *autograd.Var) []string {
	inputs := []string{x, b.param(name+".weight", weight.Value)}
	if bias != nil {
		inputs = append(inputs, b.param(name+".bias", bias.Value))
	}
	return inputs
}

// param adds t as a float32 initializer called name and returns the name.
func (b onnxBuilder) param(name string, t *tensor.Tensor) string {
	return b.graph.AddInitializer(onnx.Float32Tensor(name, t.Shape(), t.Float32s()))
}

// constant returns the name of a vector of n copies of v called kind.n ("ones.64"), added the
// first time it is asked for.
func (b onnxBuilder) constant(kind string, n int, v float32) string {
	name := fmt.Sprintf("%s.%d", kind, n)
	if !b.graph.HasInitializer(name) {
		data := make([]float32, n)
		for i := range data {
			data[i] = v
		}
		b.graph.AddInitializer(onnx.Float32Tensor(name, []int{n}, data))
	}
	return name
}
