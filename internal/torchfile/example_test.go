package torchfile_test

import (
	"fmt"
	"path/filepath"

	"github.com/zebra-go/zebra/internal/torchfile"
)

func Example() {
	f, err := torchfile.ReadFile(filepath.Join("testdata", "generator_legacy.pth"))
	if err != nil {
		fmt.Println(err)
		return
	}
	names := f.Names()
	w, shape, err := f.Float32s("model.1.weight")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(names), names[0], names[len(names)-1])
	fmt.Println(shape, len(w))
	// Output:
	// 20 model.1.weight model.19.bias
	// [4 3 7 7] 588
}
