package autograd_test

import (
	"testing"

	"github.com/zebra-go/zebra/autograd/gradtest"
)

// TestGradients checks every differentiable op and layer of package gradtest's table against
// central differences, full Jacobian, in float64 (go run ./cmd/zebra-gradcheck prints the same table).
// Inputs are drawn away from the points where an op has no derivative (ReLU's kink, ties in a max),
// since a finite difference straddling a kink measures the average of two slopes; the behaviour at
// those points is tested against PyTorch in edge_test.go.
func TestGradients(t *testing.T) { gradtest.Run(t, gradtest.Cases()) }
