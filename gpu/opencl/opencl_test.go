package opencl

import (
	"testing"

	"github.com/zebra-go/zebra/gpu/internal/gputest"
	"github.com/zebra-go/zebra/tensor/backendtest"
)

func TestConformance(t *testing.T) { backendtest.Run(t, openOrSkip(t)) }

func TestCycleGANStepMatchesCPU(t *testing.T) { gputest.CycleGANStepMatchesCPU(t, openOrSkip(t)) }
