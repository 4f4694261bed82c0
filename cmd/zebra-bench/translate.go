package main

import (
	"flag"
	"fmt"
	"image"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

func init() {
	register("translate", "CycleGAN generator inference (batch 1, official architecture): s/image, GFLOP/s, peak memory", runTranslateBench)
}

// runTranslateBench times cyclegan.Translate, what `cyclegan translate` runs for each image
// between decoding it and encoding the result (the generator's forward without a graph, with the
// conversions from and to an image on either side), on random images after warm-up, at each
// requested size. scripts/bench_pytorch_infer.py times the same generator in PyTorch under
// torch.no_grad() for the side-by-side.
func runTranslateBench(args []string) error {
	fs := flag.NewFlagSet("zebra-bench translate", flag.ContinueOnError)
	sizeList := fs.String("sizes", "256", "comma-separated image sizes (8 to 8192)")
	ngf := fs.Int("ngf", 64, "generator filters")
	blocks := fs.Int("blocks", 9, "residual blocks (the official default resnet_9blocks at every size)")
	warmup := fs.Int("warmup", 1, "untimed images first")
	iters := fs.Int("iters", 5, "timed images")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the first size's timed images to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// No timed image would divide by zero (+Inf timings); the upper bounds keep a typo from
	// running for days or allocating more than a machine has.
	switch {
	case *ngf < 1 || *ngf > cyclegan.MaxFilters || *blocks < 0 || *blocks > cyclegan.MaxBlocks:
		return fmt.Errorf("-ngf %d, -blocks %d: want 1 to %d filters and 0 to %d blocks", *ngf, *blocks, cyclegan.MaxFilters, cyclegan.MaxBlocks)
	case *iters < 1 || *iters > maxBenchIters || *warmup < 0 || *warmup > maxBenchIters:
		return fmt.Errorf("-iters %d and -warmup %d: want 1 to %d timed and 0 to %d untimed images", *iters, *warmup, maxBenchIters, maxBenchIters)
	}
	sizes, err := parseTranslateSizes(*sizeList)
	if err != nil {
		return err
	}
	for _, size := range sizes {
		if e := cyclegan.TranslateMemoryEstimate(*ngf, *blocks, size, size); e > cyclegan.DefaultMaxMemory {
			return fmt.Errorf("-sizes %d with -ngf %d and -blocks %d: the generator's layers would take up to %.1f GB, more than the %.0f GB a benchmark may use",
				size, *ngf, *blocks, float64(e)/1e9, float64(cyclegan.DefaultMaxMemory)/1e9)
		}
	}
	// Unlike zebra-bench train, the GC target stays at its default (GOGC 100), as in cyclegan translate.
	closeProfile, err := openProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer closeProfile()
	fmt.Printf("CycleGAN generator inference (cyclegan.Translate), batch 1, ngf %d, %d blocks, GOMAXPROCS %d, %d warm-up + %d timed images\n",
		*ngf, *blocks, runtime.GOMAXPROCS(0), *warmup, *iters)
	fmt.Printf("%6s %12s %12s %12s %10s %14s %14s\n", "size", "s/image", "CPU s/image", "GFLOP/image", "GFLOP/s", "peak RSS", "peak Go heap")
	for _, size := range sizes {
		g := cyclegan.NewResnetGenerator(tensor.NewRNG(1), *ngf, *blocks)
		g.SetTraining(false)
		// Translate pads the image to a multiple of 4; the generator runs at that size.
		padded := max(cyclegan.MinTranslateSize, (size+3)/4*4)
		var convs []convCost
		convCosts(g.Model.Layers, 3, padded, padded, &convs)
		flops := 0.0
		for _, c := range convs {
			flops += 2 * c.macs
		}
		rng := tensor.NewRNG(2)
		var peakHeap uint64
		translate := func() error {
			cyclegan.Translate(g, randomImage(rng, size))
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapSys)
			return nil
		}
		perImage, cpuPerImage, err := timed(*warmup, *iters, translate)
		if err != nil {
			return err
		}
		fmt.Printf("%6d %12.3f %12s %12.1f %10.1f %14s %14s\n", size, perImage, cpuPerImage, flops/1e9, flops/perImage/1e9, formatBytes(peakRSS()), formatBytes(peakHeap))
		g = nil
		runtime.GC()
		debug.FreeOSMemory()
	}
	fmt.Println("GFLOP counts the generator's convolutions (2 per multiply-add). Peak RSS is the process's high-water mark so far (sizes run in the order given).")
	return nil
}

// parseTranslateSizes reads -sizes. Translate takes any size from MinTranslateSize up (it pads
// to a multiple of 4), so unlike zebra-bench train's sizes these need not be multiples of 4.
func parseTranslateSizes(list string) ([]int, error) {
	var sizes []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < cyclegan.MinTranslateSize || n > cyclegan.MaxImageSize {
			return nil, fmt.Errorf("-sizes: %q is not a size from %d to %d", s, cyclegan.MinTranslateSize, cyclegan.MaxImageSize)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// randomImage is an opaque size x size image of uniformly random bytes, standing in for a decoded
// photo (the generator's cost does not depend on the pixel values).
func randomImage(rng *tensor.RNG, size int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	noise := tensor.Uniform(rng, tensor.Float32, 0, 256, size*size*3).Float32s()
	for i := range size * size {
		for c := range 3 {
			img.Pix[4*i+c] = uint8(min(noise[3*i+c], 255))
		}
		img.Pix[4*i+3] = 0xff
	}
	return img
}
