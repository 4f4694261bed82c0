package opencl

import (
	"testing"

	"github.com/zebra-go/zebra/tensor/backendtest"
)

func TestConformance(t *testing.T) { backendtest.Run(t, openOrSkip(t)) }
