package tensor

import (
	"math/bits"

	"github.com/zebra-go/zebra/internal/shiftconv"
)

// shiftApplies reports whether the CPU runs every pass of the convolution g with cout output
// channels in internal/shiftconv, which sums the image shifted by each tap in place of a column
// matrix: float32 stride-1, dilation-1 convolutions that keep all their output positions, with
// a padding of at most K−1 (so that the input gradient is the forward pass of the swapped
// geometry, prefersSwapped) and a kernel larger than 1×1, where one side has few channels and
// the other not many (shiftChannels): CycleGAN's first and last 7×7 layers (3→64 and 64→3 at
// 256x256, 3→16 and 16→3 in make demo), whose GEMMs have 3 rows in one pass and 147 columns per
// position in another. Not under ConvDirect, nor where only the Go twins can run (purego,
// ZEBRA_CPU=generic).
func shiftApplies(g ConvGeom, cout int, dt DType) bool {
	if dt != Float32 || g.N == 0 || ConvAlgorithmSetting() == ConvDirect || shiftconv.Path() == "generic" {
		return false
	}
	if g.StrideH != 1 || g.StrideW != 1 || g.DilH != 1 || g.DilW != 1 || isPointwise(g) ||
		g.PadH > g.KH-1 || g.PadW > g.KW-1 || g.OH != g.H+2*g.PadH-g.KH+1 || g.OW != g.W+2*g.PadW-g.KW+1 {
		return false
	}
	return shiftChannels(min(g.C, cout), max(g.C, cout), g.KH*g.KW)
}

// shiftChannels is where shiftconv measured faster than the GEMM path, or within a few percent
// in a pass or two, for a convolution with narrow channels on one side, wide on the other and
// taps = KH·KW: up to 8 narrow channels, and 16 wide for 1 or 2 narrow, 32 from 3 on, 64 for
// 7×7 kernels (square 3×3, 4×4 and 7×7 kernels measured; others take the nearest rule). The
// GEMM's efficiency grows with its rows and inner dimension, the wide side and C·KH·KW; the
// shifted sums' with the output channels a kernel call computes (up to 4) and the taps.
// TestTuneShiftCrossover (conv_tune_test.go; AMD EPYC Zen 4, 2 threads, machine shared, mean
// of two runs of the best of 5 interleaved rounds), direct time / shiftconv time per pass:
//
//	             3x3, 64x64       7x7, 64x64      3x3, 256x256     7x7, 256x256
//	C->Cout  Conv Input Wgt  Conv Input Wgt  Conv Input Wgt  Conv Input Wgt
//	 1->16   1.05 1.13 1.72  1.34 1.24 1.25  0.97 1.46 2.44  1.56 2.42 2.00
//	16->1    1.30 1.16 1.15  1.31 1.30 0.78  1.50 1.12 1.90  2.47 1.47 1.26
//	 1->32   0.69 0.72 1.08  0.90 0.80 0.79  0.70 1.77 1.72  1.00 1.76 1.38
//	 3->16   1.44 1.59 1.45  1.71 2.94 1.60  1.33 2.40 1.96  1.88 3.69 2.15
//	16->3    1.80 1.37 1.47  3.04 1.66 1.48  2.54 1.49 2.04  3.59 1.66 2.01
//	 3->32   0.97 0.95 1.02  1.17 1.59 1.06  0.98 2.16 1.38  1.23 1.99 1.44
//	32->3    1.06 1.03 0.96  1.71 1.21 1.05  2.48 0.99 1.25  2.16 1.30 1.40
//	 3->64   0.95 0.83 0.93  1.17 1.08 1.15  0.76 1.56 1.07  1.02 1.41 1.08
//	64->3    0.91 0.93 0.88  1.13 1.17 1.08  1.33 0.87 0.86  1.39 1.01 1.00
//	 8->64   1.11 1.05 1.18  1.28 1.15 1.17  0.91 0.93 1.10  1.18 1.64 1.17
//	64->8    1.10 1.11 1.18  1.29 1.24 1.21  0.93 0.93 1.10  2.99 7.71 3.26
//
// (8→64 at 3×3 measured 0.91-1.18: a tie, left to the GEMM.)
func shiftChannels(narrow, wide, taps int) bool {
	switch {
	case narrow > 8:
		return false
	case narrow <= 2:
		return wide <= 16
	case taps >= 49:
		return wide <= 64
	}
	return wide <= 32
}

// convolvesDirectly implements directConvolver: the CPU runs the passes that shiftconv
// applies to as they are, with no use for the swapped form.
func (cpuBackend) convolvesDirectly(g ConvGeom, cout int, dt DType) bool {
	return shiftApplies(g, cout, dt)
}

// shiftGeom is g as internal/shiftconv describes it.
func shiftGeom(g ConvGeom, cout int) shiftconv.Geom {
	return shiftconv.Geom{N: g.N, C: g.C, H: g.H, W: g.W, Cout: cout, KH: g.KH, KW: g.KW, PadH: g.PadH, PadW: g.PadW}
}

// shiftForward is ConvForward in internal/shiftconv.
func shiftForward(y, x, w, bias Storage, g ConvGeom, cout int) {
	sg := shiftGeom(g, cout)
	ws := shiftWorkspace(shiftconv.ForwardWorkspace(sg))
	var b []float32
	if bias != nil {
		b = cpuData[float32](bias)
	}
	shiftconv.Forward(cpuData[float32](y), cpuData[float32](x), cpuData[float32](w), b, sg, CPUFloat32s(ws))
	Release(ws)
}

// shiftInput is ConvInput in internal/shiftconv: the forward pass of the swapped geometry with
// the flipped weight (prefersSwapped), an image of cout channels and C outputs.
func shiftInput(dx, dy, w Storage, g ConvGeom, cout int) {
	wt := flippedWeight(w, g, cout)
	shiftForward(dx, dy, wt.storage, nil, swappedGeom(g, cout), g.C)
	Release(wt)
}

// shiftWeight is ConvWeight in internal/shiftconv.
func shiftWeight(dw, dy, x Storage, g ConvGeom, cout int) {
	sg := shiftGeom(g, cout)
	ws := shiftWorkspace(shiftconv.WeightWorkspace(sg))
	shiftconv.Weight(cpuData[float32](dw), cpuData[float32](dy), cpuData[float32](x), sg, CPUFloat32s(ws))
	Release(ws)
}

// shiftWorkspace returns a float32 buffer of at least n elements from the CPU pool, its length
// rounded up to a multiple of an eighth of the power of two at or above n. A workspace holds a
// padded copy of the image (the input, or the gradient for the input pass), as large as the
// layer's activations: 18-19 MB for each pass of CycleGAN's first and last layers at 256x256,
// six sizes a few percent apart that the pool, which matches sizes exactly, would keep one
// buffer each of (peak RSS 1.63 GB against 1.55 without shiftconv). Rounded, they share one.
func shiftWorkspace(n int) *Tensor {
	q := max(1<<12, 1<<bits.Len(uint(n-1))/8)
	return Empty(CPU, Float32, (n+q-1)/q*q)
}
