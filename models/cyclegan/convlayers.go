package cyclegan

import (
	"strconv"

	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// ConvLayer is one convolution of a network as package tensor runs it, for tools that time or
// count the convolutions one by one (zebra-bench conv).
type ConvLayer struct {
	// Name is the layer's state_dict prefix, as PyTorch's named_modules prints it
	// ("model.10.conv_block.1").
	Name string
	// Transposed marks a ConvTranspose2d. Its geometry is then that of the convolution it is the
	// adjoint of (as autograd.ConvTranspose2d plans it): the image is the transposed layer's
	// output, OH×OW its input, and the layer's forward is tensor.Conv2dInput of Geom, its input
	// gradient tensor.Conv2d, its weight gradient tensor.Conv2dWeight with image and gradient
	// exchanged.
	Transposed bool
	// Geom is the geometry, with the padding of a preceding ReflectionPad2d already in its H×W.
	Geom tensor.ConvGeom
	// Cout is the geometry's output channel count (Weight.Dim(0) either way).
	Cout int
	// Reflect is the padding of the ReflectionPad2d right before a Conv2d (zero for none). nn.Sequential
	// runs the two as autograd.ReflectionPad2dConv2d, whose input gradient is
	// tensor.ReflectPad2dConv2dInput(dy, w, Geom, Reflect), through the pad's adjoint.
	Reflect tensor.Pad2d
}

// MACs is the multiply-adds of one pass of the layer (forward, input or weight gradient alike):
// N·Cout·C·KH·KW·OH·OW.
func (l ConvLayer) MACs() int {
	g := l.Geom
	return g.N * l.Cout * g.C * g.KH * g.KW * g.OH * g.OW
}

// ConvLayers lists the convolutions that a forward pass of m on an [n, c, h, w] input runs, in
// call order. It follows the shape through the layers of the networks in this package (their
// Sequentials, residual blocks, reflection pads, convolutions, and layers that keep the shape);
// at a module of any other kind, whose output shape it cannot know, the list stops.
func ConvLayers(m nn.Module, n, c, h, w int) []ConvLayer {
	var out []ConvLayer
	s := convWalk{n: n, c: c, h: h, w: w, out: &out}
	switch m := m.(type) {
	case *ResnetGenerator:
		s.sequential("model.", m.Model)
	case *NLayerDiscriminator:
		s.sequential("model.", m.Model)
	case *nn.Sequential:
		s.sequential("", m)
	}
	return out
}

// convWalk carries the [N, C, H, W] shape of the activation through a network.
type convWalk struct {
	n, c, h, w int
	out        *[]ConvLayer
}

// sequential walks the layers of s, named prefix + their index; it returns false where it met a
// layer whose output shape it does not know.
func (s *convWalk) sequential(prefix string, seq *nn.Sequential) bool {
	for i, l := range seq.Layers {
		name := prefix + strconv.Itoa(i)
		switch l := l.(type) {
		case *ResnetBlock: // x + F(x): F keeps the shape
			if !s.sequential(name+".conv_block.", l.ConvBlock) {
				return false
			}
		case *nn.ReflectionPad2d:
			s.h += l.Pad.Top + l.Pad.Bottom
			s.w += l.Pad.Left + l.Pad.Right
		case *nn.Conv2d:
			ws := l.Weight.Shape() // [Cout, Cin, KH, KW]
			o := l.Options
			g := tensor.NewConvGeom(s.n, s.c, s.h, s.w, ws[2], ws[3], o.Stride[0], o.Stride[1],
				o.Padding[0], o.Padding[1], max(o.Dilation[0], 1), max(o.Dilation[1], 1))
			var reflect tensor.Pad2d
			if pad, _, ok := nn.PadConv(seq.Layers, i-1); ok {
				reflect = pad.Pad
			}
			*s.out = append(*s.out, ConvLayer{Name: name, Geom: g, Cout: ws[0], Reflect: reflect})
			s.c, s.h, s.w = ws[0], g.OH, g.OW
		case *nn.ConvTranspose2d:
			ws := l.Weight.Shape() // [Cin, Cout, KH, KW]
			o := l.Options
			stride := [2]int{max(o.Stride[0], 1), max(o.Stride[1], 1)}
			dil := [2]int{max(o.Dilation[0], 1), max(o.Dilation[1], 1)}
			// PyTorch's output size, (H − 1)·s − 2·pad + d·(K − 1) + outputPad + 1.
			oh := (s.h-1)*stride[0] - 2*o.Padding[0] + dil[0]*(ws[2]-1) + o.OutputPadding[0] + 1
			ow := (s.w-1)*stride[1] - 2*o.Padding[1] + dil[1]*(ws[3]-1) + o.OutputPadding[1] + 1
			g := tensor.NewConvGeom(s.n, ws[1], oh, ow, ws[2], ws[3], stride[0], stride[1],
				o.Padding[0], o.Padding[1], dil[0], dil[1])
			g.OH, g.OW = s.h, s.w // the adjoint of the convolution restricted to the input's size
			*s.out = append(*s.out, ConvLayer{Name: name, Transposed: true, Geom: g, Cout: ws[0]})
			s.c, s.h, s.w = ws[1], oh, ow
		case *nn.InstanceNorm2d, *nn.ReLU, *nn.LeakyReLU, *nn.Tanh:
		default:
			return false
		}
	}
	return true
}
