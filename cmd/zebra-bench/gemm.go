package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zebra-go/zebra/internal/cpu"
	"github.com/zebra-go/zebra/internal/gemm"
)

func init() {
	register("gemm", "SGEMM speed per path and thread count, against the measured FMA peak", runGemm)
}

// gemmShape is one benchmarked product: C[m,n] = op(A)[m,k] * op(B)[k,n].
type gemmShape struct {
	name           string
	m, k, n        int
	transA, transB bool
}

// The im2col GEMMs of CycleGAN at 256x256, written (M, K, N) as in issue 4, plus two squares.
var issueShapes = []gemmShape{
	{name: "resblock 3x3 256->256", m: 4096, k: 2304, n: 256},
	{name: "first conv 7x7 3->64", m: 65536, k: 147, n: 64},
	{name: "down conv 3x3 64->128", m: 16384, k: 576, n: 128},
	{name: "down conv 3x3 128->256", m: 4096, k: 1152, n: 256},
	{name: "square", m: 1024, k: 1024, n: 1024},
	{name: "square", m: 2048, k: 2048, n: 2048},
}

// trainingShapes are the same convolutions as the conv layers call them: forward
// Y[Cout, OH*OW] = W[Cout, K] x cols[K, OH*OW], dW = dY x cols^T and dcols = W^T x dY.
func trainingShapes() []gemmShape {
	var out []gemmShape
	for _, s := range issueShapes[:4] {
		spatial, kk, cout := s.m, s.k, s.n
		out = append(out,
			gemmShape{name: s.name + " fwd", m: cout, k: kk, n: spatial},
			gemmShape{name: s.name + " dW", m: cout, k: spatial, n: kk, transB: true},
			gemmShape{name: s.name + " dcols", m: kk, k: cout, n: spatial, transA: true},
		)
	}
	return out
}

func runGemm(args []string) error {
	fs := flag.NewFlagSet("zebra-bench gemm", flag.ContinueOnError)
	threadList := fs.String("threads", "1,2", "comma-separated thread counts")
	pathList := fs.String("paths", "all", "comma-separated paths (avx512, avx2, generic) or all")
	training := fs.Bool("training", false, "also time the transposed shapes the conv layers call (forward, dW, dcols), with B stored (on the CPU the layers pack the columns from the image instead; zebra-bench train times them)")
	minTime := fs.Duration("mintime", time.Second, "time each shape for at least this long (after one warm-up run)")
	rounds := fs.Int("rounds", 0, "instead of the best run over -mintime, alternate the FMA peak loop and the product this many times and report medians (steadier on a machine whose speed drifts)")
	only := fs.String("shapes", "", "time only the shapes whose name or m,k,n contains one of these comma-separated strings (e.g. 2048 or resblock)")
	withOpenBLAS := fs.Bool("openblas", true, "also time the system's OpenBLAS (loaded at run time) on each shape, right after zebra")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	threads, err := parseInts(*threadList)
	if err != nil {
		return fmt.Errorf("-threads: %v", err)
	}
	// A -mintime of 0 times nothing (timeIt would report its sentinel as the best time); the
	// upper bounds keep a typo from running for days or starting a million threads.
	switch {
	case slices.Max(threads) > maxThreads:
		return fmt.Errorf("-threads %s: want at most %d threads", *threadList, maxThreads)
	case *minTime <= 0 || *minTime > time.Hour:
		return fmt.Errorf("-mintime %v: want more than 0 and at most 1h", *minTime)
	case *rounds < 0 || *rounds > 10_000:
		return fmt.Errorf("-rounds %d: want 0 (use -mintime) to 10000", *rounds)
	}
	paths := gemm.Paths()
	if *pathList != "all" {
		paths = strings.Split(*pathList, ",")
		for _, p := range paths {
			if !contains(gemm.Paths(), p) {
				return fmt.Errorf("-paths: %q is not available here (available: %s)", p, strings.Join(gemm.Paths(), ","))
			}
		}
	}
	shapes := issueShapes
	if *training {
		shapes = append(append([]gemmShape(nil), shapes...), trainingShapes()...)
	}
	if *only != "" {
		if shapes = selectShapes(shapes, strings.Split(*only, ",")); len(shapes) == 0 {
			return fmt.Errorf("-shapes %q matches none of the shapes (see zebra-bench gemm -training for the list)", *only)
		}
	}

	fmt.Printf("CPU level %s (supported %s), active gemm path %s, GOMAXPROCS %d %s\n",
		cpu.Active(), cpu.Supported(), gemm.Path(), runtime.GOMAXPROCS(0), cpu.Note())
	var blas *openBLAS
	if *withOpenBLAS {
		if blas, err = loadOpenBLAS(); err != nil {
			fmt.Printf("no OpenBLAS rows: %v\n", err)
			blas = nil
		} else {
			fmt.Printf("OpenBLAS: %s, timed in this process right after zebra on each shape\n", blas.name)
		}
	}
	peakPath := paths[0]
	if peakPath == "generic" {
		peakPath = gemm.Paths()[0]
	}
	peaks, cpuPeaks := map[int]float64{}, map[int]float64{}
	for _, t := range threads {
		peaks[t], cpuPeaks[t] = fmaPeak(peakPath, t)
		if peaks[t] == 0 {
			fmt.Printf("FMA peak: path %s has no assembly loop to measure it\n", peakPath)
			continue
		}
		fmt.Printf("FMA peak (%s loop, %d thread(s)): %.1f GFLOP/s wall, %.1f GFLOP/s per CPU-second x threads\n",
			peakPath, t, peaks[t]/1e9, cpuPeaks[t]/1e9)
	}
	if *rounds > 0 {
		fmt.Printf("time: median of %d rounds after a warm-up; GFLOP/s = 2*m*n*k / time.\n", *rounds)
		fmt.Printf("of peak: median over the rounds of the product's rate divided by the FMA loop's,\n" +
			"each round timing the loop (best of three runs of about 20 ms) right before the product;\n" +
			"cpu columns not measured.\n\n")
	} else {
		fmt.Printf("time: best of runs over %v after a warm-up; GFLOP/s = 2*m*n*k / time.\n", *minTime)
		fmt.Printf("of peak: against the FMA loop timed again just before each row, so that a load that\n" +
			"comes and goes on a shared machine weighs on both.\n")
		fmt.Printf("cpu GF/s = 2*m*n*k / (process CPU time / threads): what the threads did while they ran,\n" +
			"a fairer figure when other processes share the cores (it flatters an unbalanced split).\n\n")
	}

	const row = "%24s %6s %6s %6s %5s %8s %7s %9s %8s %8s %10s %8s\n"
	fmt.Printf(row, "shape", "m", "k", "n", "op", "path", "threads", "ms", "GFLOP/s", "of peak", "cpu GF/s", "of peak")
	for _, s := range shapes {
		a, b, c := operands(s)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		for _, t := range threads {
			runs := map[string]func(){}
			order := []string{}
			for _, p := range paths {
				runs[p] = func() { gemm.SgemmPath(p, s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, b, ldb, 0, c, s.n) }
				order = append(order, p)
			}
			if blas != nil {
				runs["openblas"] = func() { blas.gemm(s, a, b, c) }
				order = append(order, "openblas")
			}
			gemm.SetThreads(t)
			if blas != nil {
				blas.setThreads(int32(t))
			}
			for _, p := range order {
				if *rounds > 0 {
					var settle time.Duration
					if p == "openblas" {
						// OpenBLAS's idle threads spin after each call; the peak loop would
						// share the cores with them.
						settle = 200 * time.Millisecond
					}
					secs, frac := pairedRounds(*rounds, peakPath, t, flops, settle, runs[p])
					fracText := "-"
					if frac > 0 {
						fracText = fmt.Sprintf("%.0f%%", 100*frac)
					}
					fmt.Printf(row, s.name, itoa(s.m), itoa(s.k), itoa(s.n), opName(s), p, itoa(t),
						fmt.Sprintf("%.2f", secs*1e3), fmt.Sprintf("%.1f", flops/secs/1e9), fracText, "-", "-")
					continue
				}
				if peaks[t] > 0 {
					peaks[t], cpuPeaks[t] = fmaPeak(peakPath, t)
				}
				if p == "openblas" {
					// Let OpenBLAS's threads spin down before and after, so that neither side
					// pays for the other's idle workers.
					time.Sleep(200 * time.Millisecond)
				}
				secs, cpuSecs := timeIt(*minTime, runs[p])
				if p == "openblas" {
					time.Sleep(200 * time.Millisecond)
				}
				cpuRate, cpuFrac := "-", "-"
				if cpuSecs > 0 && cpuPeaks[t] > 0 {
					r := flops / (cpuSecs / float64(t))
					cpuRate, cpuFrac = fmt.Sprintf("%.1f", r/1e9), fmt.Sprintf("%.0f%%", 100*r/cpuPeaks[t])
				}
				frac := "-"
				if peaks[t] > 0 {
					frac = fmt.Sprintf("%.0f%%", 100*flops/secs/peaks[t])
				}
				fmt.Printf(row, s.name, itoa(s.m), itoa(s.k), itoa(s.n), opName(s), p, itoa(t),
					fmt.Sprintf("%.2f", secs*1e3), fmt.Sprintf("%.1f", flops/secs/1e9), frac, cpuRate, cpuFrac)
			}
		}
	}
	gemm.SetThreads(0)
	return nil
}

// selectShapes keeps the shapes whose name or "m,k,n" contains one of the patterns.
func selectShapes(shapes []gemmShape, patterns []string) []gemmShape {
	var out []gemmShape
	for _, s := range shapes {
		dims := fmt.Sprintf("%d,%d,%d", s.m, s.k, s.n)
		for _, p := range patterns {
			if p != "" && (strings.Contains(s.name, p) || strings.Contains(dims, p)) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func opName(s gemmShape) string {
	name := "A"
	if s.transA {
		name = "At"
	}
	if s.transB {
		return name + "*Bt"
	}
	return name + "*B"
}

func operands(s gemmShape) (a, b, c []float32) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		return x
	}
	return fill(s.m * s.k), fill(s.k * s.n), fill(s.m * s.n)
}

// timeIt runs f once to warm caches and page in buffers, then repeatedly for at least minTime,
// and returns the best wall time and the best process CPU time (0 if unknown) in seconds: the
// least disturbed run on a shared machine.
func timeIt(minTime time.Duration, f func()) (wall, cpuTime float64) {
	f()
	best, bestCPU := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for start := time.Now(); time.Since(start) < minTime; {
		c0, ok := processCPUTime()
		t0 := time.Now()
		f()
		best = min(best, time.Since(t0))
		if c1, _ := processCPUTime(); ok {
			bestCPU = min(bestCPU, c1-c0)
		}
	}
	if bestCPU == time.Duration(1<<63-1) {
		bestCPU = 0
	}
	return best.Seconds(), bestCPU.Seconds()
}

// fmaPeak measures the FMA throughput of threads threads, each locked to an OS thread and running
// the path's assembly loop of independent FMAs, in FLOP/s of wall time and per CPU-second times
// threads. The best of five runs of about 30 ms is reported.
func fmaPeak(path string, threads int) (wall, perCPU float64) {
	best, bestCPU := 0.0, 0.0
	for run := 0; run < 5; run++ {
		c0, ok := processCPUTime()
		flops, secs := fmaPeakOnce(path, threads)
		best = max(best, flops/secs)
		if c1, _ := processCPUTime(); ok && c1 > c0 {
			bestCPU = max(bestCPU, flops/((c1-c0).Seconds()/float64(threads)))
		}
	}
	return best, bestCPU
}

// fmaPeakOnce runs the peak loop once (about 30 ms) on threads locked OS threads and returns the
// FLOPs done and the wall seconds taken; 0 FLOPs if the path has no peak loop.
func fmaPeakOnce(path string, threads int) (flops, secs float64) {
	const iterations = 10_000_000
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := time.Now()
	for t := 0; t < threads; t++ {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			f := gemm.FMALoop(path, iterations)
			mu.Lock()
			flops += f
			mu.Unlock()
		})
	}
	wg.Wait()
	return flops, time.Since(start).Seconds()
}

// pairedRounds runs f once to warm up, then rounds times the FMA peak loop followed by f, and
// returns f's median time and the median over the rounds of f's rate divided by the best rate
// of three runs of the peak loop just before it (0 if the path has no peak loop). On a shared machine whose
// speed drifts, the paired ratio moves much less than either rate. Each round starts with a
// pause of settle.
func pairedRounds(rounds int, peakPath string, threads int, flops float64, settle time.Duration, f func()) (secs, frac float64) {
	f()
	times, fracs := make([]float64, rounds), make([]float64, rounds)
	for i := range times {
		if settle > 0 {
			// After the pause, the first run of the loop finds the cores clocked down.
			time.Sleep(settle)
			fmaPeakOnce(peakPath, threads)
		}
		// The best of three short runs: a single one now and then caught a hiccup and made
		// the product look closer to the peak than it was.
		peak := 0.0
		for range 3 {
			if peakFlops, peakSecs := fmaPeakOnce(peakPath, threads); peakFlops > 0 {
				peak = max(peak, peakFlops/peakSecs)
			}
		}
		t0 := time.Now()
		f()
		times[i] = time.Since(t0).Seconds()
		if peak > 0 {
			fracs[i] = flops / times[i] / peak
		}
	}
	return median(times), median(fracs)
}

// median returns the middle value of x (the mean of the two middle ones for even lengths).
func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// maxThreads bounds -threads: far above the cores of any machine this runs on.
const maxThreads = 1024

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(v int) string { return strconv.Itoa(v) }
