package cyclegan

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// ResnetGenerator is CycleGAN's generator (Johnson et al. 2016, as in the authors' official
// networks.py with InstanceNorm, no dropout and reflection padding). With ngf = 64 the layers are
//
//	0  ReflectionPad2d(3)            10 .. 9+blocks  ResnetBlock(256)
//	1  Conv2d(3, 64, 7)              then twice: ConvTranspose2d(256→128→64, 3, stride 2,
//	2  InstanceNorm2d(64)                         padding 1, output_padding 1), InstanceNorm2d, ReLU
//	3  ReLU                          then ReflectionPad2d(3), Conv2d(64, 3, 7), Tanh
//	4..9  twice: Conv2d(64→128→256, 3, stride 2, padding 1), InstanceNorm2d, ReLU
//
// all in one Sequential stored as "model", so the parameter names are the official state_dict
// keys: "model.1.weight", "model.10.conv_block.1.weight", "model.26.bias" for 9 blocks. Every
// convolution has a bias (the official code adds one because InstanceNorm has no affine shift).
// With ngf 64 and 9 blocks it has 11,378,179 parameters.
//
// Shape: input [N, 3, H, W] with H and W multiples of 4 (the two stride-2 convolutions halve the
// size twice and the transposed ones double it back), output the same, in (−1, 1).
type ResnetGenerator struct {
	Model *nn.Sequential
}

// NewResnetGenerator returns a generator with ngf filters in its first layer and the given number
// of residual blocks (9 for 256x256 images, 6 for 128x128 in the paper), its convolution weights
// drawn from N(0, 0.02²) with rng and its biases 0.
func NewResnetGenerator(rng *tensor.RNG, ngf, blocks int) *ResnetGenerator {
	g := newResnetGenerator(rng, ngf, blocks)
	initWeights(g, rng)
	return g
}

// newResnetGenerator builds the generator's layers with nn's default initialization drawn from
// rng, which NewResnetGenerator then replaces by the official one, or with zero weights if rng is
// nil. LoadGenerator, which overwrites every weight with a checkpoint's, passes nil: drawing the
// 11 million weights twice took 0.19 s of its 0.28 s at ngf 64 with 9 blocks.
func newResnetGenerator(rng *tensor.RNG, ngf, blocks int) *ResnetGenerator {
	if ngf < 1 || blocks < 0 {
		panic(fmt.Sprintf("cyclegan.NewResnetGenerator: ngf %d and %d blocks: want ngf ≥ 1 and blocks ≥ 0", ngf, blocks))
	}
	const inputChannels, outputChannels = 3, 3
	norm := func(c int) nn.Module { return nn.NewInstanceNorm2d(c, nn.InstanceNorm2dOptions{}) }
	m := nn.NewSequential(
		nn.NewReflectionPad2d(3),
		nn.NewConv2d(rng, inputChannels, ngf, 7, nn.Conv2dOptions{}),
		norm(ngf),
		nn.NewReLU(),
	)
	for i := range 2 { // downsampling: ngf → 2·ngf → 4·ngf
		mult := 1 << i
		m.Append(
			nn.NewConv2d(rng, ngf*mult, ngf*mult*2, 3, nn.Conv2dOptions{Stride: 2, Padding: 1}),
			norm(ngf*mult*2),
			nn.NewReLU(),
		)
	}
	for range blocks {
		m.Append(NewResnetBlock(rng, ngf*4))
	}
	for i := range 2 { // upsampling: 4·ngf → 2·ngf → ngf
		mult := 1 << (2 - i)
		m.Append(
			nn.NewConvTranspose2d(rng, ngf*mult, ngf*mult/2, 3, nn.ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}),
			norm(ngf*mult/2),
			nn.NewReLU(),
		)
	}
	m.Append(
		nn.NewReflectionPad2d(3),
		nn.NewConv2d(rng, ngf, outputChannels, 7, nn.Conv2dOptions{}),
		nn.NewTanh(),
	)
	return &ResnetGenerator{Model: m}
}

// Forward translates a batch of images.
func (g *ResnetGenerator) Forward(x *autograd.Var) *autograd.Var {
	if x.Value.NDim() != 4 || x.Value.Dim(1) != 3 || x.Value.Dim(2)%4 != 0 || x.Value.Dim(3)%4 != 0 {
		panic(fmt.Sprintf("cyclegan.ResnetGenerator: input %v: want [N, 3, H, W] with H and W multiples of 4", x.Shape()))
	}
	return g.Model.Forward(x)
}

// NamedParameters returns the parameters under their official state_dict keys ("model.1.weight").
func (g *ResnetGenerator) NamedParameters() []nn.NamedParam { return nn.Prefixed("model", g.Model) }

// Parameters is nn.Parameters(g), for the callers that step the networks' parameters.
func (g *ResnetGenerator) Parameters() []*autograd.Var { return nn.Parameters(g) }

// SetTraining passes the training or evaluation mode on to every layer (see nn.SetTraining).
func (g *ResnetGenerator) SetTraining(training bool) { g.Model.SetTraining(training) }

// ResnetBlock is the generator's residual block, x + F(x) with
//
//	F = ReflectionPad2d(1), Conv2d(dim, dim, 3), InstanceNorm2d, ReLU,
//	    ReflectionPad2d(1), Conv2d(dim, dim, 3), InstanceNorm2d
//
// stored as the Sequential "conv_block" (weights "conv_block.1.weight" and "conv_block.5.weight").
// As in the official code there is no ReLU after the sum.
//
// Shape: input [N, dim, H, W] with H, W ≥ 2, output the same.
type ResnetBlock struct {
	ConvBlock *nn.Sequential
}

// NewResnetBlock returns a residual block of dim channels.
func NewResnetBlock(rng *tensor.RNG, dim int) *ResnetBlock {
	return &ResnetBlock{ConvBlock: nn.NewSequential(
		nn.NewReflectionPad2d(1),
		nn.NewConv2d(rng, dim, dim, 3, nn.Conv2dOptions{}),
		nn.NewInstanceNorm2d(dim, nn.InstanceNorm2dOptions{}),
		nn.NewReLU(),
		nn.NewReflectionPad2d(1),
		nn.NewConv2d(rng, dim, dim, 3, nn.Conv2dOptions{}),
		nn.NewInstanceNorm2d(dim, nn.InstanceNorm2dOptions{}),
	)}
}

// Forward returns x + F(x).
func (b *ResnetBlock) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Add(x, b.ConvBlock.Forward(x))
}

// NamedParameters returns the parameters as "conv_block.N.weight" and "conv_block.N.bias".
func (b *ResnetBlock) NamedParameters() []nn.NamedParam {
	return nn.Prefixed("conv_block", b.ConvBlock)
}

// SetTraining passes the training or evaluation mode on to every layer (see nn.SetTraining).
func (b *ResnetBlock) SetTraining(training bool) { b.ConvBlock.SetTraining(training) }

// NLayerDiscriminator is the PatchGAN discriminator (Isola et al. 2017) of the official code: with
// ndf = 64 and 3 layers,
//
//	0  Conv2d(3, 64, 4, stride 2, padding 1)     LeakyReLU(0.2)            (no norm)
//	2  Conv2d(64, 128, 4, stride 2, padding 1)   InstanceNorm2d   LeakyReLU(0.2)
//	5  Conv2d(128, 256, 4, stride 2, padding 1)  InstanceNorm2d   LeakyReLU(0.2)
//	8  Conv2d(256, 512, 4, stride 1, padding 1)  InstanceNorm2d   LeakyReLU(0.2)
//	11 Conv2d(512, 1, 4, stride 1, padding 1)
//
// in one Sequential "model" (keys "model.0.weight" ... "model.11.bias"). Each output value judges
// a 70x70 patch of the input as real (1) or generated (0) under the least-squares GAN loss. The
// channel count doubles with each layer up to 8·ndf. With ndf 64 and 3 layers it has 2,764,737
// parameters.
//
// Shape: input [N, 3, H, W], output [N, 1, H', W'] where each stride-2 layer maps a size s to
// ⌊s/2⌋ and each of the two stride-1 layers subtracts 1: 256x256 gives 30x30. The input must be
// large enough for the last output to be at least 1x1 (24x24 for 3 layers; see MinImageSize).
type NLayerDiscriminator struct {
	Model *nn.Sequential
}

// NewNLayerDiscriminator returns a discriminator with ndf filters in its first layer and nLayers
// stride-2 convolutions, its convolution weights drawn from N(0, 0.02²) with rng and its biases 0.
func NewNLayerDiscriminator(rng *tensor.RNG, ndf, nLayers int) *NLayerDiscriminator {
	if ndf < 1 || nLayers < 1 {
		panic(fmt.Sprintf("cyclegan.NewNLayerDiscriminator: ndf %d and %d layers: want both ≥ 1", ndf, nLayers))
	}
	const inputChannels, kernel, slope = 3, 4, 0.2
	stride2 := nn.Conv2dOptions{Stride: 2, Padding: 1}
	stride1 := nn.Conv2dOptions{Stride: 1, Padding: 1}
	m := nn.NewSequential(
		nn.NewConv2d(rng, inputChannels, ndf, kernel, stride2),
		nn.NewLeakyReLU(slope),
	)
	mult := 1
	for n := 1; n < nLayers; n++ {
		prev := mult
		mult = min(1<<n, 8)
		m.Append(
			nn.NewConv2d(rng, ndf*prev, ndf*mult, kernel, stride2),
			nn.NewInstanceNorm2d(ndf*mult, nn.InstanceNorm2dOptions{}),
			nn.NewLeakyReLU(slope),
		)
	}
	prev := mult
	mult = min(1<<nLayers, 8)
	m.Append(
		nn.NewConv2d(rng, ndf*prev, ndf*mult, kernel, stride1),
		nn.NewInstanceNorm2d(ndf*mult, nn.InstanceNorm2dOptions{}),
		nn.NewLeakyReLU(slope),
		nn.NewConv2d(rng, ndf*mult, 1, kernel, stride1),
	)
	d := &NLayerDiscriminator{Model: m}
	initWeights(d, rng)
	return d
}

// Forward returns the patch scores of a batch of images.
func (d *NLayerDiscriminator) Forward(x *autograd.Var) *autograd.Var { return d.Model.Forward(x) }

// NamedParameters returns the parameters under their official state_dict keys ("model.0.weight").
func (d *NLayerDiscriminator) NamedParameters() []nn.NamedParam { return nn.Prefixed("model", d.Model) }

// Parameters is nn.Parameters(d), for the callers that step the networks' parameters.
func (d *NLayerDiscriminator) Parameters() []*autograd.Var { return nn.Parameters(d) }

// SetTraining passes the training or evaluation mode on to every layer (see nn.SetTraining).
func (d *NLayerDiscriminator) SetTraining(training bool) { d.Model.SetTraining(training) }

// initWeights is the official init_weights with init_type "normal" and gain 0.02: every
// convolution weight (the only parameters with more than one dimension here) is drawn from
// N(0, 0.02²), every bias set to 0. Draws follow state_dict order, so a seed fixes the network.
func initWeights(m nn.Module, rng *tensor.RNG) {
	const std = 0.02
	for _, np := range m.NamedParameters() {
		if np.Param.Value.NDim() > 1 {
			nn.InitNormal(np.Param.Value, rng, 0, std)
		} else {
			nn.InitZeros(np.Param.Value)
		}
	}
}

// setRequiresGrad turns gradients of every parameter of m on or off (the official
// set_requires_grad): the generator step freezes the discriminators so that their weights get no
// gradient, and no time is spent computing one.
func setRequiresGrad(m nn.Module, on bool) { nn.RequiresGrad(m, on) }

// The networks hold layers, so they pass the training mode on to them.
var (
	_ nn.TrainingSetter = (*ResnetGenerator)(nil)
	_ nn.TrainingSetter = (*ResnetBlock)(nil)
	_ nn.TrainingSetter = (*NLayerDiscriminator)(nil)
)
