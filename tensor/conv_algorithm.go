package tensor

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// ConvAlgorithm says how the CPU backend runs a convolution pass.
type ConvAlgorithm int32

const (
	// ConvAuto lets the planner choose per layer by shape and pass (see autoTile): for the
	// float32 3×3 stride-1 convolutions of at least 32 channels, in training, Winograd
	// F(2×2, 3×3) for the forward, F(4×4, 3×3) for the weight gradient from 32x32 on (F2
	// below) and for the input gradient where it beats direct; for the float32 stride-1
	// convolutions with few channels on one side (CycleGAN's first and last 7×7 layers), every
	// pass in internal/shiftconv (see shiftApplies); direct implicit-GEMM for the rest. Its
	// float32 results stay within 3x PyTorch's error (models/cyclegan's precision test, and
	// zebra-bench check at 128x128 and 256x256). A forward-only convolution
	// (ConvGeom.ForwardOnly: no gradient will be taken, as in translation) takes F(4×4, 3×3)
	// from 32x32 on, trading float32 accuracy, about 1e-5 relative, that 8-bit pixels cannot
	// show.
	ConvAuto ConvAlgorithm = iota
	// ConvDirect always runs the direct implicit-GEMM path (the im2col columns formed inside
	// the GEMM, or their swapped form: see prefersSwapped).
	ConvDirect
	// ConvWinograd runs Winograd's F(2×2, 3×3) for every pass that it can compute (float32,
	// 3×3, stride 1, dilation 1, padding at most 2), whatever its shape, and the rest as
	// ConvAuto does (shiftconv or direct).
	ConvWinograd
	// ConvWinograd4 runs Winograd's F(4×4, 3×3) wherever Winograd applies (the rest as
	// ConvWinograd): 4 times fewer
	// multiplications than direct (F(2×2) has 2.25 times fewer) and the fastest on large
	// layers, but it rounds more. In the forward pass that rounding reaches a CycleGAN step's
	// outputs and every gradient behind them, 5 to 7 times PyTorch's float32 error against
	// float64 (about 1e-5 relative instead of 2e-6), so ConvAuto takes it in training only for
	// the gradients (whose rounding stays within the bound), and for forward-only convolutions.
	ConvWinograd4
)

// ConvEnvVar names the environment variable that sets the algorithm at start-up: auto, direct,
// winograd or winograd4.
const ConvEnvVar = "ZEBRA_CONV"

func (a ConvAlgorithm) String() string {
	switch a {
	case ConvAuto:
		return "auto"
	case ConvDirect:
		return "direct"
	case ConvWinograd:
		return "winograd"
	case ConvWinograd4:
		return "winograd4"
	}
	return fmt.Sprintf("ConvAlgorithm(%d)", int32(a))
}

// ParseConvAlgorithm parses a ZEBRA_CONV value.
func ParseConvAlgorithm(s string) (ConvAlgorithm, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return ConvAuto, nil
	case "direct":
		return ConvDirect, nil
	case "winograd", "winograd2":
		return ConvWinograd, nil
	case "winograd4":
		return ConvWinograd4, nil
	}
	return ConvAuto, fmt.Errorf("%s=%q: want auto, direct, winograd or winograd4", ConvEnvVar, s)
}

var (
	convSetting atomic.Int32
	convNote    string // why ZEBRA_CONV was not honoured, or ""
)

func init() {
	if v, ok := os.LookupEnv(ConvEnvVar); ok {
		a, err := ParseConvAlgorithm(v)
		if err != nil {
			convNote = err.Error() + "; using auto"
		}
		convSetting.Store(int32(a))
	}
}

// SetConvAlgorithm sets the CPU backend's convolution algorithm for the calls that follow and
// returns the previous setting (for tests and benchmarks that compare the two; tools take it
// from ZEBRA_CONV).
func SetConvAlgorithm(a ConvAlgorithm) ConvAlgorithm {
	if a < ConvAuto || a > ConvWinograd4 {
		panic(fmt.Sprintf("tensor.SetConvAlgorithm: unknown algorithm %d", int32(a)))
	}
	return ConvAlgorithm(convSetting.Swap(int32(a)))
}

// ConvAlgorithmSetting returns the CPU backend's convolution algorithm.
func ConvAlgorithmSetting() ConvAlgorithm { return ConvAlgorithm(convSetting.Load()) }

// ConvNote explains why ZEBRA_CONV was not honoured, or returns "" when it was (or is unset).
func ConvNote() string { return convNote }
