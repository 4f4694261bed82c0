package cyclegan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// The official networks' state dicts (models/networks.py of junyanz/pytorch-CycleGAN-and-pix2pix)
// carry no sizes: ngf, the block count, ndf and the discriminator's layers are read from the
// tensors' shapes, and the buffers of old checkpoints are dropped as the official loader drops
// them.

// generatorSize reads ngf and the residual block count of a bare ResnetGenerator state dict from
// its keys and shapes: model.1.weight is [ngf, 3, 7, 7], and each block has keys
// model.<10+i>.conv_block.*.
func generatorSize(path string, sd map[string]*tensor.Tensor) (ngf, blocks int, err error) {
	first, ok := sd["model.1.weight"]
	if !ok {
		return 0, 0, fmt.Errorf("cyclegan: %s is neither a zebra checkpoint nor a ResnetGenerator state_dict (no model.1.weight)", path)
	}
	if first.NDim() != 4 || first.Dim(0) < 1 || first.Dim(0) > MaxFilters || first.Dim(1) != 3 {
		return 0, 0, fmt.Errorf("cyclegan: %s: model.1.weight has shape %v, want [ngf, 3, 7, 7] with 1 ≤ ngf ≤ %d", path, first.Shape(), MaxFilters)
	}
	seen := map[string]bool{}
	for k := range sd {
		if i := strings.Index(k, ".conv_block."); i > 0 {
			seen[k[:i]] = true
		}
	}
	if blocks = len(seen); blocks > MaxBlocks {
		return 0, 0, fmt.Errorf("cyclegan: %s: %d residual blocks, want at most %d", path, blocks, MaxBlocks)
	}
	return first.Dim(0), blocks, nil
}

// discriminatorSize reads ndf and the layer count of a bare NLayerDiscriminator state dict:
// model.0.weight is [ndf, 3, 4, 4], and the network has layers + 2 convolutions.
func discriminatorSize(path string, sd map[string]*tensor.Tensor) (ndf, layers int, err error) {
	first, ok := sd["model.0.weight"]
	if !ok {
		return 0, 0, fmt.Errorf("cyclegan: %s is neither a zebra checkpoint nor an NLayerDiscriminator state_dict (no model.0.weight)", path)
	}
	if first.NDim() != 4 || first.Dim(0) < 1 || first.Dim(0) > MaxFilters || first.Dim(1) != 3 {
		return 0, 0, fmt.Errorf("cyclegan: %s: model.0.weight has shape %v, want [ndf, 3, 4, 4] with 1 ≤ ndf ≤ %d", path, first.Shape(), MaxFilters)
	}
	convs := 0
	for k, t := range sd {
		if strings.HasSuffix(k, ".weight") && t.NDim() == 4 {
			convs++
		}
	}
	// MinImageSize is 0 for a discriminator too deep for any image this package takes.
	if layers = convs - 2; layers < 1 || MinImageSize(layers) == 0 {
		return 0, 0, fmt.Errorf("cyclegan: %s: %d convolutions, want 3 or more, and few enough for images of at most %d pixels", path, convs, MaxImageSize)
	}
	return first.Dim(0), layers, nil
}

// instanceNormBuffers are the buffers that PyTorch before 0.4 kept in every InstanceNorm2d
// (running_mean, running_var), and 0.4 on in one with track_running_stats
// (num_batches_tracked too). The official networks use InstanceNorm2d without running
// statistics, so the official loader drops them, and so do we.
var instanceNormBuffers = []string{"running_mean", "running_var", "num_batches_tracked"}

// dropInstanceNormBuffers deletes from sd the buffers of the network's InstanceNorm layers. In
// both official networks an InstanceNorm directly follows a convolution (model.4 is followed by
// the norm model.5, model.10.conv_block.1 by model.10.conv_block.2), except after the last
// convolution and, in the discriminator (skipFirst), after the first. Only those keys are
// dropped: a running_mean anywhere else is reported as unexpected.
func dropInstanceNormBuffers(sd map[string]*tensor.Tensor, shapes []paramShape, skipFirst bool) {
	var convs []string
	for _, p := range shapes {
		if layer, ok := strings.CutSuffix(p.key, ".weight"); ok {
			convs = append(convs, layer)
		}
	}
	if skipFirst && len(convs) > 0 {
		convs = convs[1:]
	}
	if len(convs) > 0 {
		convs = convs[:len(convs)-1]
	}
	for _, conv := range convs {
		i := strings.LastIndex(conv, ".")
		n, err := strconv.Atoi(conv[i+1:])
		if err != nil {
			panic(fmt.Sprintf("cyclegan: layer %q does not end in its index", conv))
		}
		norm := conv[:i+1] + strconv.Itoa(n+1)
		for _, b := range instanceNormBuffers {
			delete(sd, norm+"."+b)
		}
	}
}

// LoadDiscriminator is CheckpointReader{}.LoadDiscriminator: it loads with the default limits.
func LoadDiscriminator(path string, d Direction, b tensor.Backend) (*NLayerDiscriminator, error) {
	return CheckpointReader{}.LoadDiscriminator(path, d, b)
}

// LoadDiscriminator reads a discriminator onto backend b: D_A (for d = AtoB: it judges G_A's
// outputs) or D_B from a zebra checkpoint holding the four networks, or a bare
// NLayerDiscriminator state_dict such as the official latest_net_D_A.pth (torch.save's zip or
// legacy format, or safetensors), whose ndf and layer count are read from the shapes. As in
// LoadGenerator, old InstanceNorm buffers are dropped and every other difference from the
// network's keys and shapes is an error listing them, naming the file.
func (r CheckpointReader) LoadDiscriminator(path string, d Direction, b tensor.Backend) (*NLayerDiscriminator, error) {
	prefix := map[Direction]string{AtoB: "D_A", BtoA: "D_B"}[d]
	if prefix == "" {
		return nil, fmt.Errorf("cyclegan: direction %q: want %s or %s", d, AtoB, BtoA)
	}
	sd, o, err := r.networkStateDict(path, prefix)
	if err != nil {
		return nil, err
	}
	var ndf, layers int
	if o != nil {
		ndf, layers = o.NDF, o.DLayers
	} else {
		if ndf, layers, err = discriminatorSize(path, sd); err != nil {
			return nil, err
		}
		dropInstanceNormBuffers(sd, discriminatorShapes(ndf, layers), true)
	}
	what := fmt.Sprintf("discriminator %s (ndf %d, %d layers)", prefix, ndf, layers)
	if o == nil {
		what = fmt.Sprintf("an NLayerDiscriminator state dict (ndf %d, %d layers)", ndf, layers)
	}
	if err := r.checkNetwork(path, what, discriminatorShapes(ndf, layers), sd); err != nil {
		return nil, err
	}
	dis := NewNLayerDiscriminator(tensor.NewRNG(0), ndf, layers) // the strict load below sets every weight
	if err := nn.LoadStateDict(dis, sd, true); err != nil {
		return nil, fmt.Errorf("cyclegan: %s: discriminator %s: %w", path, prefix, err)
	}
	nn.To(dis, b)
	return dis, nil
}
