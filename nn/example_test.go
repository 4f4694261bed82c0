package nn_test

import (
	"fmt"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// A tiny CycleGAN-style generator stem: reflection pad, convolution, instance norm, ReLU, a
// strided convolution down and a transposed convolution back up, then tanh. One LSGAN-style
// training signal flows back to every parameter.
func Example() {
	rng := tensor.NewRNG(1)
	model := nn.NewSequential(
		nn.NewReflectionPad2d(3),
		nn.NewConv2d(rng, 3, 8, 7, nn.Conv2dOptions{}),
		nn.NewInstanceNorm2d(8, nn.InstanceNorm2dOptions{}),
		nn.NewReLU(),
		nn.NewConv2d(rng, 8, 16, 3, nn.Conv2dOptions{Stride: 2, Padding: 1}),
		nn.NewInstanceNorm2d(16, nn.InstanceNorm2dOptions{}),
		nn.NewReLU(),
		nn.NewConvTranspose2d(rng, 16, 3, 3, nn.ConvTranspose2dOptions{Stride: 2, Padding: 1, OutputPadding: 1}),
		nn.NewTanh(),
	)
	// CycleGAN's initialization: weights N(0, 0.02²), biases 0.
	for _, p := range model.NamedParameters() {
		if p.Param.Value.NDim() == 4 {
			nn.InitNormal(p.Param.Value, rng, 0, 0.02)
		} else {
			nn.InitZeros(p.Param.Value)
		}
	}

	x := autograd.Constant(tensor.Uniform(rng, tensor.Float32, -1, 1, 1, 3, 16, 16))
	y := model.Forward(x)
	loss := nn.L1Loss(y, x, nn.ReductionMean)
	loss.Backward()

	fmt.Println("output:", y.Shape())
	fmt.Println("parameters:", nn.NumParameters(model))
	for _, p := range model.NamedParameters() {
		fmt.Println(p.Name, p.Param.Shape(), "has a gradient:", p.Param.Grad != nil)
	}
	// Output:
	// output: [1 3 16 16]
	// parameters: 2787
	// 1.weight [8 3 7 7] has a gradient: true
	// 1.bias [8] has a gradient: true
	// 4.weight [16 8 3 3] has a gradient: true
	// 4.bias [16] has a gradient: true
	// 7.weight [16 3 3 3] has a gradient: true
	// 7.bias [3] has a gradient: true
}
