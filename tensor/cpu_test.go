package tensor_test

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensor/backendtest"
)

// TestCPUConformance runs the conformance suite on the CPU backend. It compares the CPU with
// itself, so it mostly proves that the suite runs; the CPU kernels are checked against
// independent references in reference_test.go and against PyTorch in golden_test.go.
func TestCPUConformance(t *testing.T) { backendtest.Run(t, tensor.CPU) }
