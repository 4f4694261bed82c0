package cyclegan

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// How accurate is float32? MeasurePrecision runs one forward D(G(x)) and the backward of
// mean((D(G(x)) − 1)²) in float32 and in float64 from the same float32 weights and image, and
// measures the float32 results against the float64 ones. scripts/golden/precision.py measures
// PyTorch's float32 the same way; its figures are the yardstick (ComparePrecision).
//
// Gradients need care. ReLU and LeakyReLU change slope at 0, and a pre-activation within rounding
// of 0 (one or two among the millions of a forward pass) can fall on the other side in float32:
// the forward barely notices, but that element's gradient path switches on or off, which moves
// the weight gradients by 1e-3 to 1e-2 relative. Whether it happens is luck of the draw: at 64x64
// PyTorch's own float32 shows 3e-6 on seeds with no such flip and 2e-3 to 1.3e-2 on seeds with
// one (0, 1, 2 and 5 flips in seeds 0 to 5). So each report has two sets of errors: against the
// plain float64 run (Errors, flips included, what a user sees) and against a float64 run whose
// ReLUs take the branches float32 took (SameBranches: the rounding of the arithmetic alone, the
// figure that says whether the kernels are as accurate as PyTorch's).

// PrecisionErrors are relative L2 errors ‖a₃₂ − a₆₄‖ / ‖a₆₄‖ of one float32 run.
type PrecisionErrors struct {
	GOutput float64 `json:"g_output"` // G(x)
	DOutput float64 `json:"d_output"` // D(G(x))
	// GGrad and DGrad take every parameter gradient of the network as one vector.
	GGrad float64 `json:"g_grad"`
	DGrad float64 `json:"d_grad"`
	// GGradWorst and DGradWorst are the worst single weight tensor's. Biases are left out: one
	// just before an InstanceNorm has a true gradient of 0, so its relative error is rounding
	// noise over rounding noise.
	GGradWorst     float64 `json:"g_grad_worst"`
	GGradWorstName string  `json:"g_grad_worst_name"`
	DGradWorst     float64 `json:"d_grad_worst"`
	DGradWorstName string  `json:"d_grad_worst_name"`
}

// PrecisionReport is one measurement, zebra's (MeasurePrecision) or PyTorch's (the JSON that
// scripts/golden/precision.py writes, read with ReadPrecisionReport).
type PrecisionReport struct {
	Torch string `json:"torch,omitempty"` // PyTorch's version; empty for zebra
	Size  int    `json:"size"`
	Seed  uint64 `json:"seed"`
	NGF   int    `json:"ngf"`
	// Blocks is the generator's residual blocks, NDF and NLayers the discriminator's width and
	// stride-2 layers.
	Blocks  int `json:"blocks"`
	NDF     int `json:"ndf"`
	NLayers int `json:"n_layers"`
	// ReLUFlips counts the ReLU and LeakyReLU inputs whose sign differs between the float32 run
	// and the float64 run that follows its branches.
	ReLUFlips    int             `json:"relu_flips"`
	Errors       PrecisionErrors `json:"errors"`
	SameBranches PrecisionErrors `json:"errors_same_branches"`
}

// ReadPrecisionReport reads the JSON written by scripts/golden/precision.py.
func ReadPrecisionReport(path string) (PrecisionReport, error) {
	var r PrecisionReport
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	if r.Size == 0 || r.Errors.GOutput == 0 || r.SameBranches.GGrad == 0 {
		return r, fmt.Errorf("%s: not a precision report of scripts/golden/precision.py (no size or errors)", path)
	}
	return r, nil
}

// MeasurePrecision builds a ResnetGenerator (ngf, blocks) and a 3-layer NLayerDiscriminator
// (ndf) from seed, draws an image [1, 3, size, size] uniform in [−1, 1], and measures float32
// against float64 on D(G(x)) and the backward of mean((D(G(x)) − 1)²), which reaches every weight
// of both networks. The convolutions run with whatever tensor.SetConvAlgorithm last chose (the
// float64 ones always directly).
func MeasurePrecision(size, ngf, blocks, ndf int, seed uint64) PrecisionReport {
	const nLayers = 3
	build := func(dt tensor.DType) (*ResnetGenerator, *NLayerDiscriminator, *autograd.Var) {
		rng := tensor.NewRNG(seed)
		g := NewResnetGenerator(rng, ngf, blocks)
		d := NewNLayerDiscriminator(rng, ndf, nLayers)
		x := tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, size, size)
		nn.Cast(g, dt)
		nn.Cast(d, dt)
		return g, d, autograd.Constant(tensor.Cast(x, dt))
	}
	rep := PrecisionReport{Size: size, Seed: seed, NGF: ngf, Blocks: blocks, NDF: ndf, NLayers: nLayers}

	// float32, in lockstep with a float64 twin that takes float32's ReLU branches.
	g32, d32, x32 := build(tensor.Float32)
	gb, db, xb := build(tensor.Float64)
	var follow branchFollower
	fake32, fakeb := follow.sequential(g32.Model, gb.Model, x32, xb)
	score32, scoreb := follow.sequential(d32.Model, db.Model, fake32, fakeb)
	run32 := finishRun(g32, d32, fake32, score32)
	rep.SameBranches = run32.errorsAgainst(finishRun(gb, db, fakeb, scoreb))
	rep.ReLUFlips = follow.flips

	g64, d64, x64 := build(tensor.Float64)
	fake64 := g64.Forward(x64)
	rep.Errors = run32.errorsAgainst(finishRun(g64, d64, fake64, d64.Forward(fake64)))
	return rep
}

// precisionRun is what one run leaves to compare: the two outputs and the parameters, which hold
// their gradients.
type precisionRun struct {
	gOut, dOut     *tensor.Tensor
	gParam, dParam []nn.NamedParam
}

// finishRun runs the backward of mean((score − 1)²).
func finishRun(g *ResnetGenerator, d *NLayerDiscriminator, fake, score *autograd.Var) precisionRun {
	nn.MSELoss(score, autograd.Constant(tensor.FullLike(score.Value, 1)), nn.ReductionMean).Backward()
	return precisionRun{gOut: fake.Value, dOut: score.Value, gParam: g.NamedParameters(), dParam: d.NamedParameters()}
}

// errorsAgainst returns the relative errors of r against the reference ref.
func (r precisionRun) errorsAgainst(ref precisionRun) PrecisionErrors {
	e := PrecisionErrors{GOutput: relativeL2(r.gOut, ref.gOut), DOutput: relativeL2(r.dOut, ref.dOut)}
	e.GGrad, e.GGradWorst, e.GGradWorstName = gradientErrors(r.gParam, ref.gParam)
	e.DGrad, e.DGradWorst, e.DGradWorstName = gradientErrors(r.dParam, ref.dParam)
	return e
}

// gradientErrors returns the relative L2 error of all the gradients of ps taken as one vector,
// and the worst weight tensor's (biases left out; see PrecisionErrors).
func gradientErrors(ps, ref []nn.NamedParam) (all, worst float64, worstName string) {
	var diff, norm float64
	for i, p := range ps {
		d, n := sumSquares(p.Param.Grad, ref[i].Param.Grad)
		diff += d
		norm += n
		if e := math.Sqrt(d / n); p.Param.Value.NDim() > 1 && e > worst {
			worst, worstName = e, p.Name
		}
	}
	return math.Sqrt(diff / norm), worst, worstName
}

func relativeL2(a, ref *tensor.Tensor) float64 {
	d, n := sumSquares(a, ref)
	return math.Sqrt(d / n)
}

// sumSquares returns Σ(a − ref)² and Σref², in float64.
func sumSquares(a, ref *tensor.Tensor) (diff, norm float64) {
	av, rv := a.Float64s(), ref.Float64s()
	if len(av) != len(rv) {
		panic(fmt.Sprintf("cyclegan.MeasurePrecision: comparing %v with %v", a.Shape(), ref.Shape()))
	}
	for i, r := range rv {
		diff += (av[i] - r) * (av[i] - r)
		norm += r * r
	}
	return diff, norm
}

// branchFollower runs a float32 network and its float64 twin layer by layer, the twin's ReLUs
// and LeakyReLUs taking the branch of the float32 input instead of their own: y = x·m with
// m = 1 where the float32 input is positive and 0 (ReLU) or the slope (LeakyReLU) elsewhere, so
// that the twin's gradient follows float32's paths. flips counts where the two disagreed.
type branchFollower struct{ flips int }

// sequential runs the layers of a on x and those of b on y, and returns both results.
func (f *branchFollower) sequential(a, b *nn.Sequential, x, y *autograd.Var) (*autograd.Var, *autograd.Var) {
	for i := 0; i < len(a.Layers); i++ {
		la, lb := a.Layers[i], b.Layers[i]
		// A pad and the convolution after it run as one op, as nn.Sequential runs them in
		// training: its input gradient is then not that of the two ops.
		if pad, conv, ok := nn.PadConv(a.Layers, i); ok {
			padB, convB, _ := nn.PadConv(b.Layers, i)
			x = autograd.ReflectionPad2dConv2d(x, pad.Pad, conv.Weight, conv.Bias, conv.Options)
			y = autograd.ReflectionPad2dConv2d(y, padB.Pad, convB.Weight, convB.Bias, convB.Options)
			i++
			continue
		}
		switch la := la.(type) {
		case *ResnetBlock:
			fx, fy := f.sequential(la.ConvBlock, lb.(*ResnetBlock).ConvBlock, x, y)
			x, y = autograd.Add(x, fx), autograd.Add(y, fy)
		case *nn.ReLU:
			x, y = la.Forward(x), f.follow(x, y, 0)
		case *nn.LeakyReLU:
			x, y = la.Forward(x), f.follow(x, y, la.NegativeSlope)
		default:
			x, y = la.Forward(x), lb.Forward(y)
		}
	}
	return x, y
}

// follow returns y·m for the branch m of x (see branchFollower).
func (f *branchFollower) follow(x, y *autograd.Var, slope float64) *autograd.Var {
	positive := tensor.Greater(tensor.Cast(x.Value, y.DType()), tensor.Scalar(y.DType(), 0))
	own := tensor.Greater(y.Value, tensor.Scalar(y.DType(), 0))
	f.flips += int(tensor.Sum(tensor.Abs(tensor.Sub(positive, own)), nil, false).Item())
	m := tensor.AddScalar(tensor.Scale(positive, 1-slope), slope)
	return autograd.Mul(y, autograd.Constant(m))
}

// PrecisionFactor is how far zebra's float32 errors may exceed PyTorch's (ComparePrecision). The
// errors are sums of many roundings, so they depend on the draw of weights and image and on the
// order of the sums, not only on the arithmetic's quality: PyTorch's own same-branch errors at
// 64x64 vary by 2x between seeds (G's output 1.43e-6 to 1.63e-6, D's output 1.9e-6 to 4.0e-6,
// gradients 2.8e-6 to 3.6e-6 over seeds 0 to 5), and zebra draws other weights than PyTorch. 3
// leaves that spread room and still fails a kernel that loses a bit more than a binary digit
// or two to its summation order, or a transform that amplifies rounding (Winograd's grows with
// its tile) beyond what PyTorch's convolutions do.
const PrecisionFactor = 3

// PrecisionCheck is one compared figure.
type PrecisionCheck struct {
	Name           string // "same-branch G grad", ...
	Zebra, PyTorch float64
	Limit          float64 // factor × PyTorch
}

// OK reports whether zebra's error is within the limit.
func (c PrecisionCheck) OK() bool { return c.Zebra <= c.Limit }

// ComparePrecision lists zebra's errors beside PyTorch's with the limit factor × PyTorch's:
// the outputs against plain float64 (a flipped ReLU barely moves them) and every figure of
// SameBranches. The plain errors of the gradients are not compared: they are decided by whether
// a ReLU flipped in that draw (see the note at the top of this file).
func ComparePrecision(zebra, pytorch PrecisionReport, factor float64) []PrecisionCheck {
	check := func(name string, z, p float64) PrecisionCheck {
		return PrecisionCheck{Name: name, Zebra: z, PyTorch: p, Limit: factor * p}
	}
	z, p := zebra.SameBranches, pytorch.SameBranches
	return []PrecisionCheck{
		check("G output", zebra.Errors.GOutput, pytorch.Errors.GOutput),
		check("D output", zebra.Errors.DOutput, pytorch.Errors.DOutput),
		check("same-branch G grads", z.GGrad, p.GGrad),
		check("same-branch D grads", z.DGrad, p.DGrad),
		check("same-branch worst G weight grad", z.GGradWorst, p.GGradWorst),
		check("same-branch worst D weight grad", z.DGradWorst, p.DGradWorst),
	}
}
