package opencl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensor/backendtest"
)

func TestConformance(t *testing.T) {
	dev := openOrSkip(t)
	if !dev.Device.FP64 {
		backendtest.Run(t, dev, backendtest.NoFloat64())
		return
	}
	backendtest.Run(t, dev)
}

// TestTwoDevicesPanic: an operation on tensors of two devices panics naming both, and a kernel
// given another device's storage names the device it came from.
func TestTwoDevicesPanic(t *testing.T) {
	dev := openOrSkip(t)
	x := tensor.Ones(tensor.Float32, 3)
	expectPanic(t, []string{"cpu", "opencl:0"}, func() { tensor.Add(x, x.To(dev)) })
	expectPanic(t, []string{"opencl:0", "cpu"}, func() { dev.Fill(x.Storage(), 1) })
}

func expectPanic(t *testing.T, words []string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		msg := fmt.Sprint(recover())
		for _, w := range words {
			if !strings.Contains(msg, w) {
				t.Errorf("panic %q does not name %s", msg, w)
			}
		}
	}()
	f()
}
