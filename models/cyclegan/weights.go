package cyclegan

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// A weights-only checkpoint holds networks and nothing else: no optimizer moments, no image
// pools, no schedules. It is what the official code saves each epoch (net_G_A.pth and so on) and
// what translate needs, at a fraction of the size: at the default architecture the generators
// are 2 × 11.4 M parameters, 91 MB in float32 and 46 MB in float16, and the four networks 113 MB
// in float32, where the whole training state (the networks, Adam's two moments of each of their
// parameters, up to fifty pooled images per direction) is 340 to 420 MB.
//
// The file is a checkpoint like Save's, in the same format, with
//
//	tensors   G_A.<key>, G_B.<key>, and with AllNetworks D_A.<key>, D_B.<key>
//	metadata  format "pt", zebra "cyclegan-checkpoint/1", options (JSON), epoch, index, steps,
//	          sha256, contents "generators" or "networks" (a full checkpoint says "full", or
//	          nothing if it predates the key), and the caller's own keys (such as "command")
//
// so LoadGenerator reads it as it reads a full checkpoint, and LoadTrainer refuses it by its
// contents before reading a tensor.
const contentsKey = "contents"

// Contents of a checkpoint, the values of its "contents" metadata.
const (
	contentsFull       = "full"
	contentsGenerators = "generators"
	contentsNetworks   = "networks"
)

// NetworkSet says which networks a weights-only checkpoint holds.
type NetworkSet int

const (
	// Generators is G_A and G_B: all that translate needs.
	Generators NetworkSet = iota
	// AllNetworks adds the discriminators D_A and D_B: to study them, or to start another
	// training from these weights.
	AllNetworks
)

// String returns the set's "contents" metadata: "generators" or "networks".
func (s NetworkSet) String() string {
	switch s {
	case Generators:
		return contentsGenerators
	case AllNetworks:
		return contentsNetworks
	}
	return fmt.Sprintf("NetworkSet(%d)", int(s))
}

// prefixes returns the checkpoint prefixes of the set's networks, in file order.
func (s NetworkSet) prefixes() []string {
	if s == AllNetworks {
		return []string{"G_A", "G_B", "D_A", "D_B"}
	}
	return []string{"G_A", "G_B"}
}

// WeightsDType is the element type of the tensors of a weights-only checkpoint.
type WeightsDType int

const (
	// WeightsFloat32 stores the weights as they train, exactly.
	WeightsFloat32 WeightsDType = iota
	// WeightsFloat16 halves the file. Each weight is rounded to the nearest float16 (11
	// significant bits, a relative error of at most 2^-11 = 4.9e-4), which changes a translated
	// image by far less than one of its 256 levels (see TestWeightsFloat16TranslatesAlike). A
	// weight beyond float16's range (65504) is an error, not an infinity.
	WeightsFloat16
)

// String returns "float32" or "float16".
func (d WeightsDType) String() string {
	switch d {
	case WeightsFloat32:
		return "float32"
	case WeightsFloat16:
		return "float16"
	}
	return fmt.Sprintf("WeightsDType(%d)", int(d))
}

// WeightsOptions say what a weights-only checkpoint holds. The zero value is the generators in
// float32 without metadata of the caller's.
type WeightsOptions struct {
	Networks NetworkSet
	DType    WeightsDType
	// Metadata is stored beside the file's own keys, for whoever reads the weights later: for
	// example "command", the command that trained them. Keys may not contain a "." (the file's
	// keys use it for its parts) nor be one of the file's own keys ("options", "sha256", ...).
	Metadata map[string]string
}

// reservedKeys are the metadata keys that a checkpoint writes itself.
var reservedKeys = map[string]bool{
	"format": true, formatKey: true, "options": true, digestKey: true, contentsKey: true,
	"epoch": true, "index": true, "steps": true,
}

func (w WeightsOptions) check() error {
	if w.Networks != Generators && w.Networks != AllNetworks {
		return fmt.Errorf("cyclegan: weights: networks %v: want Generators or AllNetworks", w.Networks)
	}
	if w.DType != WeightsFloat32 && w.DType != WeightsFloat16 {
		return fmt.Errorf("cyclegan: weights: dtype %v: want WeightsFloat32 or WeightsFloat16", w.DType)
	}
	for k := range w.Metadata {
		switch {
		case k == "" || strings.Contains(k, "."):
			return fmt.Errorf("cyclegan: weights: metadata key %q: want a non-empty key without a \".\"", k)
		case reservedKeys[k]:
			return fmt.Errorf("cyclegan: weights: metadata key %q is one of the checkpoint's own keys", k)
		}
	}
	return nil
}

// SaveWeights writes the trainer's networks (the generators, or all four) to path atomically, in
// a weights-only checkpoint that LoadGenerator reads and LoadTrainer refuses. The options are
// stored, so the file alone says the architecture. A weight that is not finite, or in float16
// beyond float16's range, is not saved: the error names the tensor.
func (t *Trainer) SaveWeights(path string, w WeightsOptions) error {
	networks := map[string]map[string]*tensor.Tensor{}
	for _, n := range t.namedNetworks() {
		networks[n.name] = nn.StateDict(n.module)
	}
	counters := map[string]string{
		"epoch": strconv.Itoa(t.Epoch),
		"index": strconv.Itoa(t.Index),
		"steps": strconv.Itoa(t.Steps),
	}
	return writeWeights(path, t.Opts, counters, networks, w)
}

// ExportWeights writes the networks of the checkpoint at src (a full one or a weights-only one)
// to dst as a weights-only checkpoint, as SaveWeights would have written them, without building
// a trainer. The epoch, index and steps of src, and the metadata of the caller's that src holds
// (such as "command"), are carried over; w.Metadata adds to them and wins over them. The networks
// are checked against src's options, and their data against its digests unless SkipChecksum.
func (r CheckpointReader) ExportWeights(src, dst string, w WeightsOptions) error {
	if err := w.check(); err != nil {
		return err
	}
	wanted := w.Networks.prefixes()
	c, err := readCheckpoint(src, budgetOrDefault(r.MaxMemory), r.SkipChecksum, func(_ map[string]string, prefix string) bool {
		return slices.Contains(wanted, prefix)
	})
	if err != nil {
		return err
	}
	o, err := c.options()
	if err != nil {
		return err
	}
	if err := o.Check(); err != nil {
		return fmt.Errorf("cyclegan: checkpoint %s: %w", src, err)
	}
	if w.Networks == AllNetworks && c.top[contentsKey] == contentsGenerators {
		return fmt.Errorf("cyclegan: %s is a generators-only checkpoint: it has no discriminators to export", src)
	}
	shapes := map[string][]paramShape{
		"G_A": generatorShapes(o.NGF, o.Blocks), "G_B": generatorShapes(o.NGF, o.Blocks),
		"D_A": discriminatorShapes(o.NDF, o.DLayers), "D_B": discriminatorShapes(o.NDF, o.DLayers),
	}
	for _, prefix := range wanted {
		if err := checkShapes(shapes[prefix], c.tensors[prefix]); err != nil {
			return fmt.Errorf("cyclegan: checkpoint %s: network %s: %w", src, prefix, err)
		}
	}
	counters := map[string]string{}
	for _, k := range []string{"epoch", "index", "steps"} {
		if v, ok := c.top[k]; ok {
			counters[k] = v
		}
	}
	carried := map[string]string{}
	for k, v := range c.top {
		if !reservedKeys[k] {
			carried[k] = v
		}
	}
	maps.Copy(carried, w.Metadata)
	w.Metadata = carried
	return writeWeights(dst, o, counters, c.tensors, w)
}

// writeWeights writes the networks that w names, with the options and counters, as a
// weights-only checkpoint at path.
func writeWeights(path string, o Options, counters map[string]string, networks map[string]map[string]*tensor.Tensor, w WeightsOptions) error {
	if err := w.check(); err != nil {
		return err
	}
	optsJSON, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("cyclegan: checkpoint options: %w", err)
	}
	meta := map[string]string{}
	maps.Copy(meta, w.Metadata)
	maps.Copy(meta, counters)
	meta["format"] = "pt"
	meta[formatKey] = checkpointFormat
	meta["options"] = string(optsJSON)
	meta[contentsKey] = w.Networks.String()
	var tensors []safetensors.Tensor
	for _, prefix := range w.Networks.prefixes() {
		sd := networks[prefix]
		for _, k := range slices.Sorted(maps.Keys(sd)) {
			st, err := weightTensor(prefix+"."+k, sd[k], w.DType)
			if err != nil {
				return fmt.Errorf("cyclegan: not saving weights %s: %w", path, err)
			}
			tensors = append(tensors, st)
		}
	}
	meta[digestKey] = safetensors.Digests(tensors)
	if err := safetensors.WriteFile(path, tensors, meta); err != nil {
		return fmt.Errorf("cyclegan: saving weights: %w", err)
	}
	return nil
}

// weightTensor copies t to the host in dtype d, refusing a NaN or an infinity, and in float16 a
// value that would overflow it.
func weightTensor(name string, t *tensor.Tensor, d WeightsDType) (safetensors.Tensor, error) {
	if d == WeightsFloat32 {
		data := t.Float32s() // a float64 tensor (read from an F64 file) rounds once, to nearest
		if i, v := firstNonFinite(data); i >= 0 {
			return safetensors.Tensor{}, fmt.Errorf("tensor %q holds %g at element %d", name, v, i)
		}
		return safetensors.FromFloat32(name, t.Shape(), data), nil
	}
	// Float64s is exact for a float32 tensor, and lets a float64 one round once, to float16.
	data := t.Float64s()
	if i, v := firstNonFinite(data); i >= 0 {
		return safetensors.Tensor{}, fmt.Errorf("tensor %q holds %g at element %d", name, v, i)
	}
	return safetensors.FromFloat64AsF16(name, t.Shape(), data)
}

// weightsOnly returns the contents of a weights-only checkpoint ("generators" or "networks")
// from its metadata without a prefix, or "" for a full checkpoint.
func weightsOnly(top map[string]string) string {
	if c := top[contentsKey]; c == contentsGenerators || c == contentsNetworks {
		return c
	}
	return ""
}

// Contents returns what the checkpoint at path holds, reading only its header: "full" (a whole
// training state, which LoadTrainer resumes), "generators" or "networks" (weights only, which
// LoadGenerator reads). A file without the key, from before weights-only checkpoints or a bare
// state dict, reads as "full"; whether it really is one, LoadTrainer checks.
func Contents(path string) (string, error) {
	meta, err := safetensors.ReadMetadata(path)
	if err != nil {
		return "", err
	}
	if c := weightsOnly(meta); c != "" {
		return c, nil
	}
	return contentsFull, nil
}
