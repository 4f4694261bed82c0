package cyclegan

import "github.com/zebra-go/zebra/internal/safetensors"

// HoldsBothGenerators reports, from the file's header alone, whether the file at path is a
// checkpoint written by Trainer.Save or Trainer.SaveWeights, which holds G_A and G_B: one
// generator for each Direction. A bare ResnetGenerator state dict (in safetensors or a .pth
// file) holds one generator and does not say which way it translates; LoadGenerator reads that
// one whatever direction it is asked for. A file that cannot be read as safetensors reports
// false; LoadGenerator says what is wrong with it.
func HoldsBothGenerators(path string) bool {
	meta, err := safetensors.ReadMetadata(path)
	if err != nil {
		return false
	}
	_, zebra := meta[formatKey]
	return zebra
}
