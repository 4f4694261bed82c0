package gpu_test

import (
	"errors"
	"fmt"

	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/tensor"
)

// Open a GPU if the machine has one and fall back to the CPU otherwise, then compute there. The
// tensors are created on the CPU and moved with To; results come back the same way.
func ExampleOpen() {
	dev, err := gpu.Open("cuda:0")
	if errors.Is(err, gpu.ErrUnavailable) {
		dev, err = gpu.Open("opencl:0")
	}
	if errors.Is(err, gpu.ErrUnavailable) {
		fmt.Println("no GPU:", err) // the error lists every library path that was tried
		dev = tensor.CPU
	} else if err != nil {
		panic(err)
	}
	x := tensor.Uniform(tensor.NewRNG(1), tensor.Float32, -1, 1, 64, 32).To(dev)
	w := tensor.Uniform(tensor.NewRNG(2), tensor.Float32, -1, 1, 32, 8).To(dev)
	y := tensor.Relu(tensor.Matmul(x, w))
	fmt.Println(dev.Name(), y.Shape(), y.To(tensor.CPU).Float32s()[:4])
}
