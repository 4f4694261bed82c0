package cyclegan

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// TestFloat32PrecisionAgainstPyTorch runs the official networks (ngf 64 with 9 blocks, ndf 64
// with 3 layers) in float32 and float64 and requires zebra's float32 errors to be at most
// PrecisionFactor times PyTorch's own float32 errors on the same computation, as
// scripts/golden/precision.py measured them (testdata/precision_64.json and _128.json; see
// ComparePrecision for which figures). The weights are zebra's draw, not PyTorch's: the yardstick
// is how much float32 loses, not the values. At 64x64 it runs under ConvDirect and under ConvAuto,
// the default, which takes Winograd F(2x2, 3x3) for the residual blocks' forward and weight
// gradient there (16x16 planes); at 128x128 under ConvAuto, whose residual blocks (32x32) take
// F(4x4, 3x3) for both gradients. ConvWinograd4, F(4x4, 3x3) everywhere, rounds more and is not
// the default; it is held to winograd4Factor, its documented bound.
//
// Measured on a Zen 4 (AVX-512), zebra seed 1 against PyTorch seed 0, relative L2 errors
// (same-branch: against a float64 run that takes float32's ReLU branches):
//
//	                     64x64: PyTorch   direct   auto     winograd4   128x128: PyTorch   auto
//	G output                    1.43e-6   1.66e-6  2.04e-6  9.59e-6              1.40e-6   2.05e-6
//	D output                    3.99e-6   3.60e-6  3.24e-6  1.95e-5              2.52e-6   3.31e-6
//	same-branch G grads         3.58e-6   3.78e-6  3.45e-6  2.08e-5              3.09e-6   8.13e-6
//	same-branch D grads         2.92e-6   3.05e-6  3.14e-6  1.68e-5              1.46e-6   1.81e-6
//	same-branch worst G         3.96e-6   4.80e-6  4.05e-6  2.59e-5              3.71e-6   8.78e-6
//	same-branch worst D         3.93e-6   4.35e-6  4.49e-6  2.41e-5              3.37e-6   4.77e-6
//	ReLU flips                  0         0        0        2                    4         0
//
// Direct and F(2x2) are within 1.45x of PyTorch everywhere; F(4x4, 3x3) in every pass loses 5-7x
// more than PyTorch's convolutions, which is what Winograd F(4x4) costs in float32 once its
// rounding passes through the forward. Kept to the gradients (auto at 128x128) it costs the
// generator's weight gradients 2.6x PyTorch's error and leaves the outputs at 1.5x (December
// 2026): within the bound, but with the least room of any figure here.
func TestFloat32PrecisionAgainstPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s of CPU: full-width networks in float32 and float64, twice")
	}
	for _, c := range []struct {
		size int
		algo tensor.ConvAlgorithm
	}{{64, tensor.ConvDirect}, {64, tensor.ConvAuto}, {64, tensor.ConvWinograd4}, {128, tensor.ConvAuto}} {
		pytorch, err := ReadPrecisionReport(filepath.Join("testdata", fmt.Sprintf("precision_%d.json", c.size)))
		if err != nil {
			t.Fatal(err)
		}
		factor := PrecisionFactor
		if c.algo == tensor.ConvWinograd4 {
			factor = winograd4Factor
		}
		t.Run(fmt.Sprintf("%s_%d", c.algo, c.size), func(t *testing.T) {
			defer tensor.SetConvAlgorithm(tensor.SetConvAlgorithm(c.algo))
			const seed = 1
			zebra := MeasurePrecision(pytorch.Size, pytorch.NGF, pytorch.Blocks, pytorch.NDF, seed)
			t.Logf("ReLU flips: zebra %d, PyTorch %d; plain float64 reference (not compared: decided by the flips): G grads zebra %.3g PyTorch %.3g, D grads zebra %.3g PyTorch %.3g",
				zebra.ReLUFlips, pytorch.ReLUFlips, zebra.Errors.GGrad, pytorch.Errors.GGrad, zebra.Errors.DGrad, pytorch.Errors.DGrad)
			for _, cmp := range ComparePrecision(zebra, pytorch, float64(factor)) {
				t.Logf("%-32s zebra %.3g  PyTorch %.3g  limit %.3g", cmp.Name, cmp.Zebra, cmp.PyTorch, cmp.Limit)
				if !cmp.OK() {
					t.Errorf("%s: float32 relative L2 error %.3g is more than %dx PyTorch's %.3g (convolutions %s, %dx%d)",
						cmp.Name, cmp.Zebra, factor, cmp.PyTorch, c.algo, c.size, c.size)
				}
			}
		})
	}
}

// winograd4Factor bounds ConvWinograd4's errors against PyTorch's: the README promises 5-7x
// (measured 5.1-7.3x above); 10 leaves room for another draw of the weights without hiding a
// transform that rounds twice as badly.
const winograd4Factor = 10
