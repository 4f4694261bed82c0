package nn_test

import (
	"testing"

	"github.com/zebra-go/zebra/autograd/gradtest"
)

// TestGradients checks every layer and loss, each with respect to its input and every parameter,
// and every op they are made of: package gradtest's table (layers.go there), full Jacobian in
// float64 unless a case asks for a projection. It runs from package nn_test because gradtest
// imports nn.
func TestGradients(t *testing.T) { gradtest.Run(t, gradtest.Cases()) }
