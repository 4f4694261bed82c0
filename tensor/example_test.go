package tensor_test

import (
	"fmt"

	"github.com/zebra-go/zebra/tensor"
)

// Broadcasting follows NumPy: shapes align at the right, and dimensions of size 1 stretch.
func ExampleAdd() {
	col := tensor.FromFloat32([]float32{0, 10}, 2, 1)
	row := tensor.FromFloat32([]float32{1, 2, 3}, 3)
	fmt.Println(tensor.Add(col, row))
	// Output:
	// tensor([[ 1.,  2.,  3.],
	//         [11., 12., 13.]])
}

// Reductions take any set of axes; keepdim keeps them as size 1 so that the result broadcasts
// back against the input.
func ExampleSum() {
	x := tensor.Reshape(tensor.Arange(tensor.Float64, 0, 6, 1), 2, 3)
	fmt.Println(tensor.Sum(x, []int{1}, false))
	fmt.Println(tensor.Sum(x, []int{0}, true))
	fmt.Println(tensor.Sub(x, tensor.Mean(x, []int{1}, true)))
	// Output:
	// tensor([ 3., 12.], dtype=float64)
	// tensor([[3., 5., 7.]], dtype=float64)
	// tensor([[-1.,  0.,  1.],
	//         [-1.,  0.,  1.]], dtype=float64)
}

// Reshape infers one dimension given as -1 and shares storage; Permute copies.
func ExampleReshape() {
	x := tensor.Arange(tensor.Float32, 0, 12, 1)
	y := tensor.Reshape(x, -1, 4)
	fmt.Println(y.Shape(), tensor.Permute(y, 1, 0).Shape())
	// Output:
	// [3 4] [4 3]
}

// A convolution is Im2col followed by one GEMM with the weight, shared across the batch.
func ExampleIm2col() {
	x := tensor.Reshape(tensor.Arange(tensor.Float32, 1, 10, 1), 1, 1, 3, 3)
	g := tensor.NewConvGeom(1, 1, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1) // 2×2 kernel, 2×2 output
	w := tensor.Ones(tensor.Float32, 1, 4)                      // one output channel summing each window
	y := tensor.Matmul(w, tensor.Im2col(x, g))
	fmt.Println(tensor.Reshape(y, 1, 1, g.OH, g.OW))
	// Output:
	// tensor([[[[12., 16.],
	//           [24., 28.]]]])
}

// Random tensors come from an explicit, seeded generator whose state can be saved and restored.
func ExampleNewRNG() {
	rng := tensor.NewRNG(42)
	state, _ := rng.MarshalBinary()
	a := tensor.Uniform(rng, tensor.Float32, 0, 1, 3)
	_ = rng.UnmarshalBinary(state)
	b := tensor.Uniform(rng, tensor.Float32, 0, 1, 3)
	fmt.Println(tensor.Equal(a, b))
	// Output:
	// tensor([1., 1., 1.])
}
