package cyclegan

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// DefaultMaxMemory is the memory budget (Options.MaxMemory, CheckpointReader.MaxMemory) when none
// is given: 16 GiB. The paper's configuration trains in about 1.6 GB at 256x256 by MemoryEstimate
// (1.55-1.60 GB measured), so the default leaves room for ten times that, while ngf 512 with 64
// blocks (19.5 GB per generator), or a crafted checkpoint asking for it, is refused before a byte
// is allocated instead of ending in "fatal error: out of memory".
const DefaultMaxMemory int64 = 16 << 30

// ErrMemoryBudget is wrapped by the errors that refuse a network, a training run or a file whose
// estimated memory exceeds the budget.
var ErrMemoryBudget = errors.New("more memory than the budget")

// budgetError reports an estimate over the budget; what says what the memory is for.
func budgetError(what string, estimate, budget int64) error {
	return fmt.Errorf("cyclegan: %s needs about %s, %w of %s", what, formatBytes(estimate), ErrMemoryBudget, formatBytes(budget))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// float32Bytes is the size of the values MemoryEstimate counts: training runs in float32.
const float32Bytes = 4

// budgetOrDefault is the budget b, or DefaultMaxMemory when b is 0 or less.
func budgetOrDefault(b int64) int64 {
	if b <= 0 {
		return DefaultMaxMemory
	}
	return b
}

// paramShape is one parameter of a network, by its state_dict key.
type paramShape struct {
	key   string
	shape []int
}

// generatorShapes lists the parameters NewResnetGenerator(ngf, blocks) creates, in state_dict order,
// without creating them: a checkpoint's keys and shapes are compared with it, and the memory
// estimated from it, before any network is built. TestParamShapesMatchNetworks holds it to the
// real networks.
func generatorShapes(ngf, blocks int) []paramShape {
	var out []paramShape
	conv := func(layer, cout, cin, k int) { // Conv2d weight [Cout, Cin, K, K]
		l := "model." + strconv.Itoa(layer)
		out = append(out, paramShape{l + ".weight", []int{cout, cin, k, k}}, paramShape{l + ".bias", []int{cout}})
	}
	conv(1, ngf, 3, 7)       // after ReflectionPad2d(3)
	conv(4, 2*ngf, ngf, 3)   // the two stride-2 convolutions, each with IN and ReLU
	conv(7, 4*ngf, 2*ngf, 3) //
	for i := range blocks {  // residual blocks at 10, 11, ...
		l := "model." + strconv.Itoa(10+i) + ".conv_block."
		for _, j := range []string{"1", "5"} {
			out = append(out, paramShape{l + j + ".weight", []int{4 * ngf, 4 * ngf, 3, 3}}, paramShape{l + j + ".bias", []int{4 * ngf}})
		}
	}
	up := 10 + blocks
	for i, c := range []int{4 * ngf, 2 * ngf} { // ConvTranspose2d weight [Cin, Cout, K, K]
		l := "model." + strconv.Itoa(up+3*i)
		out = append(out, paramShape{l + ".weight", []int{c, c / 2, 3, 3}}, paramShape{l + ".bias", []int{c / 2}})
	}
	conv(up+7, 3, ngf, 7) // after ReflectionPad2d(3) at up+6
	return out
}

// discriminatorShapes lists the parameters NewNLayerDiscriminator(ndf, layers) creates, in
// state_dict order, like generatorShapes.
func discriminatorShapes(ndf, layers int) []paramShape {
	var out []paramShape
	conv := func(layer, cout, cin int) {
		l := "model." + strconv.Itoa(layer)
		out = append(out, paramShape{l + ".weight", []int{cout, cin, 4, 4}}, paramShape{l + ".bias", []int{cout}})
	}
	conv(0, ndf, 3)
	mult := 1
	for n := 1; n <= layers; n++ { // the stride-2 layers, then the first stride-1 one
		prev := mult
		mult = min(1<<n, 8)
		conv(2+3*(n-1), ndf*mult, ndf*prev)
	}
	conv(2+3*layers, 1, ndf*mult)
	return out
}

// numParams is the number of values of the parameters.
func numParams(ps []paramShape) int64 {
	var n int64
	for _, p := range ps {
		m := int64(1)
		for _, d := range p.shape {
			m *= int64(d)
		}
		n += m
	}
	return n
}

// checkShapes compares a state dict with the parameters a network will have, before the network
// is built, and reports the differences as nn.LoadStateDict would (strictly: missing, unexpected
// and mismatched keys).
func checkShapes(want []paramShape, sd map[string]*tensor.Tensor) error {
	var e nn.StateDictError
	known := map[string]bool{}
	for _, p := range want {
		known[p.key] = true
		t, ok := sd[p.key]
		switch {
		case !ok:
			e.Missing = append(e.Missing, p.key)
		case !slices.Equal(t.Shape(), p.shape):
			e.Mismatched = append(e.Mismatched, nn.ShapeMismatch{Key: p.key, Want: p.shape, Got: t.Shape()})
		}
	}
	for k := range sd {
		if !known[k] {
			e.Unexpected = append(e.Unexpected, k)
		}
	}
	slices.Sort(e.Unexpected)
	if len(e.Missing)+len(e.Unexpected)+len(e.Mismatched) > 0 {
		return &e
	}
	return nil
}

// generatorActivations is the number of values that a training forward pass of a generator on
// one h x w image (h and w multiples of 4) keeps for its backward: what the backward closures
// capture (autograd links its graph by nodes, so a layer's output that no backward reads is freed
// after the forward). Per layer, with C channels at that layer's size:
//
//	ReflectionPad2d + Conv2d   the unpadded input (autograd.ReflectionPad2dConv2d), counted where it
//	                           was made
//	Conv2d, ConvTranspose2d    the input, likewise
//	InstanceNorm2d             its input, the convolution's output: C·H·W
//	ReLU                       its output: C·H·W (the next convolution's input)
//	the residual sum           its output, the next block's (or the upsampling's) input: C·H·W
//	Tanh                       its output: 3·H·W
//
// The image itself is the caller's. So the stem, each downsampling and each upsampling keeps two
// values per pixel and channel (convolution output, ReLU output), a residual block four (two
// convolution outputs, the ReLU between them, the sum), at 4·ngf channels and (h/4)x(w/4).
func generatorActivations(ngf, blocks, h, w int) int64 {
	full := int64(h) * int64(w)
	c := int64(ngf)
	n := 2 * c * full                          // Conv 7x7 (IN keeps it), ReLU
	n += 2 * 2 * c * full / 4                  // stride 2: Conv, ReLU
	n += 2 * 4 * c * full / 16                 //
	n += int64(blocks) * 4 * 4 * c * full / 16 // Conv, ReLU, Conv, the sum
	n += 2*2*c*full/4 + 2*c*full               // the transposed convolutions, each with its ReLU
	n += 3 * full                              // Tanh
	return n
}

// discriminatorActivations is generatorActivations for the discriminator: each layer keeps its
// convolution's output (for the InstanceNorm) and its LeakyReLU's output (which keeps it, and the
// next convolution reads it); the first layer has no InstanceNorm, its LeakyReLU keeps only its
// own output; the loss keeps a copy of the patch scores.
func discriminatorActivations(ndf, layers, h, w int) int64 {
	var n int64
	c, mult := int64(ndf), int64(1)
	for i := range layers { // stride 2: ⌊s/2⌋
		h, w = h/2, w/2
		perLayer := int64(2) // Conv, LeakyReLU
		if i == 0 {
			perLayer = 1
		}
		n += perLayer * mult * c * int64(h) * int64(w)
		mult = min(2*mult, 8)
	}
	h, w = h-1, w-1 // stride 1: s − 1
	n += 2 * mult * c * int64(h) * int64(w)
	return n + int64(h-1)*int64(w-1)
}

// MemoryEstimate is what a training run of these options needs, estimated from the options alone.
type MemoryEstimate struct {
	Parameters int64 // weights of the four networks
	// Bytes is the estimated peak: the weights with their gradients and Adam's two moments; the
	// activations of the largest part of a step (two generator passes, three where a small run
	// fuses the identity passes into the cycles' (fusesIdentity), and a discriminator pass,
	// their values and gradients: see Trainer.Step), for each image of a batch; and the image
	// pools. All float32.
	Bytes int64
}

// MemoryEstimate estimates the memory of training with o on images of the crop size (or, with
// PreprocessNone, whose size depends on each image, of the load size if set, else 256x256).
func (o Options) MemoryEstimate() MemoryEstimate {
	passes := int64(2)
	if o.fusesIdentity() {
		passes = 3
	}
	return o.memoryEstimate(passes)
}

// memoryEstimate is MemoryEstimate for a step that keeps the activations of up to passes
// generator passes at once.
func (o Options) memoryEstimate(passes int64) MemoryEstimate {
	size := o.estimateSize()
	g := numParams(generatorShapes(o.NGF, o.Blocks))
	d := numParams(discriminatorShapes(o.NDF, o.DLayers))
	params := 2*g + 2*d
	perImage := passes*generatorActivations(o.NGF, o.Blocks, size, size) + discriminatorActivations(o.NDF, o.DLayers, size, size)
	acts := int64(o.batchSize()) * perImage // every layer's output holds the whole batch
	pools := 2 * int64(o.PoolSize) * 3 * int64(size) * int64(size)
	return MemoryEstimate{Parameters: params, Bytes: float32Bytes * (4*params + 2*acts + pools)}
}

// GCPercent is the garbage collector's target for a run of this estimate (debug.SetGCPercent):
// collect when the heap has grown by a quarter over the live data, not by Go's default of all of
// it, unless the run is small. A training step leaves gigabytes of activations and gradients
// behind, all pointer-free float buffers that a collection frees without scanning, so collecting
// more often costs little and cuts the peak memory by about a third (zebra-bench train shows both).
// A small model's step, though, allocates many times its live heap, and a quarter of that made
// the collector run several times a step: at make demo's size (ngf 16, 64x64) a step took
// 0.087-0.103 s, with 1.3-1.5 s of system time per 40 steps, at 25, against 0.077-0.080 s and
// 0.8-0.9 s at Go's default (zebra-bench train -sizes 64 -ngf 16 -ndf 16 -blocks 3 -iters 40,
// alternating runs on a 2-core Zen 4). Below smallRun the default costs at most that much more
// memory.
func (e MemoryEstimate) GCPercent() int {
	if e.Bytes < smallRun {
		return 100
	}
	return 25
}

// smallRun is the estimated training memory below which GCPercent keeps Go's default and the
// step fuses the identity passes with the cycles' (fusesIdentity).
const smallRun = 512 << 20

// fusesIdentity reports whether the generator step runs each identity pass in one batch with
// the first pass of a cycle through the same generator (see Trainer.generatorBackward): a small
// run, where that is faster, and affordable. It keeps three generator passes' activations alive
// at once instead of two, so a large run keeps them apart (at 256x256 that would be about
// 0.3 GB more). fuseIdentity, when set, overrides the choice (the tests compare the two).
func (o Options) fusesIdentity() bool {
	if fuseIdentity != nil {
		return *fuseIdentity && o.LambdaIdentity > 0
	}
	return o.LambdaIdentity > 0 && o.memoryEstimate(3).Bytes < smallRun
}

var fuseIdentity *bool

// estimateSize is the image side MemoryEstimate assumes.
func (o Options) estimateSize() int {
	if o.Preprocess != PreprocessNone {
		return o.CropSize
	}
	if o.LoadSize > 0 {
		return o.LoadSize
	}
	return 256
}

// checkMemory refuses options whose training estimate exceeds the budget o.MaxMemory.
func (o Options) checkMemory() error {
	e, budget := o.MemoryEstimate(), budgetOrDefault(o.MaxMemory)
	if e.Bytes > budget {
		what := fmt.Sprintf("training with ngf %d, %d blocks, ndf %d and %d discriminator layers on %dx%d images (%d parameters)",
			o.NGF, o.Blocks, o.NDF, o.DLayers, o.estimateSize(), o.estimateSize(), e.Parameters)
		if o.batchSize() > 1 {
			what += fmt.Sprintf(" in batches of %d", o.batchSize())
		}
		return budgetError(what, e.Bytes, budget)
	}
	return nil
}
