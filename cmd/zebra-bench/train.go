package main

import (
	"cmp"
	"flag"
	"fmt"
	"maps"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/gpu/cuda"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

func init() {
	register("train", "CycleGAN training iterations (batch 1, official architecture): s/iter, GFLOP/s, peak memory", runTrainBench)
}

// runTrainBench times full CycleGAN training steps (models/cyclegan.Trainer.Step: the forward
// cycle, the generator step, the pooled discriminator step, both Adam updates) on random images,
// after warm-up, at each requested size. scripts/bench_pytorch_train.py times the same step in
// PyTorch for the side-by-side.
func runTrainBench(args []string) error {
	fs := flag.NewFlagSet("zebra-bench train", flag.ContinueOnError)
	sizeList := fs.String("sizes", "128,256", "comma-separated image sizes (multiples of 4, at least 32)")
	ngf := fs.Int("ngf", 64, "generator filters")
	ndf := fs.Int("ndf", 64, "discriminator filters")
	blocks := fs.Int("blocks", 9, "residual blocks (the official default resnet_9blocks at every size)")
	deviceName := fs.String("device", "cpu", "where to train: cpu, cuda[:N] or opencl[:N] (zebra-bench devices lists them)")
	tf32 := fs.Bool("tf32", false, "with -device cuda: cuBLAS products on the tensor cores with TF32 operands (as cuDNN's convolutions in PyTorch by default) instead of float32")
	kernelTimes := fs.Bool("kernel-times", false, "with -device cuda: after the timed iterations, run as many again with every kernel timed on the GPU, and list where the GPU time goes")
	warmup := fs.Int("warmup", 1, "untimed iterations first")
	iters := fs.Int("iters", 3, "timed iterations")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the first size's timed iterations to this file (go tool pprof)")
	traceFile := fs.String("trace", "", "write an execution trace of the first size's timed iterations to this file (go tool trace): shows when a core sits idle")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// No timed iteration would divide by zero (+Inf timings); the bounds keep a typo from running
	// for days. The network sizes are checked by cyclegan.NewTrainer.
	if *iters < 1 || *iters > maxBenchIters || *warmup < 0 || *warmup > maxBenchIters {
		return fmt.Errorf("-iters %d and -warmup %d: want 1 to %d timed and 0 to %d untimed iterations", *iters, *warmup, maxBenchIters, maxBenchIters)
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			return fmt.Errorf("-trace: %w", err)
		}
		defer f.Close()
		tracing = f
	}
	closeProfile, err := openProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	backend, err := gpu.Open(*deviceName)
	if err != nil {
		return err
	}
	cudaBackend, _ := backend.(*cuda.Backend)
	if (*tf32 || *kernelTimes) && cudaBackend == nil {
		return fmt.Errorf("-tf32 and -kernel-times need -device cuda, not %s", backend.Name())
	}
	if *tf32 {
		if err := cudaBackend.SetTF32(true); err != nil {
			return err
		}
	}
	var sizes []int
	for _, s := range strings.Split(*sizeList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 32 || n%4 != 0 {
			return fmt.Errorf("-sizes: %q is not a multiple of 4 of at least 32", s)
		}
		sizes = append(sizes, n)
	}
	fmt.Printf("CycleGAN training step on %s, batch 1, ngf %d, ndf %d, %d blocks, GOMAXPROCS %d, %d warm-up + %d timed iterations\n",
		backend.Name(), *ngf, *ndf, *blocks, runtime.GOMAXPROCS(0), *warmup, *iters)
	fmt.Printf("%6s %12s %12s %12s %10s %14s %14s\n", "size", "s/iter", "CPU s/iter", "GFLOP/iter", "GFLOP/s", "peak RSS", "peak Go heap")
	for _, size := range sizes {
		o := cyclegan.DefaultOptions()
		o.NGF, o.NDF, o.Blocks = *ngf, *ndf, *blocks
		o.LoadSize, o.CropSize = size, size
		if backend == tensor.CPU && os.Getenv("GOGC") == "" && o.Check() == nil { // cyclegan train's GC target (see GCPercent)
			debug.SetGCPercent(o.MemoryEstimate().GCPercent())
		}
		tr, err := cyclegan.NewTrainer(o, backend)
		if err != nil {
			return err
		}
		flops := trainingStepFLOPs(tr, size)
		rng := tensor.NewRNG(1)
		image := func() *tensor.Tensor { return tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, size, size) }
		var peakHeap uint64
		step := func() error {
			_, _, err := tr.Step(image(), image())
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapSys)
			return err
		}
		var before gpu.Counters // at the start of the first timed iteration
		var allocsBefore uint64
		var kernelsBefore map[string]uint64
		calls := 0
		timedStep := func() error {
			if calls++; calls == *warmup+1 {
				mem, counts, _ := gpu.Usage(backend)
				before, allocsBefore = counts, mem.DriverAllocs
				kernelsBefore = gpu.LaunchesByKernel(backend)
			}
			return step()
		}
		perIter, cpuPerIter, err := timed(*warmup, *iters, timedStep)
		if err != nil {
			return err
		}
		fmt.Printf("%6d %12.3f %12s %12.1f %10.1f %14s %14s\n", size, perIter, cpuPerIter, flops/1e9, flops/perIter/1e9, formatBytes(peakRSS()), formatBytes(peakHeap))
		if mem, counts, ok := gpu.Usage(backend); ok {
			printDeviceUsage(backend.Name(), mem, allocsBefore, before, counts, *iters)
			printKernelLaunches(kernelsBefore, gpu.LaunchesByKernel(backend), *iters)
		}
		if *kernelTimes {
			if err := printKernelTimes(cudaBackend, *iters, step); err != nil {
				return err
			}
		}
		tr = nil
		tensor.DropPooled() // the next size reuses none of this one's buffers
		runtime.GC()
		debug.FreeOSMemory()
	}
	fmt.Println("GFLOP counts the convolutions (2 per multiply-add): forward, and the input and weight gradients the step needs. Peak RSS is the process's high-water mark so far (sizes run in the order given; the buffers of one size are let go before the next).")
	return nil
}

// printDeviceUsage says what a GPU run asked of its device: its peak memory and, per timed
// iteration, the launches and copies that cost the host time.
func printDeviceUsage(name string, mem gpu.MemStats, allocsBefore uint64, before, after gpu.Counters, iters int) {
	per := func(a, b uint64) float64 { return float64(b-a) / float64(iters) }
	fmt.Printf("       %s: peak device memory %s held by the allocator, %s by live tensors; per iteration %.0f kernel launches, %.0f library GEMMs, %.0f downloads (each waits for the device), %.0f uploads; %d driver allocations in the timed iterations\n",
		name, formatBytes(uint64(mem.PeakHeld)), formatBytes(uint64(mem.PeakLive)),
		per(before.Launches, after.Launches), per(before.LibraryGemms, after.LibraryGemms),
		per(before.Downloads, after.Downloads), per(before.Uploads, after.Uploads), mem.DriverAllocs-allocsBefore)
}

// printKernelLaunches lists the kernels launched most often per timed iteration.
func printKernelLaunches(before, after map[string]uint64, iters int) {
	names := slices.Collect(maps.Keys(after))
	count := func(name string) uint64 { return after[name] - before[name] }
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(count(b), count(a)) })
	var parts []string
	for _, name := range names {
		if n := count(name); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %.0f", name, float64(n)/float64(iters)))
		}
	}
	fmt.Printf("       launches per iteration by kernel: %s\n", strings.Join(parts, ", "))
}

// printKernelTimes runs iters more steps with every kernel timed on the GPU and lists the kernels
// by GPU time per iteration. Their sum against the wall-clock time of the profiled steps says how
// long the GPU sat idle between kernels (launch latency, host work, synchronizations).
func printKernelTimes(b *cuda.Backend, iters int, step func() error) error {
	if err := b.StartKernelProfile(); err != nil {
		return err
	}
	start := time.Now()
	for range iters {
		if err := step(); err != nil {
			return err
		}
	}
	wall := time.Since(start)
	times, err := b.StopKernelProfile()
	if err != nil {
		return err
	}
	var total time.Duration
	for _, t := range times {
		total += t.Time
	}
	perIter := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(iters) }
	fmt.Printf("       GPU time per iteration, %d profiled iterations: kernels %.1f ms of %.1f ms wall (%.0f%%)\n",
		iters, perIter(total), perIter(wall), 100*total.Seconds()/wall.Seconds())
	fmt.Printf("       %-36s %10s %8s %10s %10s\n", "kernel", "ms/iter", "share", "calls/iter", "µs/call")
	shown := time.Duration(0)
	for i, t := range times {
		if i == 30 {
			fmt.Printf("       %-36s %10.2f %7.1f%%\n", fmt.Sprintf("(%d more)", len(times)-i), perIter(total-shown), 100*(total-shown).Seconds()/total.Seconds())
			break
		}
		shown += t.Time
		fmt.Printf("       %-36s %10.2f %7.1f%% %10.0f %10.1f\n", t.Name, perIter(t.Time), 100*t.Time.Seconds()/total.Seconds(),
			float64(t.Launches)/float64(iters), t.Time.Seconds()*1e6/float64(t.Launches))
	}
	return nil
}

// maxBenchIters bounds the iteration counts of zebra-bench train.
const maxBenchIters = 1000

// formatBytes prints b in GB, or "-" where the platform cannot measure it (b == 0).
func formatBytes(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f GB", float64(b)/1e9)
}

// profiling is the -cpuprofile file until its profile starts, nil otherwise.
var profiling *os.File

// tracing is the -trace file until its trace starts, nil otherwise.
var tracing *os.File

// startProfile starts the CPU profile and the execution trace for the timed iterations of the
// first size, so that warm-up and network construction do not dilute them. A file holds one
// profile, so later sizes run unprofiled (run zebra-bench again with -sizes N to profile another
// size). With both, the trace carries the profile's samples, each stamped with its time.
func startProfile() error {
	if profiling != nil {
		if err := pprof.StartCPUProfile(profiling); err != nil {
			return err
		}
		profiling = nil
	}
	if tracing != nil {
		if err := trace.Start(tracing); err != nil {
			return err
		}
		tracing = nil
	}
	return nil
}

// stopProfile stops whatever startProfile started (stopping what is not running does nothing).
func stopProfile() {
	pprof.StopCPUProfile()
	trace.Stop()
}

// openProfile makes path (if any) the file that startProfile writes the CPU profile to, and
// returns the function that closes it.
func openProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	profiling = f
	return func() { f.Close() }, nil
}

// timed calls run warmup times, then iters times under the CPU profile if one is pending (see
// startProfile), and returns the wall seconds per timed call and the process's CPU seconds per
// call, formatted, or "-" where the platform cannot measure it. CPU time is the steadier figure
// on a shared machine: other processes stretch the wall time but not the work this one does.
func timed(warmup, iters int, run func() error) (float64, string, error) {
	for range warmup {
		if err := run(); err != nil {
			return 0, "", err
		}
	}
	if err := startProfile(); err != nil {
		return 0, "", err
	}
	defer stopProfile()
	cpuStart, cpuOK := processCPUTime()
	start := time.Now()
	for range iters {
		if err := run(); err != nil {
			return 0, "", err
		}
	}
	wall := time.Since(start).Seconds() / float64(iters)
	cpuEnd, _ := processCPUTime()
	if !cpuOK {
		return wall, "-", nil
	}
	return wall, fmt.Sprintf("%.3f", (cpuEnd-cpuStart).Seconds()/float64(iters)), nil
}

// convCost is the multiply-adds of one convolution in a network (forward; each gradient costs the
// same), and whether it is the network's first layer (whose input gradient a real image never
// needs).
type convCost struct {
	macs  float64
	first bool
}

// convCosts walks a Sequential, tracking the [C, H, W] shape, and lists its convolutions' costs.
func convCosts(layers []nn.Module, c, h, w int, out *[]convCost) (int, int, int) {
	for _, l := range layers {
		switch l := l.(type) {
		case *nn.ReflectionPad2d:
			h += l.Pad.Top + l.Pad.Bottom
			w += l.Pad.Left + l.Pad.Right
		case *nn.Conv2d:
			ws := l.Weight.Shape() // [Cout, Cin, KH, KW]
			s, p := l.Options.Stride, l.Options.Padding
			oh := (h+2*p[0]-ws[2])/max(s[0], 1) + 1
			ow := (w+2*p[1]-ws[3])/max(s[1], 1) + 1
			*out = append(*out, convCost{macs: float64(ws[0] * ws[1] * ws[2] * ws[3] * oh * ow), first: len(*out) == 0})
			c, h, w = ws[0], oh, ow
		case *nn.ConvTranspose2d:
			ws := l.Weight.Shape() // [Cin, Cout, KH, KW]
			o := l.Options
			*out = append(*out, convCost{macs: float64(ws[0] * ws[1] * ws[2] * ws[3] * h * w)})
			h = (h-1)*max(o.Stride[0], 1) - 2*o.Padding[0] + ws[2] + o.OutputPadding[0]
			w = (w-1)*max(o.Stride[1], 1) - 2*o.Padding[1] + ws[3] + o.OutputPadding[1]
			c = ws[1]
		case *cyclegan.ResnetBlock:
			convCosts(l.ConvBlock.Layers, c, h, w, out)
		}
	}
	return c, h, w
}

// trainingStepFLOPs counts the convolution FLOPs of one Trainer.Step at size x size:
//
//	generator step: 6 generator forwards (fake, rec and idt both ways) with input and weight
//	gradients (no input gradient at the first layer for the 4 whose input is a real image), and
//	2 discriminator forwards with input gradients only (the discriminators are frozen);
//	discriminator step: 4 discriminator forwards with weight gradients and input gradients
//	below the first layer.
func trainingStepFLOPs(tr *cyclegan.Trainer, size int) float64 {
	var g, d []convCost
	convCosts(tr.GA.Model.Layers, 3, size, size, &g)
	convCosts(tr.DA.Model.Layers, 3, size, size, &d)
	sum := func(cs []convCost, skipFirst bool) float64 {
		t := 0.0
		for _, c := range cs {
			if !(skipFirst && c.first) {
				t += c.macs
			}
		}
		return t
	}
	gAll, gNoFirst := sum(g, false), sum(g, true)
	dAll, dNoFirst := sum(d, false), sum(d, true)
	macs := 6*gAll + 6*gAll + 2*gAll + 4*gNoFirst // generators: forward, weight grads, input grads
	macs += 2*dAll + 2*dAll                       // frozen discriminators: forward, input grads
	macs += 4*dAll + 4*dAll + 4*dNoFirst          // discriminator step: forward, weight, input grads
	return 2 * macs
}
