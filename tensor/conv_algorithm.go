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
	// ConvAuto lets the planner choose per layer by shape: Winograd for the float32 3×3
	// stride-1 convolutions where it measured faster, direct implicit-GEMM for the rest.
	ConvAuto ConvAlgorithm = iota
	// ConvDirect always runs the direct implicit-GEMM path (the im2col columns formed inside
	// the GEMM).
	ConvDirect
	// ConvWinograd runs Winograd's F(4×4, 3×3) for every pass that it can compute (float32,
	// 3×3, stride 1, dilation 1, padding at most 2), whatever its shape, and direct for the rest.
	ConvWinograd
)

// ConvEnvVar names the environment variable that sets the algorithm at start-up: auto, direct
// or winograd.
const ConvEnvVar = "ZEBRA_CONV"

func (a ConvAlgorithm) String() string {
	switch a {
	case ConvAuto:
		return "auto"
	case ConvDirect:
		return "direct"
	case ConvWinograd:
		return "winograd"
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
	case "winograd":
		return ConvWinograd, nil
	}
	return ConvAuto, fmt.Errorf("%s=%q: want auto, direct or winograd", ConvEnvVar, s)
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
	if a < ConvAuto || a > ConvWinograd {
		panic(fmt.Sprintf("tensor.SetConvAlgorithm: unknown algorithm %d", int32(a)))
	}
	return ConvAlgorithm(convSetting.Swap(int32(a)))
}

// ConvAlgorithmSetting returns the CPU backend's convolution algorithm.
func ConvAlgorithmSetting() ConvAlgorithm { return ConvAlgorithm(convSetting.Load()) }

// ConvNote explains why ZEBRA_CONV was not honoured, or returns "" when it was (or is unset).
func ConvNote() string { return convNote }
