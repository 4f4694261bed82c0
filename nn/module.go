package nn

import (
	"slices"
	"strconv"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// Module is a layer or a network: a function of one input with parameters. Parameters(m) lists
// the parameters alone.
type Module interface {
	// Forward applies the module to x.
	Forward(x *autograd.Var) *autograd.Var
	// NamedParameters returns the parameters with dotted names equal to the keys of PyTorch's
	// state_dict for the same structure: "weight", "bias", "1.weight", "model.10.conv_block.1.bias".
	NamedParameters() []NamedParam
}

// NamedParam is a parameter and its state_dict key.
type NamedParam struct {
	Name  string
	Param *autograd.Var
}

// TrainingSetter is implemented by modules that behave differently in training and evaluation
// (Dropout) and by containers, which pass the mode on to their children. A module that holds
// other modules should implement it by calling SetTraining on each child, as Sequential does.
type TrainingSetter interface {
	SetTraining(training bool)
}

// SetTraining puts m in training mode (true, the mode every module starts in) or evaluation mode
// (false), PyTorch's m.train() and m.eval(). Modules that do not implement TrainingSetter behave
// the same in both modes and are left alone.
func SetTraining(m Module, training bool) {
	if t, ok := m.(TrainingSetter); ok {
		t.SetTraining(training)
	}
}

// To moves every parameter of m to backend b (PyTorch's m.to(device)), replacing each parameter's
// Value, and its Grad if it has one, by a copy on b. Parameters already on b are left as they are.
func To(m Module, b tensor.Backend) {
	for _, p := range Parameters(m) {
		p.Value = p.Value.To(b)
		if p.Grad != nil {
			p.Grad = p.Grad.To(b)
		}
	}
}

// Cast converts every parameter of m to dtype dt (PyTorch's m.double() and m.float()), replacing
// each parameter's Value and dropping its gradient. Tests cast modules to float64 for GradCheck.
func Cast(m Module, dt tensor.DType) {
	for _, p := range Parameters(m) {
		p.Value = tensor.Cast(p.Value, dt)
		p.Grad = nil
	}
}

// RequiresGrad turns the gradients of every parameter of m on or off, PyTorch's
// m.requires_grad_(on), and returns a function that gives each parameter its previous setting back.
// Evaluation turns them off: an op records nothing when none of its inputs requires a gradient, so
// a forward pass of a frozen module on a constant input keeps no graph and no activations:
//
//	defer nn.RequiresGrad(m, false)() // until the function returns
//	y := m.Forward(autograd.Constant(x))
//
// The setting belongs to m's parameters, not to a goroutine or the process: another goroutine that
// trains its own module meanwhile keeps its graph. Like any change to m, it must not run while
// another goroutine uses m itself (which would race with m's optimizer step anyway).
func RequiresGrad(m Module, on bool) (restore func()) {
	params := Parameters(m)
	before := make([]bool, len(params))
	for i, p := range params {
		before[i] = p.RequiresGrad()
		p.SetRequiresGrad(on)
	}
	return func() {
		for i, p := range params {
			p.SetRequiresGrad(before[i])
		}
	}
}

// NumParameters is the total number of parameter elements of m.
func NumParameters(m Module) int {
	n := 0
	for _, p := range Parameters(m) {
		n += p.Value.Numel()
	}
	return n
}

// Prefixed returns m's named parameters with prefix and a dot in front of every name: how a
// container names the parameters of a child stored under the attribute (or index) prefix.
func Prefixed(prefix string, m Module) []NamedParam {
	named := m.NamedParameters()
	out := make([]NamedParam, len(named))
	for i, np := range named {
		out[i] = NamedParam{Name: prefix + "." + np.Name, Param: np.Param}
	}
	return out
}

// Parameters returns m's parameters (leaf Vars that require gradients, unless frozen) in the
// order of m.NamedParameters(), PyTorch's m.parameters(): what an optimizer steps.
func Parameters(m Module) []*autograd.Var {
	named := m.NamedParameters()
	out := make([]*autograd.Var, len(named))
	for i, np := range named {
		out[i] = np.Param
	}
	return out
}

// Sequential applies its layers in order, PyTorch's nn.Sequential. The parameters of layer i are
// named "i.weight", "i.bias", ..., so a Sequential stored in a field called model gives the keys
// "model.0.weight" and so on. Layers without parameters still take up an index, as in PyTorch.
type Sequential struct {
	Layers []Module
}

// NewSequential returns a Sequential of the given layers. It keeps a copy of the list, so that
// NewSequential(layers...) does not tie the network to the caller's slice.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: slices.Clone(layers)} }

// Append adds layers at the end.
func (s *Sequential) Append(layers ...Module) { s.Layers = append(s.Layers, layers...) }

// Forward applies every layer in turn. A ReflectionPad2d directly followed by a Conv2d runs as
// one op, autograd.ReflectionPad2dConv2d: the same values and gradients, but the graph keeps the
// unpadded input for the convolution's weight gradient instead of the padded copy (ResNet
// generators pad before every convolution, so this is a tenth of their training memory), and
// the CPU may compute the input gradient without the padded image's (one-pixel pads before 3×3
// float32 convolutions, by Winograd: then it rounds differently from the two ops; elsewhere
// the results are theirs bit for bit).
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	for i := 0; i < len(s.Layers); i++ {
		if pad, conv, ok := PadConv(s.Layers, i); ok {
			x = autograd.ReflectionPad2dConv2d(x, pad.Pad, conv.Weight, conv.Bias, conv.Options)
			i++
			continue
		}
		x = s.Layers[i].Forward(x)
	}
	return x
}

// PadConv returns layers[i] and layers[i+1] if they are a ReflectionPad2d and the Conv2d right
// after it, the pair Sequential runs as one op; ok is false otherwise (i out of range too).
// Code that walks a Sequential's layers itself uses it to run or describe them as Forward does.
func PadConv(layers []Module, i int) (pad *ReflectionPad2d, conv *Conv2d, ok bool) {
	if i < 0 || i+1 >= len(layers) {
		return nil, nil, false
	}
	pad, isPad := layers[i].(*ReflectionPad2d)
	conv, isConv := layers[i+1].(*Conv2d)
	if !isPad || !isConv {
		return nil, nil, false
	}
	return pad, conv, true
}

// NamedParameters names each layer's parameters by the layer's index.
func (s *Sequential) NamedParameters() []NamedParam {
	var out []NamedParam
	for i, l := range s.Layers {
		out = append(out, Prefixed(strconv.Itoa(i), l)...)
	}
	return out
}

// SetTraining passes the mode on to every layer.
func (s *Sequential) SetTraining(training bool) {
	for _, l := range s.Layers {
		SetTraining(l, training)
	}
}

// newParam makes a leaf that requires a gradient.
func newParam(t *tensor.Tensor) *autograd.Var { return autograd.NewVar(t, true) }

// paramList returns the non-nil parameters among (name, param) pairs, in order; a layer without
// bias lists no "bias".
func paramList(pairs ...NamedParam) []NamedParam {
	var out []NamedParam
	for _, p := range pairs {
		if p.Param != nil {
			out = append(out, p)
		}
	}
	return out
}
