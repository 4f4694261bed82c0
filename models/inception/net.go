package inception

import (
	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// FeatureDims is the number of features per image: the channels of the final average pool
// (pytorch-fid's dims=2048, its pool3 block).
const FeatureDims = 2048

// stage is one step of the network: a named layer (a BasicConv2d or an Inception block, under
// its torchvision attribute name) or, with an empty name, a layer without parameters.
type stage struct {
	name  string
	layer nn.Module
}

// Net is the FID Inception-v3 network (see the package documentation). Its parameters do not
// require gradients and its BatchNorm layers are in evaluation mode: it is built to be loaded
// (LoadWeights, LoadFile) and evaluated, and is safe for concurrent Forward calls.
type Net struct {
	stages []stage
	// FC is the 1008-class classifier of the weights file (fc.weight, fc.bias), loaded when the
	// file has it; the features stop before it.
	FC *nn.Linear
}

// New returns the network with zero weights, in float32 on the CPU. Load its weights with
// LoadWeights.
func New() *Net {
	n := &Net{stages: []stage{
		{"Conv2d_1a_3x3", square(3, 32, 3, 2, 0)},  // 299 → 149
		{"Conv2d_2a_3x3", square(32, 32, 3, 1, 0)}, // → 147
		{"Conv2d_2b_3x3", square(32, 64, 3, 1, 1)},
		{"", reduce()}, // → 73
		{"Conv2d_3b_1x1", square(64, 80, 1, 1, 0)},  //
		{"Conv2d_4a_3x3", square(80, 192, 3, 1, 0)}, // → 71
		{"", reduce()},                    // → 35
		{"Mixed_5b", inceptionA(192, 32)}, // 256 channels
		{"Mixed_5c", inceptionA(256, 64)}, // 288
		{"Mixed_5d", inceptionA(288, 64)}, // 288
		{"Mixed_6a", inceptionB(288)},     // 768, → 17
		{"Mixed_6b", inceptionC(768, 128)},
		{"Mixed_6c", inceptionC(768, 160)},
		{"Mixed_6d", inceptionC(768, 160)},
		{"Mixed_6e", inceptionC(768, 192)},
		{"Mixed_7a", inceptionD(768)},                                   // 1280, → 8
		{"Mixed_7b", inceptionE("FIDInceptionE_1", 1280, fidAvgPool())}, // 2048
		{"Mixed_7c", inceptionE("FIDInceptionE_2", 2048, fidMaxPool())},
		{"", nn.NewAdaptiveAvgPool2d(1, 1)},
		{"", nn.NewFlatten()},
	}}
	n.FC = nn.NewLinear(nil, FeatureDims, 1008, nn.LinearOptions{})
	nn.RequiresGrad(n, false)
	return n
}

// Forward runs the network on x, [N, 3, H, W] already mapped to [−1, 1] (at least 75×75,
// normally 299×299), and returns the pooled features [N, 2048]. Features does the resizing and
// the mapping first.
func (n *Net) Forward(x *autograd.Var) *autograd.Var {
	for _, s := range n.stages {
		x = s.layer.Forward(x)
	}
	return x
}

// NamedParameters returns the parameters under torchvision's state dict keys, fc included.
func (n *Net) NamedParameters() []nn.NamedParam {
	var out []nn.NamedParam
	for _, s := range n.stages {
		if s.name != "" {
			out = append(out, nn.Prefixed(s.name, s.layer)...)
		}
	}
	return append(out, nn.Prefixed("fc", n.FC)...)
}

// NamedBuffers returns the BatchNorm statistics under torchvision's state dict keys.
func (n *Net) NamedBuffers() []nn.NamedBuffer {
	var out []nn.NamedBuffer
	for _, s := range n.stages {
		if s.name != "" {
			out = append(out, nn.PrefixedBuffers(s.name, s.layer)...)
		}
	}
	return out
}

// SetTraining switches the BatchNorm layers between training and evaluation mode; Features
// needs evaluation mode, the mode New returns.
func (n *Net) SetTraining(training bool) {
	for _, s := range n.stages {
		nn.SetTraining(s.layer, training)
	}
}

// stateTensors maps every state dict key of n to its tensor: parameters and buffers.
func (n *Net) stateTensors() map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	for _, np := range n.NamedParameters() {
		out[np.Name] = np.Param.Value
	}
	for _, nb := range n.NamedBuffers() {
		out[nb.Name] = nb.Value
	}
	return out
}
