package nn

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// expectPanic runs f and checks that it panics with a message containing every fragment.
func expectPanic(t *testing.T, f func(), fragments ...string) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic; want one mentioning %q", fragments)
		}
		msg := fmt.Sprint(r)
		for _, frag := range fragments {
			if !strings.Contains(msg, frag) {
				t.Errorf("panic %q does not mention %q", msg, frag)
			}
		}
	}()
	f()
}

func names(named []NamedParam) []string {
	var out []string
	for _, np := range named {
		out = append(out, np.Name)
	}
	return out
}

// block mimics a CycleGAN residual block: a Sequential stored in the attribute conv_block.
type block struct{ convBlock *Sequential }

func (b *block) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Add(x, b.convBlock.Forward(x))
}
func (b *block) NamedParameters() []NamedParam { return Prefixed("conv_block", b.convBlock) }
func (b *block) SetTraining(training bool)     { b.convBlock.SetTraining(training) }

func TestSequentialNamesParametersLikePyTorch(t *testing.T) {
	rng := tensor.NewRNG(1)
	res := &block{convBlock: NewSequential(
		NewReflectionPad2d(1), NewConv2d(rng, 4, 4, 3, Conv2dOptions{}), NewInstanceNorm2d(4, InstanceNorm2dOptions{}), NewReLU(),
		NewDropout(0.5, rng),
		NewReflectionPad2d(1), NewConv2d(rng, 4, 4, 3, Conv2dOptions{NoBias: true}), NewInstanceNorm2d(4, InstanceNorm2dOptions{Affine: true}),
	)}
	model := NewSequential(NewConv2d(rng, 3, 4, 1, Conv2dOptions{}), NewReLU())
	model.Append(res, NewTanh())
	// The keys torch.nn.Sequential(Conv2d, ReLU, ResnetBlock, Tanh).state_dict() has.
	want := []string{"0.weight", "0.bias",
		"2.conv_block.1.weight", "2.conv_block.1.bias", "2.conv_block.6.weight",
		"2.conv_block.7.weight", "2.conv_block.7.bias"}
	if got := names(model.NamedParameters()); !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	if got, want := NumParameters(model), 3*4+4+4*4*9+4+4*4*9+4+4; got != want {
		t.Errorf("NumParameters %d, want %d", got, want)
	}
	params := Parameters(model)
	for i, np := range model.NamedParameters() {
		if params[i] != np.Param || !np.Param.RequiresGrad() || !np.Param.IsLeaf() {
			t.Errorf("parameter %d (%s) is not the named one, or not a leaf requiring a gradient", i, np.Name)
		}
	}
}

// TestSequentialOwnsItsLayerList: NewSequential(layers...) must not share the caller's slice, or
// reusing that slice, or appending to two Sequentials built from it, rewires a network.
func TestSequentialOwnsItsLayerList(t *testing.T) {
	relu, tanh, sigmoid := NewReLU(), NewTanh(), NewSigmoid()
	layers := make([]Module, 1, 4) // spare capacity, which append would write into
	layers[0] = relu
	a := NewSequential(layers...)
	b := NewSequential(layers...)
	a.Append(tanh)
	b.Append(sigmoid)
	layers[0] = sigmoid
	if !slices.Equal(a.Layers, []Module{relu, tanh}) || !slices.Equal(b.Layers, []Module{relu, sigmoid}) {
		t.Errorf("layers a %v, b %v; want [ReLU Tanh] and [ReLU Sigmoid]", a.Layers, b.Layers)
	}
}

func TestSetTrainingReachesNestedDropout(t *testing.T) {
	rng := tensor.NewRNG(2)
	drop := NewDropout(0.5, rng)
	model := NewSequential(NewReLU(), &block{convBlock: NewSequential(drop)})
	x := autograd.Constant(tensor.Ones(tensor.Float32, 100))
	SetTraining(model, false)
	if y := model.Forward(x); y.Value.Float32s()[0] != 2 { // the block adds x to dropout(x) = x
		t.Errorf("eval mode: got %v, want 2 everywhere", y.Value.Float32s()[:4])
	}
	SetTraining(model, true)
	y := model.Forward(x).Value.Float32s()
	if !slices.Contains(y, 1) || !slices.Contains(y, 3) {
		t.Errorf("training mode: got %v, want a mix of 1 (dropped) and 3 (kept, scaled by 2)", y[:10])
	}
	SetTraining(NewTanh(), false) // modules without modes are left alone
}

func TestCastAndTo(t *testing.T) {
	rng := tensor.NewRNG(3)
	c := NewConv2d(rng, 2, 3, 3, Conv2dOptions{})
	w32 := c.Weight.Value.Float32s()
	c.Weight.Grad = tensor.ZerosLike(c.Weight.Value)
	w := c.Weight
	Cast(c, tensor.Float64)
	if c.Weight != w || c.Weight.DType() != tensor.Float64 || c.Bias.DType() != tensor.Float64 || c.Weight.Grad != nil {
		t.Fatalf("Cast: weight %s (same Var %v), bias %s, grad %v", c.Weight.DType(), c.Weight == w, c.Bias.DType(), c.Weight.Grad)
	}
	for i, v := range c.Weight.Value.Float64s() {
		if v != float64(w32[i]) {
			t.Fatalf("Cast changed element %d: %g, was %g", i, v, w32[i])
		}
	}
	before := c.Weight.Value
	To(c, tensor.CPU)
	if c.Weight.Value != before {
		t.Error("To the backend a parameter is already on copied it")
	}
}

func TestLayerStrings(t *testing.T) {
	rng := tensor.NewRNG(4)
	for _, c := range []struct {
		m    Module
		want string
	}{
		{NewConv2d(rng, 3, 64, 7, Conv2dOptions{}), "Conv2d(3, 64, kernel_size=(7, 7), stride=(1, 1), padding=(0, 0), dilation=(1, 1), bias=True)"},
		{NewConvTranspose2d(rng, 256, 128, 3, ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}),
			"ConvTranspose2d(256, 128, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), dilation=(1, 1), bias=True)"},
		{NewReflectionPad2d(3), "ReflectionPad2d((3, 3, 3, 3))"},
		{NewInstanceNorm2d(64, InstanceNorm2dOptions{}), "InstanceNorm2d(64, eps=1e-05, affine=False, track_running_stats=False)"},
		{NewLeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"},
		{NewDropout(DefaultDropoutP, rng), "Dropout(p=0.5)"},
	} {
		if got := fmt.Sprint(c.m); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

// TestRequiresGradFreezesAndRestores: RequiresGrad(m, false) leaves a forward without a graph, and
// its restore function gives every parameter its own previous setting back, a frozen one included.
func TestRequiresGradFreezesAndRestores(t *testing.T) {
	rng := tensor.NewRNG(4)
	m := NewSequential(NewConv2d(rng, 1, 2, 3, Conv2dOptions{}), NewConv2d(rng, 2, 1, 1, Conv2dOptions{}))
	frozen := m.Layers[1].(*Conv2d).Bias
	frozen.SetRequiresGrad(false)
	restore := RequiresGrad(m, false)
	x := autograd.Constant(tensor.Ones(tensor.Float32, 1, 1, 4, 4))
	if y := m.Forward(x); y.RequiresGrad() || !y.IsLeaf() {
		t.Errorf("a frozen module's output requires grad=%v, leaf=%v", y.RequiresGrad(), y.IsLeaf())
	}
	restore()
	for _, np := range m.NamedParameters() {
		if want := np.Param != frozen; np.Param.RequiresGrad() != want {
			t.Errorf("%s: requires grad %v after restore, want %v", np.Name, np.Param.RequiresGrad(), want)
		}
	}
	if y := m.Forward(x); !y.RequiresGrad() {
		t.Error("the restored module records nothing")
	}
}

// TestEvaluatingOneModuleLeavesAnotherTraining: a goroutine evaluating a frozen module does not stop
// another goroutine from recording the graph of the module it trains (run with -race).
func TestEvaluatingOneModuleLeavesAnotherTraining(t *testing.T) {
	rng := tensor.NewRNG(5)
	train, eval := NewConv2d(rng, 1, 1, 3, Conv2dOptions{}), NewConv2d(rng, 1, 1, 3, Conv2dOptions{})
	x := tensor.Ones(tensor.Float32, 1, 1, 5, 5)
	done := make(chan struct{})
	evaluated := make(chan int)
	go func() {
		defer RequiresGrad(eval, false)()
		n := 0
		for {
			select {
			case <-done:
				evaluated <- n
				return
			default:
			}
			if eval.Forward(autograd.Constant(x)).RequiresGrad() {
				t.Error("the frozen module recorded a graph")
			}
			n++
		}
	}()
	for range 20 {
		y := train.Forward(autograd.Constant(x))
		if !y.RequiresGrad() {
			t.Fatal("the training module recorded nothing while another one was evaluated")
		}
		autograd.Sum(y, nil, false).Backward()
		if train.Weight.Grad == nil {
			t.Fatal("no weight gradient")
		}
		train.Weight.ZeroGrad()
	}
	close(done)
	if n := <-evaluated; n == 0 {
		t.Log("the evaluating goroutine did not get to run")
	}
}
