package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/zebra-go/zebra/internal/cpu"
	"github.com/zebra-go/zebra/internal/gemm"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

func init() {
	register("conv", "every distinct CycleGAN convolution, pass by pass: direct against Winograd (and PyTorch), weighted by a training step", runConvBench)
}

// The three passes of a convolution layer, as the layer sees them: its forward, the gradient of
// its input and the gradient of its weight. passKeys are their names in the JSON of
// scripts/bench_pytorch_conv.py.
const (
	passForward = iota
	passInput
	passWeight
	numPasses
)

var (
	passNames = [numPasses]string{"forward", "input grad", "weight grad"}
	passKeys  = [numPasses]string{"forward_ms", "input_grad_ms", "weight_grad_ms"}
)

// The algorithms compared, in the order of the table's columns, with the columns' labels:
// direct, then Winograd F(2×2, 3×3) and F(4×4, 3×3), and last ConvAuto, the planner's choice
// in training (one of the three per pass, or internal/shiftconv for the layers with few
// channels on one side); F2 and F4 time only the layers Winograd applies to.
var (
	convAlgorithms = []tensor.ConvAlgorithm{tensor.ConvDirect, tensor.ConvWinograd, tensor.ConvWinograd4, tensor.ConvAuto}
	convLabels     = []string{"direct", "F2", "F4", "auto"}
)

// benchConv is one distinct convolution of the networks with random operands in the shapes of
// its geometry g: x [N, C, H, W], y [N, Cout, OH, OW], w [Cout, C, KH, KW]. A Conv2d's passes are
//
//	forward Conv2d(x, w, b)   input grad Conv2dInput(y, w)   weight grad Conv2dWeight(y, x)
//
// (behind a reflection pad the input gradient is ReflectPad2dConv2dInput(y, w), which includes
// the pad's adjoint, as a training step runs it; PyTorch's column times the padded input's
// gradient alone),
// and a ConvTranspose2d's, whose input is shaped as y and output as x, are the same three in
// adjoint order (see autograd.ConvTranspose2d):
//
//	forward Conv2dInput(y, w) + b   input grad Conv2d(x, w)   weight grad Conv2dWeight(y, x)
type benchConv struct {
	cyclegan.ConvLayer
	copies  int            // how many layers of one network have this geometry
	perStep [numPasses]int // how many times a training step runs each pass
	x, y, w *tensor.Tensor
	b       *tensor.Tensor // [Cout] for a Conv2d, [C] for a ConvTranspose2d
}

// run runs pass p once under the current algorithm and releases the result.
func (c *benchConv) run(p int) {
	g := c.Geom
	var out *tensor.Tensor
	switch {
	case p == passWeight:
		out = tensor.Conv2dWeight(c.y, c.x, g)
	case p == passForward && !c.Transposed:
		out = tensor.Conv2d(c.x, c.w, c.b, g)
	case p == passInput && c.Transposed:
		out = tensor.Conv2d(c.x, c.w, nil, g)
	case p == passForward: // a ConvTranspose2d's, with its bias added as autograd adds it
		out = tensor.Conv2dInput(c.y, c.w, g)
		tensor.AddInPlace(out, tensor.Reshape(c.b, g.C, 1, 1))
	case c.Reflect != (tensor.Pad2d{}): // a Conv2d's input gradient, through its reflection pad
		out = tensor.ReflectPad2dConv2dInput(c.y, c.w, g, c.Reflect)
	default: // a Conv2d's input gradient
		out = tensor.Conv2dInput(c.y, c.w, g)
	}
	tensor.Release(out)
}

// winogradApplies reports whether ConvWinograd(4) can change how the layer runs: Winograd takes
// float32 3×3 convolutions at stride 1 and dilation 1 with one padding of at most 2 on every side
// and all the output positions the formula gives (tensor's ConvWinograd), and each pass of such a
// convolution is one again (the input gradient is the convolution of the gradient with padding
// 2 − p).
func (c *benchConv) winogradApplies() bool {
	g := c.Geom
	return g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilH == 1 && g.DilW == 1 &&
		g.PadH == g.PadW && g.PadH <= 2 && g.OH == g.H+2*g.PadH-2 && g.OW == g.W+2*g.PadW-2
}

// describe prints the layer as the network sees it: kernel/stride, channels and sizes from its
// input to its output.
func (c *benchConv) describe() string {
	g := c.Geom
	kind, cin, cout, in, out := "conv", g.C, c.Cout, g.H, g.OH
	if c.Transposed {
		kind, cin, cout, in, out = "convT", c.Cout, g.C, g.OH, g.H
	}
	return fmt.Sprintf("%s %dx%d/%d %d->%d %d->%d", kind, g.KH, g.KW, g.StrideH, cin, cout, in, out)
}

// stepConvs lists the distinct convolutions of one generator (ngf filters, blocks residual
// blocks) and one discriminator (ndf filters) on a size × size image, with their counts per training step. A step (models/cyclegan Trainer.Step, as
// zebra-bench train counts it) runs 6 generator forwards (fake, reconstruction and identity in both
// directions), each with its weight and input gradients, except that the 4 whose input is a real
// image need no input gradient at their first layer; 2 discriminator forwards with input
// gradients only (the generator step freezes the discriminators); and 4 discriminator forwards
// (real and pooled fake, both discriminators) with weight gradients and input gradients below the
// first layer.
func stepConvs(size, ngf, ndf, blocks int) []*benchConv {
	rng := tensor.NewRNG(1)
	nets := []struct {
		prefix  string
		net     nn.Module
		perStep [numPasses]int // for a layer that is not the first
		first   [numPasses]int
	}{
		{"G.", cyclegan.NewResnetGenerator(rng, ngf, blocks), [numPasses]int{6, 6, 6}, [numPasses]int{6, 2, 6}},
		{"D.", cyclegan.NewNLayerDiscriminator(rng, ndf, 3), [numPasses]int{6, 6, 4}, [numPasses]int{6, 2, 4}},
	}
	var out []*benchConv
	for _, n := range nets {
		layers := cyclegan.ConvLayers(n.net, 1, 3, size, size)
		byGeom := map[string]*benchConv{}
		for i, l := range layers {
			key := fmt.Sprint(l.Transposed, l.Geom, l.Cout, l.Reflect)
			c := byGeom[key]
			if c == nil {
				c = &benchConv{ConvLayer: l}
				c.Name = n.prefix + l.Name
				byGeom[key] = c
				out = append(out, c)
			}
			c.copies++
			counts := n.perStep
			if i == 0 {
				counts = n.first
			}
			for p := range numPasses {
				c.perStep[p] += counts[p]
			}
		}
	}
	for _, c := range out {
		g := c.Geom
		c.x = tensor.Uniform(rng, tensor.Float32, -1, 1, g.N, g.C, g.H, g.W)
		c.y = tensor.Uniform(rng, tensor.Float32, -1, 1, g.N, c.Cout, g.OH, g.OW)
		c.w = tensor.Uniform(rng, tensor.Float32, -0.05, 0.05, c.Cout, g.C, g.KH, g.KW)
		bias := c.Cout
		if c.Transposed {
			bias = g.C
		}
		c.b = tensor.Uniform(rng, tensor.Float32, -0.1, 0.1, bias)
	}
	return out
}

// pytorchConvTimes is what scripts/bench_pytorch_conv.py writes.
type pytorchConvTimes struct {
	Torch   string                        `json:"torch"`
	Threads int                           `json:"threads"`
	Size    int                           `json:"size"`
	Rounds  int                           `json:"rounds"`
	Layers  map[string]map[string]float64 `json:"layers"`
}

// readPytorchConv reads path; a missing file is (nil, nil): the table then has no PyTorch columns.
func readPytorchConv(path string) (*pytorchConvTimes, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Printf("PyTorch: %s does not exist; run /usr/bin/python3 scripts/bench_pytorch_conv.py --out %s for the PyTorch columns\n", path, path)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("-pytorch: %w", err)
	}
	var t pytorchConvTimes
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("-pytorch %s: %w", path, err)
	}
	return &t, nil
}

func runConvBench(args []string) error {
	fset := flag.NewFlagSet("zebra-bench conv", flag.ContinueOnError)
	size := fset.Int("size", 256, "image size (a multiple of 4 from 32 to 1024)")
	rounds := fset.Int("rounds", 11, "rounds; each times every pass of every layer under each algorithm once, and the table prints medians")
	minTime := fset.Duration("mintime", 10*time.Millisecond, "repeat a pass within one sample until it has run this long (small layers)")
	ngf := fset.Int("ngf", 64, "generator filters (make demo's model: 16)")
	ndf := fset.Int("ndf", 64, "discriminator filters (make demo's model: 16)")
	blocks := fset.Int("blocks", 9, "residual blocks per generator (make demo's model: 3)")
	pytorch := fset.String("pytorch", "", "JSON written by scripts/bench_pytorch_conv.py: adds PyTorch's times and the ratio columns (a missing file is skipped)")
	if help, err := parseSizedFlags(fset, args, size); help || err != nil {
		return err
	}
	// The upper bounds keep a typo from running for days; a -mintime of 0 times each pass once
	// per sample.
	switch {
	case *rounds < 1 || *rounds > 10_000:
		return fmt.Errorf("-rounds %d: want 1 to 10000", *rounds)
	case *minTime < 0 || *minTime > 10*time.Second:
		return fmt.Errorf("-mintime %v: want 0 to 10s", *minTime)
	case *ngf < 1 || *ndf < 1 || *ngf > 1024 || *ndf > 1024:
		return fmt.Errorf("-ngf %d -ndf %d: want 1 to 1024 filters", *ngf, *ndf)
	case *blocks < 0 || *blocks > 64:
		return fmt.Errorf("-blocks %d: want 0 to 64", *blocks)
	}
	printMachine()
	torch, err := readPytorchConv(*pytorch)
	if err != nil {
		return err
	}
	if torch != nil {
		fmt.Printf("PyTorch %s, %d threads, %dx%d, median of %d rounds, from %s\n", torch.Torch, torch.Threads, torch.Size, torch.Size, torch.Rounds, *pytorch)
		if torch.Size != *size {
			fmt.Printf("warning: PyTorch timed %dx%d, this run %dx%d: its layers will not be found\n", torch.Size, torch.Size, *size, *size)
		}
	}

	convs := stepConvs(*size, *ngf, *ndf, *blocks)
	defer tensor.SetConvAlgorithm(tensor.ConvAlgorithmSetting())
	// A sample of layer c, pass p, algorithm a: reps runs, timed together.
	type sampleKey struct{ conv, pass, alg int }
	reps := map[sampleKey]int{}
	times := map[sampleKey][]float64{}
	keys := func(alternate bool) []sampleKey {
		var ks []sampleKey
		for ci, c := range convs {
			for p := range numPasses {
				for i := range convAlgorithms {
					a := i
					if alternate {
						a = len(convAlgorithms) - 1 - i
					}
					if alg := convAlgorithms[a]; alg == tensor.ConvDirect || alg == tensor.ConvAuto || c.winogradApplies() {
						ks = append(ks, sampleKey{ci, p, a})
					}
				}
			}
		}
		return ks
	}
	sample := func(k sampleKey, n int) time.Duration {
		tensor.SetConvAlgorithm(convAlgorithms[k.alg])
		start := time.Now()
		for range n {
			convs[k.conv].run(k.pass)
		}
		return time.Since(start)
	}
	for _, k := range keys(false) { // warm-up, which also sizes the samples
		once := sample(k, 1)
		reps[k] = max(1, int(*minTime/max(once, time.Microsecond)))
	}
	// The rounds alternate which algorithm goes first, and every round visits every layer, so
	// that a load that comes and goes on a shared machine weighs on both algorithms alike.
	start := time.Now()
	for r := range *rounds {
		for _, k := range keys(r%2 == 1) {
			times[k] = append(times[k], sample(k, reps[k]).Seconds()*1e3/float64(reps[k]))
		}
	}
	fmt.Printf("ngf %d, ndf %d, %d blocks; ", *ngf, *ndf, *blocks)
	fmt.Printf("float32, batch 1, %dx%d input: median of %d rounds (%.1f s), each timing every pass under direct, Winograd F(2x2,3x3),\n"+
		"F(4x4,3x3) and auto in turn, the order reversed every other round; a sample repeats a pass for at least %v. n: times a step\n"+
		"runs the pass. GF/s: direct-equivalent FLOPs 2*N*Cout*Cin*KH*KW*OH*OW per pass over the time; Winograd only where it applies\n"+
		"(3x3, stride 1). Behind a reflection pad the input gradient includes the pad's adjoint (ReflectPad2dConv2dInput: under Winograd\n"+
		"its tiles cover the unpadded image). auto runs, in training, F2 for forward and weight gradients where it measured faster than\n"+
		"direct, F4 for input gradients where it pays, and F4 for forward-only passes where faster; F4 for all three would round\n"+
		"5-7x more than PyTorch (see README). For the stride-1 layers with few channels on one side (the generators' first and\n"+
		"last), auto sums the image shifted by each tap (internal/shiftconv).\n\n",
		*size, *size, *rounds, time.Since(start).Seconds(), *minTime)

	fmt.Printf("%-28s %-28s %-11s %4s", "layer", "geometry", "pass", "n")
	for _, l := range convLabels {
		fmt.Printf(" %10s %6s", l+" ms", "GF/s")
	}
	if torch != nil {
		fmt.Printf(" %10s %6s", "torch ms", "GF/s")
		for _, l := range convLabels {
			fmt.Printf(" %8s", l+"/pt")
		}
	}
	fmt.Println()
	cell := func(ms, flops float64) string {
		if ms == 0 {
			return fmt.Sprintf(" %10s %6s", "-", "-")
		}
		return fmt.Sprintf(" %10.3f %6.1f", ms, flops/ms/1e6)
	}
	ratio := func(a, b float64) string {
		if a == 0 || b == 0 {
			return fmt.Sprintf(" %8s", "-")
		}
		return fmt.Sprintf(" %8.2f", a/b)
	}
	// Per-step totals in ms for each algorithm (Winograd's taking direct's time where it does not
	// apply), and PyTorch's.
	totals := make([]float64, len(convAlgorithms))
	var totalTorch float64
	torchComplete := torch != nil
	for ci, c := range convs {
		flops := 2 * float64(c.MACs())
		name := c.Name
		if c.copies > 1 {
			name = fmt.Sprintf("%s x%d", name, c.copies)
		}
		for p := range numPasses {
			ms := make([]float64, len(convAlgorithms)) // 0: not timed
			for a := range convAlgorithms {
				if ts := times[sampleKey{ci, p, a}]; len(ts) > 0 {
					ms[a] = median(ts)
				}
			}
			n := float64(c.perStep[p])
			fmt.Printf("%-28s %-28s %-11s %4d", name, c.describe(), passNames[p], c.perStep[p])
			for a := range convAlgorithms {
				totals[a] += n * cmp.Or(ms[a], ms[0])
				fmt.Print(cell(ms[a], flops))
			}
			if torch != nil {
				pt := torch.Layers[c.Name][passKeys[p]]
				if pt == 0 {
					torchComplete = false
				}
				totalTorch += n * pt
				fmt.Print(cell(pt, flops))
				for a := range convAlgorithms {
					fmt.Print(ratio(ms[a], pt))
				}
			}
			fmt.Println()
			name = ""
		}
	}
	seconds := func(ms float64) string { return fmt.Sprintf(" %10s %6s", fmt.Sprintf("%.2f s", ms/1e3), "") }
	fmt.Printf("%-28s %-28s %-11s %4s", "per training step", "(sum of n x time)", "", "")
	for _, t := range totals {
		fmt.Print(seconds(t))
	}
	if torch != nil {
		if torchComplete {
			fmt.Print(seconds(totalTorch))
			for _, t := range totals {
				fmt.Print(ratio(t, totalTorch))
			}
		} else {
			fmt.Printf(" %10s (PyTorch's file lacks some layers)", "-")
		}
	}
	fmt.Println()
	fmt.Printf("The Winograd totals (F2, F4) take direct's time where Winograd does not apply.\n")
	return nil
}

// maxBenchSize bounds the -size of zebra-bench conv and zebra-bench check: 16 times the pixels of the
// paper's 256x256. zebra-bench check refuses sizes beyond its memory estimate well before that
// (above 256x256 at the paper's widths).
const maxBenchSize = 1024

// parseSizedFlags parses args into fset and checks its image size; help is true when the user
// asked for the flags (which fset has printed).
func parseSizedFlags(fset *flag.FlagSet, args []string, size *int) (help bool, err error) {
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, err
	}
	if *size < 32 || *size > maxBenchSize || *size%4 != 0 {
		return false, fmt.Errorf("-size %d: want a multiple of 4 from 32 to %d", *size, maxBenchSize)
	}
	return false, nil
}

// printMachine prints the CPU model, the SIMD path and the convolution setting.
func printMachine() {
	fmt.Printf("CPU %s, %d threads, SIMD level %s, SGEMM path %s; %s=%s (now %s)\n",
		cpuModel(), runtime.GOMAXPROCS(0), cpu.Active(), gemm.Path(), tensor.ConvEnvVar, envOr(tensor.ConvEnvVar, "unset"), tensor.ConvAlgorithmSetting())
	if note := cpu.Note(); note != "" {
		fmt.Printf("note: %s\n", note)
	}
	if note := tensor.ConvNote(); note != "" {
		fmt.Printf("note: %s\n", note)
	}
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// cpuModel returns the "model name" of /proc/cpuinfo, or the architecture where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
