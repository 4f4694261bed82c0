package cyclegan_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

// Training a small CycleGAN on the bundled demo data for 100 steps, saving the whole state, and
// continuing from it later. Command cyclegan (cmd/cyclegan) does the same with progress bars,
// sample images and loss plots.
func Example() {
	o := cyclegan.DefaultOptions()
	o.DataRoot = "data/demo/horse2zebra" // holds trainA (horses) and trainB (zebras)
	o.NGF, o.NDF, o.Blocks = 16, 16, 3
	o.LoadSize, o.CropSize = 72, 64
	tr, err := cyclegan.NewTrainer(o, tensor.CPU)
	if err != nil {
		log.Fatal(err)
	}
	data, err := o.TrainingData(false)
	if err != nil {
		log.Fatal(err)
	}
	err = tr.Train(context.Background(), data, 100, func(e cyclegan.Event) error {
		if e.EpochEnd {
			fmt.Printf("epoch %d: cycle losses %.3f %.3f\n", e.Epoch+1, e.Losses[2], e.Losses[6])
		}
		return nil
	})
	if err != nil && !errors.Is(err, cyclegan.ErrStopped) {
		log.Fatal(err) // for example a *cyclegan.NonFiniteLossError
	}
	if err := tr.Save("latest.safetensors"); err != nil {
		log.Fatal(err)
	}

	// Later, possibly in another process: continue bit for bit where it stopped.
	resumed, err := cyclegan.LoadTrainer("latest.safetensors", tensor.CPU)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("resuming at epoch", resumed.Epoch+1, "sample", resumed.Index)
}
