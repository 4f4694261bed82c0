package tensorfile_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/zebra-go/zebra/tensor"
	"github.com/zebra-go/zebra/tensorfile"
)

// Open reads a PyTorch state dict (here a small CycleGAN generator saved by torch.save) and
// Write stores some of its tensors as safetensors.
func Example() {
	f, err := tensorfile.Open(filepath.Join("..", "internal", "torchfile", "testdata", "generator_legacy.pth"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Format(), len(f.Names()), "tensors, the first", f.Names()[0])
	w, err := f.Tensor("model.1.weight")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.DType(), w.Shape())

	dir, err := os.MkdirTemp("", "tensorfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "first.safetensors")
	if err := tensorfile.Write(out, map[string]*tensor.Tensor{"model.1.weight": w}, map[string]string{"format": "pt"}); err != nil {
		log.Fatal(err)
	}
	g, err := tensorfile.Open(out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Format(), g.Names(), g.Metadata())
	// Output:
	// torch 20 tensors, the first model.1.weight
	// float32 [4 3 7 7]
	// safetensors [model.1.weight] map[format:pt]
}
