package cyclegan

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/internal/torchfile"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// A checkpoint is one safetensors file holding the whole training state, so that a resumed run
// continues bit for bit and translate needs no architecture flags:
//
//	tensors   G_A.<key>, G_B.<key>, D_A.<key>, D_B.<key>   the networks (official state_dict keys)
//	          optimizer_G.state.<i>.{step,exp_avg,exp_avg_sq}, optimizer_D.…   the Adam states
//	          pool_fake_A.<i>, pool_fake_B.<i>              the image pools
//	metadata  format "pt", zebra "cyclegan-checkpoint/1", options (JSON), epoch, index, steps,
//	          contents "full" (weights.go describes the weights-only checkpoints),
//	          optimizer_G.<key>, scheduler_G.<key>, pool_fake_A.<key> (and the same for D, B),
//	          sha256 (JSON: tensor name -> SHA-256 of its data, see safetensors.Digests)
//
// The options record the run's world size (world_size, omitted for one process): a data-parallel
// run saves once, from rank 0, the state that every rank holds, and resumes on any number of
// ranks that divides its global batch (Trainer.SetWorldSize).
//
// PyTorch users can read it with safetensors.torch.load_file; the G_A.* tensors are a
// state_dict of the official ResnetGenerator.
const (
	checkpointFormat = "cyclegan-checkpoint/1"
	formatKey        = "zebra"
	digestKey        = "sha256"
)

// part is the state of one component (an optimizer, a schedule, a pool) under its prefix.
type part struct {
	prefix  string
	tensors map[string]*tensor.Tensor
	meta    map[string]string
}

// Save writes the trainer's whole state to path atomically (a temporary file renamed into place):
// a crash leaves the previous checkpoint intact. A state holding a NaN or an infinity is not
// saved: the error names the tensor, and path keeps the last good checkpoint.
func (t *Trainer) Save(path string) error {
	optsJSON, err := json.Marshal(t.Opts)
	if err != nil {
		return fmt.Errorf("cyclegan: checkpoint options: %w", err)
	}
	meta := map[string]string{
		"format":  "pt",
		formatKey: checkpointFormat,
		"options": string(optsJSON),
		"epoch":   strconv.Itoa(t.Epoch),
		"index":   strconv.Itoa(t.Index),
		"steps":   strconv.Itoa(t.Steps),
	}
	meta[contentsKey] = contentsFull
	var parts []part
	for _, n := range t.namedNetworks() {
		parts = append(parts, part{prefix: n.name, tensors: nn.StateDict(n.module)})
	}
	tg, mg := t.OptG.State()
	td, md := t.OptD.State()
	tpa, mpa := t.PoolFakeA.State()
	tpb, mpb := t.PoolFakeB.State()
	parts = append(parts,
		part{"optimizer_G", tg, mg}, part{"optimizer_D", td, md},
		part{"scheduler_G", nil, t.SchedG.State()}, part{"scheduler_D", nil, t.SchedD.State()},
		part{"pool_fake_A", tpa, mpa}, part{"pool_fake_B", tpb, mpb},
	)
	var tensors []safetensors.Tensor
	for _, p := range parts {
		for _, k := range slices.Sorted(maps.Keys(p.tensors)) {
			st, err := toSafetensors(p.prefix+"."+k, p.tensors[k])
			if err != nil {
				return fmt.Errorf("cyclegan: not saving checkpoint %s: %w", path, err)
			}
			tensors = append(tensors, st)
		}
		for k, v := range p.meta {
			meta[p.prefix+"."+k] = v
		}
	}
	meta[digestKey] = safetensors.Digests(tensors)
	if err := safetensors.WriteFile(path, tensors, meta); err != nil {
		return fmt.Errorf("cyclegan: saving checkpoint: %w", err)
	}
	return nil
}

type namedNetwork struct {
	name   string
	module nn.Module
}

// namedNetworks lists the networks under their checkpoint prefixes, in a fixed order so that a
// state gives the same file bytes every time.
func (t *Trainer) namedNetworks() []namedNetwork {
	return []namedNetwork{{"G_A", t.GA}, {"G_B", t.GB}, {"D_A", t.DA}, {"D_B", t.DB}}
}

// toSafetensors copies t to the host for saving, refusing a NaN or an infinity.
func toSafetensors(name string, t *tensor.Tensor) (safetensors.Tensor, error) {
	if t.DType() == tensor.Float64 {
		data := t.Float64s()
		if i, v := firstNonFinite(data); i >= 0 {
			return safetensors.Tensor{}, fmt.Errorf("tensor %q holds %g at element %d", name, v, i)
		}
		return safetensors.FromFloat64(name, t.Shape(), data), nil
	}
	data := t.Float32s()
	if i, v := firstNonFinite(data); i >= 0 {
		return safetensors.Tensor{}, fmt.Errorf("tensor %q holds %g at element %d", name, v, i)
	}
	return safetensors.FromFloat32(name, t.Shape(), data), nil
}

// checkpointFile is a decoded checkpoint, split by prefix.
type checkpointFile struct {
	path    string
	tensors map[string]map[string]*tensor.Tensor // prefix -> key -> tensor
	meta    map[string]map[string]string
	top     map[string]string // metadata without a prefix
}

// readCheckpoint decodes the checkpoint at path, converting the tensors of the prefixes for which
// want (given the metadata without a prefix) is true, or all of them when want is nil: translate
// needs one generator, not the ~420 MB of a whole 256x256 training state.
//
// Unless skipChecksum is set, the data of those tensors is compared with the SHA-256 digests in the
// metadata first. Checkpoints written before the digests existed, and state dicts written by
// other tools, have none: they load unchecked, as they always did.
func readCheckpoint(path string, budget int64, skipChecksum bool, want func(top map[string]string, prefix string) bool) (*checkpointFile, error) {
	// The file is read whole (and its tensors then copied), so its size counts against the budget
	// before anything is read.
	if info, err := os.Stat(path); err == nil && info.Size() > budget {
		return nil, budgetError(fmt.Sprintf("reading checkpoint %s (%d bytes)", path, info.Size()), info.Size(), budget)
	}
	f, metadata, err := openTensorFile(path)
	if err != nil {
		return nil, err
	}
	c := &checkpointFile{path: path, tensors: map[string]map[string]*tensor.Tensor{}, meta: map[string]map[string]string{}, top: map[string]string{}}
	for k, v := range metadata {
		prefix, key, ok := strings.Cut(k, ".")
		if !ok {
			c.top[k] = v
			continue
		}
		if c.meta[prefix] == nil {
			c.meta[prefix] = map[string]string{}
		}
		c.meta[prefix][key] = v
	}
	if digests, ok := c.top[digestKey]; ok && !skipChecksum {
		wanted := func(name string) bool {
			prefix, _, _ := strings.Cut(name, ".")
			return want == nil || want(c.top, prefix)
		}
		if err := f.(*safetensors.File).CheckDigests(digests, wanted); err != nil {
			return nil, fmt.Errorf("cyclegan: checkpoint %s: %w", path, err)
		}
	}
	_, torch := f.(*torchfile.File)
	for _, name := range f.Names() {
		st, _ := f.Tensor(name)
		prefix, key, _ := strings.Cut(name, ".")
		if want != nil && !want(c.top, prefix) {
			continue
		}
		// Every tensor of a checkpoint (weights, moments, pooled images, step counts) is a
		// finite number: a NaN would train on silently, or turn every translation black.
		var t *tensor.Tensor
		bad, value := -1, 0.0
		switch {
		case st.DType == safetensors.F64:
			data, shape, err := f.Float64s(name)
			if err != nil {
				return nil, fmt.Errorf("cyclegan: checkpoint %s: %w", path, err)
			}
			bad, value = firstNonFinite(data)
			t = tensor.FromFloat64(data, shape...)
		case torch && !isFloat(st.DType):
			// A PyTorch state dict's integer tensors are buffers, such as the
			// num_batches_tracked of the InstanceNorm layers of old checkpoints: they are
			// read as float64 only so that the loaders can drop them or report them as
			// unexpected keys, as load_state_dict does. They never become weights.
			data, shape, err := f.(*torchfile.File).Int64s(name)
			if err != nil {
				return nil, fmt.Errorf("cyclegan: checkpoint %s: %w", path, err)
			}
			floats := make([]float64, len(data))
			for i, v := range data {
				floats[i] = float64(v)
			}
			t = tensor.FromFloat64(floats, shape...)
		default:
			data, shape, err := f.Float32s(name)
			if err != nil {
				return nil, fmt.Errorf("cyclegan: checkpoint %s: tensor %q: %w", path, name, err)
			}
			bad, value = firstNonFinite(data)
			t = tensor.FromFloat32(data, shape...)
		}
		if bad >= 0 {
			return nil, fmt.Errorf("cyclegan: checkpoint %s: tensor %q holds %g at element %d, want finite numbers", path, name, value, bad)
		}
		if c.tensors[prefix] == nil {
			c.tensors[prefix] = map[string]*tensor.Tensor{}
		}
		c.tensors[prefix][key] = t
	}
	return c, nil
}

// tensorFile is what safetensors and torchfile files have in common.
type tensorFile interface {
	Names() []string
	Tensor(name string) (safetensors.Tensor, bool)
	Float32s(name string) ([]float32, []int, error)
	Float64s(name string) ([]float64, []int, error)
}

// openTensorFile reads the safetensors or torch.save file at path, told apart by its first
// bytes (a .pth file has no metadata).
func openTensorFile(path string) (tensorFile, map[string]string, error) {
	if isTorchFile(path) {
		f, err := torchfile.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("cyclegan: reading checkpoint: %w", err)
		}
		return f, nil, nil
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("cyclegan: reading checkpoint: %w", err)
	}
	return f, f.Metadata, nil
}

// isTorchFile reports whether the file at path starts like torch.save's output. A file that
// cannot be read is left to the safetensors reader, whose error names the problem.
func isTorchFile(path string) bool {
	fd, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fd.Close()
	prefix := make([]byte, torchfile.SniffLen)
	n, _ := io.ReadFull(fd, prefix)
	return torchfile.IsTorchFile(prefix[:n])
}

func isFloat(d safetensors.DType) bool {
	return d == safetensors.F64 || d == safetensors.F32 || d == safetensors.F16 || d == safetensors.BF16
}

// options returns the options stored in a zebra checkpoint.
func (c *checkpointFile) options() (Options, error) {
	if c.top[formatKey] != checkpointFormat {
		return Options{}, fmt.Errorf("cyclegan: %s is not a zebra CycleGAN checkpoint (metadata %q is %q, want %q)", c.path, formatKey, c.top[formatKey], checkpointFormat)
	}
	var o Options
	if err := json.Unmarshal([]byte(c.top["options"]), &o); err != nil {
		return Options{}, fmt.Errorf("cyclegan: checkpoint %s: options: %w", c.path, err)
	}
	return o, nil
}

func (c *checkpointFile) int(key string) (int, error) {
	n, err := strconv.Atoi(c.top[key])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("cyclegan: checkpoint %s: metadata %q is %q, want a count", c.path, key, c.top[key])
	}
	return n, nil
}

// CheckpointReader loads checkpoints within limits. Its zero value applies the defaults.
type CheckpointReader struct {
	// MaxMemory bounds, in bytes, the file (which is read whole) and the networks that its options
	// or shapes describe, estimated before anything is allocated (0: DefaultMaxMemory). For a
	// trainer it becomes the Options.MaxMemory of the run.
	MaxMemory int64
	// SkipChecksum skips the comparison of the tensors' data with the SHA-256 digests that Save
	// records, which reads the data once more (about a second per GB): for huge files, or to
	// salvage a damaged one.
	SkipChecksum bool
}

// LoadTrainer is CheckpointReader{}.LoadTrainer: it loads with the default limits.
func LoadTrainer(path string, b tensor.Backend) (*Trainer, error) {
	return CheckpointReader{}.LoadTrainer(path, b)
}

// LoadGenerator is CheckpointReader{}.LoadGenerator: it loads with the default limits.
func LoadGenerator(path string, d Direction, b tensor.Backend) (*ResnetGenerator, error) {
	return CheckpointReader{}.LoadGenerator(path, d, b)
}

// LoadTrainer restores a trainer saved by Save onto backend b, ready to continue training exactly
// where it stopped. The options come from the checkpoint; only DataRoot may be changed by the
// caller afterwards (it affects nothing saved). The options' memory estimate and the networks'
// keys and shapes are checked before any network is built.
func (r CheckpointReader) LoadTrainer(path string, b tensor.Backend) (*Trainer, error) {
	budget := budgetOrDefault(r.MaxMemory)
	// A weights-only checkpoint is refused from its metadata, before any tensor is checked or
	// converted.
	c, err := readCheckpoint(path, budget, r.SkipChecksum, func(top map[string]string, _ string) bool {
		return weightsOnly(top) == ""
	})
	if err != nil {
		return nil, err
	}
	if what := weightsOnly(c.top); what != "" {
		return nil, fmt.Errorf("cyclegan: %s is a %s-only checkpoint: it cannot resume training; it holds %s, without the optimizers' moments or the image pools: resume from a full checkpoint (written by Trainer.Save, such as a run's latest.safetensors), or translate with this one",
			path, what, map[string]string{contentsGenerators: "the weights of G_A and G_B only", contentsNetworks: "the weights of the four networks"}[what])
	}
	o, err := c.options()
	if err != nil {
		return nil, err
	}
	o.MaxMemory = budget
	// Compatibility: the options of checkpoints written before batches and per-sample
	// randomness have no sampling (NewTrainer writes it into every new run's options) and no
	// batch_size (read as 1). Their runs keep the sequential scheme they began with, so that
	// they continue exactly as they would have.
	if o.Sampling == "" {
		o.Sampling = SamplingSequential
	}
	if err := o.Check(); err != nil {
		return nil, fmt.Errorf("cyclegan: checkpoint %s: %w", path, err)
	}
	if err := o.checkMemory(); err != nil {
		return nil, fmt.Errorf("cyclegan: checkpoint %s: %w", path, err)
	}
	for _, n := range []struct {
		name   string
		params []paramShape
	}{
		{"G_A", generatorShapes(o.NGF, o.Blocks)}, {"G_B", generatorShapes(o.NGF, o.Blocks)},
		{"D_A", discriminatorShapes(o.NDF, o.DLayers)}, {"D_B", discriminatorShapes(o.NDF, o.DLayers)},
	} {
		if err := checkShapes(n.params, c.tensors[n.name]); err != nil {
			return nil, fmt.Errorf("cyclegan: checkpoint %s: network %s: %w", path, n.name, err)
		}
	}
	// Adam divides by the square root of exp_avg_sq, an average of squares: a negative one gives
	// NaN weights at the first step.
	for _, opt := range []string{"optimizer_G", "optimizer_D"} {
		for _, k := range slices.Sorted(maps.Keys(c.tensors[opt])) {
			if !strings.HasSuffix(k, ".exp_avg_sq") {
				continue
			}
			for i, v := range c.tensors[opt][k].Float64s() {
				if v < 0 {
					return nil, fmt.Errorf("cyclegan: checkpoint %s: tensor %q holds %g at element %d, want an average of squares (≥ 0)", path, opt+"."+k, v, i)
				}
			}
		}
	}
	t, err := NewTrainer(o, b)
	if err != nil {
		return nil, fmt.Errorf("cyclegan: checkpoint %s: %w", path, err)
	}
	for _, n := range t.namedNetworks() {
		if err := nn.LoadStateDict(n.module, c.tensors[n.name], true); err != nil {
			return nil, fmt.Errorf("cyclegan: checkpoint %s: network %s: %w", path, n.name, err)
		}
	}
	for _, s := range []struct {
		name string
		load func(map[string]*tensor.Tensor, map[string]string) error
	}{
		{"optimizer_G", t.OptG.LoadState},
		{"optimizer_D", t.OptD.LoadState},
		{"scheduler_G", func(_ map[string]*tensor.Tensor, m map[string]string) error { return t.SchedG.LoadState(m) }},
		{"scheduler_D", func(_ map[string]*tensor.Tensor, m map[string]string) error { return t.SchedD.LoadState(m) }},
		{"pool_fake_A", t.PoolFakeA.LoadState},
		{"pool_fake_B", t.PoolFakeB.LoadState},
	} {
		tensors := c.tensors[s.name]
		if tensors == nil {
			tensors = map[string]*tensor.Tensor{}
		}
		if err := s.load(tensors, c.meta[s.name]); err != nil {
			return nil, fmt.Errorf("cyclegan: checkpoint %s: %s: %w", path, s.name, err)
		}
	}
	// The pools' images go to the discriminators as they are: check that they are images the
	// networks take, like those the data pipeline gives, with values in the generator's Tanh
	// range.
	for _, pool := range []struct {
		name string
		p    *ImagePool
	}{{"pool_fake_A", t.PoolFakeA}, {"pool_fake_B", t.PoolFakeB}} {
		name := pool.name
		for i, img := range pool.p.images {
			if err := o.checkImage(img); err != nil {
				return nil, fmt.Errorf("cyclegan: checkpoint %s: pool image %s.%d: %w", path, name, i, err)
			}
			for j, v := range img.Float32s() {
				if v < -1 || v > 1 {
					return nil, fmt.Errorf("cyclegan: checkpoint %s: pool image %s.%d holds %g at element %d, want values in [-1, 1]", path, name, i, v, j)
				}
			}
		}
	}
	// Pools and optimizer states were read on the CPU; move them to the trainer's device.
	for _, p := range []*ImagePool{t.PoolFakeA, t.PoolFakeB} {
		for i, img := range p.images {
			p.images[i] = img.To(b)
		}
	}
	if t.Epoch, err = c.int("epoch"); err != nil {
		return nil, err
	}
	if t.Index, err = c.int("index"); err != nil {
		return nil, err
	}
	if t.Steps, err = c.int("steps"); err != nil {
		return nil, err
	}
	return t, nil
}

// Direction names a generator: AtoB is G_A (horse → zebra on horse2zebra), BtoA is G_B.
type Direction string

const (
	AtoB Direction = "AtoB"
	BtoA Direction = "BtoA"
)

// LoadGenerator reads the generator of direction d from a checkpoint written by Trainer.Save or
// Trainer.SaveWeights (in float32, float64 or float16), or from a file holding only a
// ResnetGenerator state_dict, whose ngf and block count are read from the tensor shapes (d is
// then ignored): the official pretrained models and the latest_net_G_A.pth that the official
// training code saves, as torch.save wrote them (zip or legacy format), or converted to
// safetensors with safetensors.torch.save_file. The format is found from the file's first bytes,
// not its name. As the official loader does (__patch_instance_norm_state_dict), the
// running_mean, running_var and num_batches_tracked buffers that old checkpoints carry for the
// InstanceNorm layers are dropped; any other key that is missing, unexpected or of the wrong
// shape is an error listing them all, as load_state_dict(strict=True) gives.
//
// The generator's weights (its only memory until it runs) are checked against MaxMemory, and the
// file's keys and shapes against the generator's, before the generator is built.
func (r CheckpointReader) LoadGenerator(path string, d Direction, b tensor.Backend) (*ResnetGenerator, error) {
	prefix := map[Direction]string{AtoB: "G_A", BtoA: "G_B"}[d]
	if prefix == "" {
		return nil, fmt.Errorf("cyclegan: direction %q: want %s or %s", d, AtoB, BtoA)
	}
	sd, o, err := r.networkStateDict(path, prefix)
	if err != nil {
		return nil, err
	}
	var ngf, blocks int
	if o != nil {
		ngf, blocks = o.NGF, o.Blocks
	} else {
		if ngf, blocks, err = generatorSize(path, sd); err != nil {
			return nil, err
		}
		dropInstanceNormBuffers(sd, generatorShapes(ngf, blocks), false)
	}
	what := fmt.Sprintf("generator %s (ngf %d, %d blocks)", prefix, ngf, blocks)
	if o == nil {
		what = fmt.Sprintf("a ResnetGenerator state dict (ngf %d, %d blocks)", ngf, blocks)
	}
	if err := r.checkNetwork(path, what, generatorShapes(ngf, blocks), sd); err != nil {
		return nil, err
	}
	g := newResnetGenerator(nil, ngf, blocks) // zero weights: the strict load below sets every one
	if err := nn.LoadStateDict(g, sd, true); err != nil {
		return nil, fmt.Errorf("cyclegan: %s: generator %s: %w", path, d, err)
	}
	nn.To(g, b)
	return g, nil
}

// networkStateDict reads one network's state dict from path: the tensors under prefix ("G_A")
// of a zebra checkpoint, with the checkpoint's checked options, or those of a bare state dict
// (keys "model.N...", as the official networks name them), with nil options.
func (r CheckpointReader) networkStateDict(path, prefix string) (map[string]*tensor.Tensor, *Options, error) {
	c, err := readCheckpoint(path, budgetOrDefault(r.MaxMemory), r.SkipChecksum, func(top map[string]string, p string) bool {
		if _, zebra := top[formatKey]; zebra {
			return p == prefix
		}
		return p == "model"
	})
	if err != nil {
		return nil, nil, err
	}
	if _, zebra := c.top[formatKey]; zebra {
		o, err := c.options()
		if err != nil {
			return nil, nil, err
		}
		if err := o.Check(); err != nil {
			return nil, nil, fmt.Errorf("cyclegan: checkpoint %s: %w", path, err)
		}
		return c.tensors[prefix], &o, nil
	}
	sd := map[string]*tensor.Tensor{}
	for k, t := range c.tensors["model"] {
		sd["model."+k] = t
	}
	return sd, nil, nil
}

// checkNetwork checks, before a network is built, that its weights fit in MaxMemory and that sd
// has exactly its keys and shapes (as a strict load_state_dict would).
func (r CheckpointReader) checkNetwork(path, what string, want []paramShape, sd map[string]*tensor.Tensor) error {
	budget := budgetOrDefault(r.MaxMemory)
	if n := numParams(want); float32Bytes*n > budget {
		return fmt.Errorf("cyclegan: %s: %w", path,
			budgetError(fmt.Sprintf("%s (%d parameters)", what, n), float32Bytes*n, budget))
	}
	if err := checkShapes(want, sd); err != nil {
		return fmt.Errorf("cyclegan: %s: %s: %w", path, what, err)
	}
	return nil
}
