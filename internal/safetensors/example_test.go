package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/zebra-go/zebra/internal/safetensors"
)

// Save a small state dict and load it back, as a checkpoint would.
func Example() {
	dir, err := os.MkdirTemp("", "safetensors-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	tensors := []safetensors.Tensor{
		safetensors.FromFloat32("conv.weight", []int{2, 2}, []float32{0.5, -1, 2, 0}),
		safetensors.FromFloat32("conv.bias", []int{2}, []float32{0.25, 0}),
		safetensors.FromInt64("step", []int{}, []int64{100}),
	}
	if err := safetensors.WriteFile(path, tensors, map[string]string{"format": "pt"}); err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tensors in file order:", f.Names())
	weight, shape, err := f.Float32s("conv.weight")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("conv.weight", shape, weight)
	step, _, _ := f.Int64s("step")
	fmt.Println("step", step[0], "format", f.Metadata["format"])
	// Output:
	// tensors in file order: [step conv.bias conv.weight]
	// conv.weight [2 2] [0.5 -1 2 0]
	// step 100 format pt
}
