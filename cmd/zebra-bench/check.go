package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"time"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

func init() {
	register("check", "float32 against float64 on D(G(x)) and its backward at full size, beside PyTorch's own float32 error: PASS/FAIL", runCheck)
}

// maxCheckFactor bounds -factor of zebra-bench check.
const maxCheckFactor = 1000

// runCheck is models/cyclegan's precision test at full size (see cyclegan.MeasurePrecision and
// TestFloat32PrecisionAgainstPyTorch), under the convolution algorithm of ZEBRA_CONV.
func runCheck(args []string) error {
	fset := flag.NewFlagSet("zebra-bench check", flag.ContinueOnError)
	size := fset.Int("size", 256, "image size (a multiple of 4 from 32 to 1024)")
	seed := fset.Uint64("seed", 1, "seed of zebra's weights and image")
	pytorch := fset.String("pytorch", "models/cyclegan/testdata/precision_256.json", "PyTorch's errors, written by /usr/bin/python3 scripts/golden/precision.py --size N (a missing file: no verdict)")
	factor := fset.Float64("factor", cyclegan.PrecisionFactor, "allowed multiple of PyTorch's errors")
	if help, err := parseSizedFlags(fset, args, size); help || err != nil {
		return err
	}
	// A factor of NaN or 0 would fail every comparison, a huge one none (a float32 error 1000
	// times PyTorch's is the size of the errors themselves).
	if !(*factor > 0 && *factor <= maxCheckFactor) {
		return fmt.Errorf("-factor %g: want a multiple above 0 and at most %g", *factor, float64(maxCheckFactor))
	}
	// The check runs a training step's forward and backward in float32 and again in float64
	// (twice the bytes): refuse a size whose estimate exceeds the default memory budget.
	o := cyclegan.DefaultOptions()
	o.LoadSize, o.CropSize, o.PoolSize = *size, *size, 0
	if e := 3 * o.MemoryEstimate().Bytes; e > cyclegan.DefaultMaxMemory {
		return fmt.Errorf("-size %d: the float32 and float64 runs would take about %.1f GB, more than the %.0f GB a check may use", *size, float64(e)/1e9, float64(cyclegan.DefaultMaxMemory)/1e9)
	}
	printMachine()
	var yard *cyclegan.PrecisionReport
	switch r, err := cyclegan.ReadPrecisionReport(*pytorch); {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Printf("PyTorch: %s does not exist: zebra's errors only, no verdict\n", *pytorch)
	case err != nil:
		return fmt.Errorf("-pytorch: %w", err)
	default:
		yard = &r
		fmt.Printf("PyTorch %s from %s: seed %d, %dx%d, %d ReLU flips\n", r.Torch, *pytorch, r.Seed, r.Size, r.Size, r.ReLUFlips)
		if r.Size != *size || r.NGF != 64 || r.Blocks != 9 || r.NDF != 64 {
			return fmt.Errorf("-pytorch %s measured %dx%d with ngf %d, %d blocks, ndf %d; this check runs %dx%d with ngf 64, 9 blocks, ndf 64", *pytorch, r.Size, r.Size, r.NGF, r.Blocks, r.NDF, *size, *size)
		}
	}
	start := time.Now()
	z := cyclegan.MeasurePrecision(*size, 64, 9, 64, *seed)
	fmt.Printf("zebra: seed %d, %dx%d, convolutions %s, %d ReLU flips, %.1f s\n", *seed, *size, *size, tensor.ConvAlgorithmSetting(), z.ReLUFlips, time.Since(start).Seconds())
	fmt.Println("float32 against float64, relative L2 error; same-branch: the float64 run takes float32's ReLU branches (rounding alone)")

	fmt.Printf("\n%-34s %12s %12s\n", "plain float64 reference", "zebra", "PyTorch")
	names := []string{"G output", "D output", "G grads", "D grads",
		"worst G weight grad " + z.Errors.GGradWorstName, "worst D weight grad " + z.Errors.DGradWorstName}
	values := func(e cyclegan.PrecisionErrors) []float64 {
		return []float64{e.GOutput, e.DOutput, e.GGrad, e.DGrad, e.GGradWorst, e.DGradWorst}
	}
	zv, pv := values(z.Errors), make([]float64, len(names))
	if yard != nil {
		pv = values(yard.Errors)
	}
	for i, name := range names {
		fmt.Printf("%-34s %12.3g %12s\n", name, zv[i], orDash(pv[i]))
	}
	if yard == nil {
		s := z.SameBranches
		fmt.Printf("\nsame-branch: G output %.3g, D output %.3g, G grads %.3g, D grads %.3g, worst G weight %.3g (%s), worst D weight %.3g (%s)\n",
			s.GOutput, s.DOutput, s.GGrad, s.DGrad, s.GGradWorst, s.GGradWorstName, s.DGradWorst, s.DGradWorstName)
		return nil
	}

	fmt.Printf("\n%-34s %12s %12s %12s %8s   (limit: %g x PyTorch)\n", "compared", "zebra", "PyTorch", "limit", "", *factor)
	failed := 0
	for _, c := range cyclegan.ComparePrecision(z, *yard, *factor) {
		verdict := "ok"
		if !c.OK() {
			verdict = "FAIL"
			failed++
		}
		fmt.Printf("%-34s %12.3g %12.3g %12.3g %8s\n", c.Name, c.Zebra, c.PyTorch, c.Limit, verdict)
	}
	if failed > 0 {
		fmt.Println("FAIL")
		return fmt.Errorf("%d of zebra's float32 errors exceed %g x PyTorch's", failed, *factor)
	}
	fmt.Println("PASS")
	return nil
}

// orDash prints v, or "-" for 0 (not measured).
func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3g", v)
}
