package inception

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// bnEps is the BatchNorm eps of every BasicConv2d, TensorFlow's 0.001 rather than PyTorch's
// default 1e-5.
const bnEps = 0.001

// basicConv2d is torchvision's BasicConv2d: a convolution without bias, a BatchNorm2d and a
// ReLU, with the state dict keys conv.weight and bn.weight, bn.bias, bn.running_mean,
// bn.running_var, bn.num_batches_tracked.
type basicConv2d struct {
	conv *nn.Conv2d
	bn   *nn.BatchNorm2d
}

// newConv returns a basicConv2d with a kh×kw kernel and zero weights (to be loaded), in
// evaluation mode.
func newConv(in, out, kh, kw, stride, padH, padW int) *basicConv2d {
	conv := &nn.Conv2d{
		Weight:  autograd.NewVar(tensor.Zeros(tensor.Float32, out, in, kh, kw), true),
		Options: autograd.Conv2dOptions{Stride: [2]int{stride, stride}, Padding: [2]int{padH, padW}, Dilation: [2]int{1, 1}},
	}
	bn := nn.NewBatchNorm2d(out, nn.BatchNorm2dOptions{Eps: bnEps})
	bn.SetTraining(false)
	return &basicConv2d{conv: conv, bn: bn}
}

// square is a basicConv2d with a k×k kernel, stride and padding; rect one with a kh×kw kernel,
// stride 1 and the padding that keeps the size (the 1×7, 7×1, 1×3 and 3×1 convolutions).
func square(in, out, k, stride, pad int) *basicConv2d {
	return newConv(in, out, k, k, stride, pad, pad)
}
func rect(in, out, kh, kw int) *basicConv2d { return newConv(in, out, kh, kw, 1, kh/2, kw/2) }

func (b *basicConv2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Relu(b.bn.Forward(b.conv.Forward(x)))
}

func (b *basicConv2d) NamedParameters() []nn.NamedParam {
	return append(nn.Prefixed("conv", b.conv), nn.Prefixed("bn", b.bn)...)
}

func (b *basicConv2d) NamedBuffers() []nn.NamedBuffer { return nn.PrefixedBuffers("bn", b.bn) }

func (b *basicConv2d) SetTraining(training bool) { b.bn.SetTraining(training) }

// named is a sub-layer and its attribute name in torchvision's module.
type named struct {
	name string
	conv *basicConv2d
}

// branch is one branch of an Inception block: an optional pooling, then a chain of
// convolutions, then, in the E blocks, a split: two convolutions applied side by side to the
// chain's output, their outputs concatenated (branch3x3_2a and branch3x3_2b).
type branch struct {
	pool  nn.Module
	chain []named
	split []named
}

func (b branch) forward(x *autograd.Var) *autograd.Var {
	if b.pool != nil {
		x = b.pool.Forward(x)
	}
	for _, c := range b.chain {
		x = c.conv.Forward(x)
	}
	if len(b.split) == 0 {
		return x
	}
	outs := make([]*autograd.Var, len(b.split))
	for i, c := range b.split {
		outs[i] = c.conv.Forward(x)
	}
	return autograd.Concat(outs, 1)
}

// convs lists the branch's convolutions in state dict order.
func (b branch) convs() []named { return append(append([]named(nil), b.chain...), b.split...) }

// block is an Inception block (InceptionA to InceptionE): its branches run on the same input
// and their outputs are concatenated along the channels.
type block struct {
	name     string // the torchvision class, for String
	branches []branch
}

func (b *block) Forward(x *autograd.Var) *autograd.Var {
	outs := make([]*autograd.Var, len(b.branches))
	for i, br := range b.branches {
		outs[i] = br.forward(x)
	}
	return autograd.Concat(outs, 1)
}

func (b *block) each(f func(named)) {
	for _, br := range b.branches {
		for _, c := range br.convs() {
			f(c)
		}
	}
}

func (b *block) NamedParameters() []nn.NamedParam {
	var out []nn.NamedParam
	b.each(func(c named) { out = append(out, nn.Prefixed(c.name, c.conv)...) })
	return out
}

func (b *block) NamedBuffers() []nn.NamedBuffer {
	var out []nn.NamedBuffer
	b.each(func(c named) { out = append(out, nn.PrefixedBuffers(c.name, c.conv)...) })
	return out
}

func (b *block) SetTraining(training bool) { b.each(func(c named) { c.conv.SetTraining(training) }) }

func (b *block) String() string { return fmt.Sprintf("%s(%d branches)", b.name, len(b.branches)) }

// The pool branches. fidAvgPool is the TensorFlow average pool of the FID network's A, C and
// first E blocks (count_include_pad=False); the second E block max-pools with the same window.
func fidAvgPool() nn.Module {
	return nn.NewAvgPool2d(3, nn.Pool2dOptions{Stride: 1, Padding: 1, ExcludePadding: true})
}
func fidMaxPool() nn.Module { return nn.NewMaxPool2d(3, nn.Pool2dOptions{Stride: 1, Padding: 1}) }

// reduce is the stride-2 max pool of the stem and of the B and D blocks.
func reduce() nn.Module { return nn.NewMaxPool2d(3, nn.Pool2dOptions{Stride: 2}) }

// inceptionA is FIDInceptionA: 64 + 64 + 96 + poolFeatures channels at the same size.
func inceptionA(in, poolFeatures int) *block {
	return &block{name: "FIDInceptionA", branches: []branch{
		{chain: []named{{"branch1x1", square(in, 64, 1, 1, 0)}}},
		{chain: []named{{"branch5x5_1", square(in, 48, 1, 1, 0)}, {"branch5x5_2", square(48, 64, 5, 1, 2)}}},
		{chain: []named{{"branch3x3dbl_1", square(in, 64, 1, 1, 0)}, {"branch3x3dbl_2", square(64, 96, 3, 1, 1)}, {"branch3x3dbl_3", square(96, 96, 3, 1, 1)}}},
		{pool: fidAvgPool(), chain: []named{{"branch_pool", square(in, poolFeatures, 1, 1, 0)}}},
	}}
}

// inceptionB is torchvision's InceptionB (Mixed_6a): 384 + 96 + in channels at half the size.
func inceptionB(in int) *block {
	return &block{name: "InceptionB", branches: []branch{
		{chain: []named{{"branch3x3", square(in, 384, 3, 2, 0)}}},
		{chain: []named{{"branch3x3dbl_1", square(in, 64, 1, 1, 0)}, {"branch3x3dbl_2", square(64, 96, 3, 1, 1)}, {"branch3x3dbl_3", square(96, 96, 3, 2, 0)}}},
		{pool: reduce()},
	}}
}

// inceptionC is FIDInceptionC: 4×192 channels, factorized 7×7 convolutions of c7 channels.
func inceptionC(in, c7 int) *block {
	return &block{name: "FIDInceptionC", branches: []branch{
		{chain: []named{{"branch1x1", square(in, 192, 1, 1, 0)}}},
		{chain: []named{{"branch7x7_1", square(in, c7, 1, 1, 0)}, {"branch7x7_2", rect(c7, c7, 1, 7)}, {"branch7x7_3", rect(c7, 192, 7, 1)}}},
		{chain: []named{{"branch7x7dbl_1", square(in, c7, 1, 1, 0)}, {"branch7x7dbl_2", rect(c7, c7, 7, 1)}, {"branch7x7dbl_3", rect(c7, c7, 1, 7)},
			{"branch7x7dbl_4", rect(c7, c7, 7, 1)}, {"branch7x7dbl_5", rect(c7, 192, 1, 7)}}},
		{pool: fidAvgPool(), chain: []named{{"branch_pool", square(in, 192, 1, 1, 0)}}},
	}}
}

// inceptionD is torchvision's InceptionD (Mixed_7a): 320 + 192 + in channels at half the size.
func inceptionD(in int) *block {
	return &block{name: "InceptionD", branches: []branch{
		{chain: []named{{"branch3x3_1", square(in, 192, 1, 1, 0)}, {"branch3x3_2", square(192, 320, 3, 2, 0)}}},
		{chain: []named{{"branch7x7x3_1", square(in, 192, 1, 1, 0)}, {"branch7x7x3_2", rect(192, 192, 1, 7)}, {"branch7x7x3_3", rect(192, 192, 7, 1)},
			{"branch7x7x3_4", square(192, 192, 3, 2, 0)}}},
		{pool: reduce()},
	}}
}

// inceptionE is FIDInceptionE_1 (with fidAvgPool) or FIDInceptionE_2 (with fidMaxPool):
// 320 + 2×384 + 2×384 + 192 = 2048 channels.
func inceptionE(name string, in int, pool nn.Module) *block {
	return &block{name: name, branches: []branch{
		{chain: []named{{"branch1x1", square(in, 320, 1, 1, 0)}}},
		{chain: []named{{"branch3x3_1", square(in, 384, 1, 1, 0)}},
			split: []named{{"branch3x3_2a", rect(384, 384, 1, 3)}, {"branch3x3_2b", rect(384, 384, 3, 1)}}},
		{chain: []named{{"branch3x3dbl_1", square(in, 448, 1, 1, 0)}, {"branch3x3dbl_2", square(448, 384, 3, 1, 1)}},
			split: []named{{"branch3x3dbl_3a", rect(384, 384, 1, 3)}, {"branch3x3dbl_3b", rect(384, 384, 3, 1)}}},
		{pool: pool, chain: []named{{"branch_pool", square(in, 192, 1, 1, 0)}}},
	}}
}
