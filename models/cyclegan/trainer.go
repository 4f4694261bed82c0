package cyclegan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/nn/optim"
	"github.com/zebra-go/zebra/tensor"
)

// Options are the settings of a CycleGAN run, the official options under Go names; the JSON
// names are the official ones. DefaultOptions gives the paper's values.
type Options struct {
	DataRoot       string  `json:"dataroot"`
	Name           string  `json:"name"`
	Epochs         int     `json:"n_epochs"`       // epochs at the initial learning rate
	DecayEpochs    int     `json:"n_epochs_decay"` // epochs of linear decay after those
	LR             float64 `json:"lr"`
	Beta1          float64 `json:"beta1"`
	LambdaA        float64 `json:"lambda_A"`        // weight of the cycle loss A → B → A
	LambdaB        float64 `json:"lambda_B"`        // weight of the cycle loss B → A → B
	LambdaIdentity float64 `json:"lambda_identity"` // identity loss weight, relative to LambdaA/B
	PoolSize       int     `json:"pool_size"`
	NGF            int     `json:"ngf"`
	NDF            int     `json:"ndf"`
	Blocks         int     `json:"n_blocks"` // residual blocks of the generators
	DLayers        int     `json:"n_layers_D"`
	LoadSize       int     `json:"load_size"`
	CropSize       int     `json:"crop_size"`
	Preprocess     string  `json:"preprocess"`
	NoFlip         bool    `json:"no_flip"`
	Seed           uint64  `json:"seed"`
	// BatchSize is the number of samples per optimizer step (0 means 1). The losses are means
	// over the batch; InstanceNorm normalizes each image on its own, so a sample's forward pass
	// does not depend on the others in its batch.
	BatchSize int `json:"batch_size"`
	// WorldSize is the number of data-parallel ranks that train together (0 or 1: one process),
	// each with BatchSize samples of every global batch of WorldSize·BatchSize (parallel.go).
	// Not an official option; checkpoints record it, and a run resumed with another number of
	// ranks keeps its global batch (Trainer.SetWorldSize).
	WorldSize int `json:"world_size,omitempty"`

	// Sampling is how the random choices of the data and the pools follow from Seed:
	// SamplingPerSample ("" too; NewTrainer writes it out) or SamplingSequential. Not an official
	// option: LoadTrainer sets SamplingSequential for checkpoints whose options lack it, written
	// before it existed, so that their runs continue as they began.
	Sampling string `json:"sampling,omitempty"`

	// MaxMemory is the most bytes NewTrainer lets MemoryEstimate reach (0: DefaultMaxMemory).
	// It guards this machine, not the model, so checkpoints do not store it.
	MaxMemory int64 `json:"-"`
}

// DefaultOptions returns the settings of the paper and the official code for 256x256 images:
// 100 + 100 epochs, Adam 2e-4 with beta1 0.5, lambda 10 both ways, identity 0.5, a pool of 50,
// ngf = ndf = 64, 9 residual blocks, a 3-layer PatchGAN, resize to 286 and crop 256, batches of
// one image.
func DefaultOptions() Options {
	return Options{
		Epochs: 100, DecayEpochs: 100, LR: 2e-4, Beta1: 0.5,
		LambdaA: 10, LambdaB: 10, LambdaIdentity: 0.5, PoolSize: DefaultPoolSize,
		NGF: 64, NDF: 64, Blocks: 9, DLayers: 3,
		LoadSize: 286, CropSize: 256, Preprocess: PreprocessResizeAndCrop, BatchSize: 1,
	}
}

// Bounds on the network sizes, the pool and the epochs, far above any useful setting (the paper
// uses 64 filters, 9 blocks, a pool of 50 and 200 epochs), so that a mistyped flag or a crafted
// checkpoint cannot ask for tens of gigabytes of weights. MemoryEstimate bounds them together.
const (
	MaxFilters  = 512  // ngf and ndf
	MaxBlocks   = 64   // residual blocks per generator
	MaxPoolSize = 1000 // generated images kept per direction
	// MaxBatchSize bounds BatchSize; MemoryEstimate, which grows with it, usually refuses far
	// less.
	MaxBatchSize = 4096
	// MaxWorldSize bounds WorldSize, the data-parallel ranks: far above the machines a CycleGAN
	// could use (at 100 Gbit/s the network limits the speed-up from about 100: see the README).
	MaxWorldSize = 65536
	// MaxEpochs bounds Epochs and DecayEpochs, each: their sum must not overflow (it did, to a
	// negative total that trained nothing and reported success), and a million epochs of
	// horse2zebra at a second a step would take 40 years.
	MaxEpochs = 1_000_000
)

// Check reports the first setting that cannot work.
func (o Options) Check() error {
	// Every comparison with NaN is false, so a NaN slips past the range checks below (a NaN
	// identity weight is not > 0, which turned the identity loss off): reject it, and the
	// infinities, first.
	for _, f := range []struct {
		name  string
		value float64
	}{{"learning rate", o.LR}, {"beta1", o.Beta1}, {"lambda A", o.LambdaA}, {"lambda B", o.LambdaB}, {"lambda identity", o.LambdaIdentity}} {
		if !finite(f.value) {
			return fmt.Errorf("cyclegan: %s %g: want a finite number", f.name, f.value)
		}
	}
	switch {
	case o.Epochs < 0 || o.DecayEpochs < 0 || o.Epochs > MaxEpochs || o.DecayEpochs > MaxEpochs || o.Epochs+o.DecayEpochs == 0:
		return fmt.Errorf("cyclegan: %d + %d epochs: want counts from 0 to %d and at least one epoch", o.Epochs, o.DecayEpochs, MaxEpochs)
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return fmt.Errorf("cyclegan: learning rate %g: want a positive number", o.LR)
	case !(o.Beta1 > 0 && o.Beta1 < 1):
		return fmt.Errorf("cyclegan: beta1 %g: want 0 < beta1 < 1", o.Beta1)
	case o.LambdaA < 0 || o.LambdaB < 0 || o.LambdaIdentity < 0:
		return fmt.Errorf("cyclegan: loss weights lambda A %g, B %g, identity %g: want non-negative", o.LambdaA, o.LambdaB, o.LambdaIdentity)
	case o.PoolSize < 0:
		return fmt.Errorf("cyclegan: pool size %d: want ≥ 0", o.PoolSize)
	case o.NGF < 1 || o.NDF < 1 || o.Blocks < 0 || o.DLayers < 1:
		return fmt.Errorf("cyclegan: ngf %d, ndf %d, %d blocks, %d discriminator layers: want ngf, ndf, layers ≥ 1 and blocks ≥ 0", o.NGF, o.NDF, o.Blocks, o.DLayers)
	case o.NGF > MaxFilters || o.NDF > MaxFilters || o.Blocks > MaxBlocks || o.PoolSize > MaxPoolSize:
		return fmt.Errorf("cyclegan: ngf %d, ndf %d, %d blocks, pool size %d: want at most %d filters, %d blocks and a pool of %d", o.NGF, o.NDF, o.Blocks, o.PoolSize, MaxFilters, MaxBlocks, MaxPoolSize)
	case MinImageSize(o.DLayers) == 0:
		return fmt.Errorf("cyclegan: %d discriminator layers need images larger than %d", o.DLayers, MaxImageSize)
	case o.BatchSize < 0 || o.BatchSize > MaxBatchSize:
		return fmt.Errorf("cyclegan: batch size %d: want 1 to %d (or 0, meaning 1)", o.BatchSize, MaxBatchSize)
	case o.WorldSize < 0 || o.WorldSize > MaxWorldSize:
		return fmt.Errorf("cyclegan: world size %d: want 1 to %d ranks (or 0, meaning 1)", o.WorldSize, MaxWorldSize)
	case o.WorldSize > 1 && o.Sampling == SamplingSequential:
		return fmt.Errorf("cyclegan: world size %d: a run with sequential random choices (begun before per-sample randomness) can only continue in one process", o.WorldSize)
	case o.BatchSize > 1 && o.Preprocess == PreprocessNone:
		// The images of a batch share one tensor; the official collate fails the same way.
		return fmt.Errorf("cyclegan: batch size %d with preprocess %s: the images keep their own sizes and cannot share a batch; use batch size 1 or crop", o.BatchSize, PreprocessNone)
	}
	return o.dataOptions().check() // checks Sampling too
}

func (o Options) dataOptions() DataOptions {
	return DataOptions{LoadSize: o.LoadSize, CropSize: o.CropSize, Preprocess: o.Preprocess, NoFlip: o.NoFlip, Seed: o.Seed,
		Sampling: o.Sampling, MinSize: MinImageSize(o.DLayers)}
}

// batchSize is BatchSize, with 0 meaning 1.
func (o Options) batchSize() int { return max(1, o.BatchSize) }

// LossNames are the eight losses in the official order: discriminator A, generator A (A → B
// fooling D_A), cycle A (A → B → A), identity A (G_A(B) ≈ B), and the same for B.
var LossNames = [8]string{"D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"}

// Losses are the values of the eight losses at one step, in LossNames order.
type Losses [8]float64

// VisualNames are the images of a step in the official display order.
var VisualNames = [8]string{"real_A", "fake_B", "rec_A", "idt_B", "real_B", "fake_A", "rec_B", "idt_A"}

// Visuals are the images of one step, [N, 3, H, W] each for a batch of N (the report shows the
// first, as the official visualizer does), in VisualNames order: real_A,
// fake_B = G_A(real_A), rec_A = G_B(fake_B), idt_B = G_B(real_A), and the same from B. idt_A
// and idt_B are nil when the identity loss is off.
type Visuals [8]*tensor.Tensor

// Trainer holds a CycleGAN in training: the two generators (G_A: A → B, G_B: B → A), the two
// discriminators (D_A judges B images, real or G_A's; D_B judges A images), one Adam over both
// generators and one over both discriminators, their linear-decay schedules, the two pools of
// generated images, and where training stands. Everything in it is saved by Save.
type Trainer struct {
	Opts           Options
	GA, GB         *ResnetGenerator
	DA, DB         *NLayerDiscriminator
	OptG, OptD     *optim.Adam
	SchedG, SchedD *optim.LinearDecayLR
	PoolFakeA      *ImagePool // generated A images, shown to D_B
	PoolFakeB      *ImagePool // generated B images, shown to D_A

	// Epoch (from 0) and Index, the next sample within it, say where training continues; Steps
	// counts the optimization steps taken so far (one per batch).
	Epoch, Index, Steps int

	backend tensor.Backend
}

// NewTrainer builds the four networks from o.Seed (drawn in the order G_A, G_B, D_A, D_B) on
// backend b and the optimizers, schedules and pools around them.
func NewTrainer(o Options, b tensor.Backend) (*Trainer, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if err := o.checkMemory(); err != nil {
		return nil, err
	}
	o.BatchSize = o.batchSize() // recorded as it runs: options.json and checkpoints say 1, not 0
	if o.Sampling == "" {
		o.Sampling = SamplingPerSample
	}
	rng := tensor.NewRNG(o.Seed)
	t := &Trainer{
		Opts:    o,
		GA:      NewResnetGenerator(rng, o.NGF, o.Blocks),
		GB:      NewResnetGenerator(rng, o.NGF, o.Blocks),
		DA:      NewNLayerDiscriminator(rng, o.NDF, o.DLayers),
		DB:      NewNLayerDiscriminator(rng, o.NDF, o.DLayers),
		backend: b,
	}
	for _, m := range t.networks() {
		nn.To(m, b)
	}
	adam := optim.AdamOptions{LR: o.LR, Beta1: o.Beta1, Beta2: 0.999}
	t.OptG = optim.NewAdam(append(t.GA.Parameters(), t.GB.Parameters()...), adam)
	t.OptD = optim.NewAdam(append(t.DA.Parameters(), t.DB.Parameters()...), adam)
	t.SchedG = optim.NewLinearDecayLR(t.OptG, o.Epochs, o.DecayEpochs)
	t.SchedD = optim.NewLinearDecayLR(t.OptD, o.Epochs, o.DecayEpochs)
	newPool := NewImagePool
	if o.Sampling == SamplingSequential {
		newPool = newSequentialImagePool
	}
	t.PoolFakeA = newPool(o.PoolSize, epochSeed(o.Seed, -2))
	t.PoolFakeB = newPool(o.PoolSize, epochSeed(o.Seed, -3))
	return t, nil
}

// Backend is the device the networks live on.
func (t *Trainer) Backend() tensor.Backend { return t.backend }

func (t *Trainer) networks() []nn.Module { return []nn.Module{t.GA, t.GB, t.DA, t.DB} }

// TotalEpochs is Epochs + DecayEpochs.
func (t *Trainer) TotalEpochs() int { return t.Opts.Epochs + t.Opts.DecayEpochs }

// Finished reports whether every epoch has run.
func (t *Trainer) Finished() bool { return t.Epoch >= t.TotalEpochs() }

// NonFiniteLossError reports a loss that became NaN or infinite. The step is abandoned before
// the optimizer that loss feeds changes any weight. Index is the first sample of the step's
// batch, Samples the batch's size.
type NonFiniteLossError struct {
	Epoch, Index, Samples int
	Losses                Losses
}

func (e *NonFiniteLossError) Error() string {
	where := fmt.Sprintf("sample %d", e.Index)
	if e.Samples > 1 {
		where = fmt.Sprintf("the batch of %d samples from %d", e.Samples, e.Index)
	}
	s := fmt.Sprintf("cyclegan: a loss is not finite at epoch %d, %s (", e.Epoch, where)
	for i, name := range LossNames {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %g", name, e.Losses[i])
	}
	return s + "); training stopped. Lower -lr or check the data"
}

// ganLoss is the least-squares GAN loss of the official GANLoss("lsgan"): the mean squared
// distance of the patch scores from 1 (real) or 0 (fake).
func ganLoss(prediction *autograd.Var, real bool) *autograd.Var {
	target := 0.0
	if real {
		target = 1
	}
	return nn.MSELoss(prediction, autograd.Constant(tensor.FullLike(prediction.Value, target)), nn.ReductionMean)
}

func l1(a, b *autograd.Var) *autograd.Var { return nn.L1Loss(a, b, nn.ReductionMean) }

// Step runs one official training step on a batch of [N, 3, H, W] A and B images (on any device;
// they are moved to the trainer's): the forward cycle, the generator step with the discriminators
// frozen, then the discriminator step on pooled, detached fakes. Every loss is a mean over the
// batch (each L1 and MSE is a mean over all elements, and the images have one size), so a
// batch's gradient is the mean of its samples' gradients. It returns the eight losses and the
// step's images. A non-finite loss returns a *NonFiniteLossError before the optimizer it feeds
// steps; a weight or moment that an optimizer step made non-finite, a *NonFiniteStateError.
//
// The pools' draws are keyed by the samples t.Index, t.Index+1, ... of epoch t.Epoch; Train
// calls StepSamples with the batch's own indices.
func (t *Trainer) Step(realATensor, realBTensor *tensor.Tensor) (Losses, Visuals, error) {
	indices := make([]int, realATensor.Dim(0))
	for i := range indices {
		indices[i] = t.Index + i
	}
	return t.StepSamples(realATensor, realBTensor, indices)
}

// StepSamples is Step on a batch whose images are the samples indices of epoch t.Epoch (one index
// per image), which key the pools' random draws.
func (t *Trainer) StepSamples(realATensor, realBTensor *tensor.Tensor, indices []int) (Losses, Visuals, error) {
	checkBatch(realATensor, realBTensor, indices)
	losses, v, _, err := t.step(realATensor, realBTensor, indices, nil)
	return losses, v, err
}

func checkBatch(realATensor, realBTensor *tensor.Tensor, indices []int) {
	if realATensor.NDim() != 4 || !slices.Equal(realATensor.Shape(), realBTensor.Shape()) || realATensor.Dim(0) != len(indices) {
		panic(fmt.Sprintf("cyclegan.Trainer.Step: A %v, B %v and %d sample indices: want two [N, 3, H, W] batches of one shape and N indices",
			realATensor.Shape(), realBTensor.Shape(), len(indices)))
	}
}

// step is StepSamples on this rank's share of a batch when rep is not nil (parallel.go): the
// share may then be empty (nil tensors, no indices), and between each backward and its
// optimizer's step rep sums the losses and the weighted gradients of every rank. It returns the
// number of samples in the whole batch: 0 when every rank's share was empty, and no step was
// taken.
func (t *Trainer) step(realATensor, realBTensor *tensor.Tensor, indices []int, rep *replica) (Losses, Visuals, int, error) {
	var losses Losses
	var v Visuals
	samples := len(indices)
	first := -1 // the batch's first sample, for the error; -1 on an empty share
	if samples > 0 {
		first = indices[0]
	}
	nonFinite := func() error {
		return &NonFiniteLossError{Epoch: t.Epoch, Index: first, Samples: samples, Losses: losses}
	}

	t.OptG.ZeroGrad()
	okG := true
	var realA, realB *autograd.Var
	if len(indices) > 0 {
		realA = autograd.Constant(realATensor.To(t.backend))
		realB = autograd.Constant(realBTensor.To(t.backend))
		v, okG = t.generatorBackward(realA, realB, &losses)
	}
	if rep != nil {
		var err error
		if samples, first, okG, err = rep.reduceLosses(&losses, generatorPhase, len(indices), first, okG); err != nil {
			return losses, Visuals{}, 0, err
		}
		if samples == 0 {
			return losses, Visuals{}, 0, nil // every sample of the batch was skipped, on every rank
		}
	}
	if !okG {
		return losses, Visuals{}, samples, nonFinite()
	}
	if rep != nil {
		if err := rep.reduceGradients(t.generatorParameters(), len(indices), samples); err != nil {
			return losses, Visuals{}, samples, err
		}
	}
	t.OptG.Step()
	// Finite losses can still give non-finite weights (a learning rate of 1e39 does it in one
	// step): stop here, before such weights judge a fake or reach a checkpoint.
	if err := t.checkFinite("optimizer_G", t.OptG, "G_A", "G_B"); err != nil {
		return losses, Visuals{}, samples, err
	}

	// Discriminator step: real images against generated ones from the pools, detached so that no
	// gradient reaches the generators. As in the official code, each discriminator's loss is
	// backpropagated on its own, so that only one discriminator's activations are alive at once.
	t.OptD.ZeroGrad()
	okD := true
	if len(indices) > 0 {
		lossDA := t.discriminatorLoss(t.DA, realB, t.PoolFakeB.Query(v[1], t.Epoch, indices))
		losses[0] = lossDA.Value.Item()
		if finite(losses[0]) {
			lossDA.Backward()
		}
		lossDB := t.discriminatorLoss(t.DB, realA, t.PoolFakeA.Query(v[5], t.Epoch, indices))
		losses[4] = lossDB.Value.Item()
		if okD = finite(losses[0], losses[4]); okD {
			lossDB.Backward()
		}
	}
	if rep != nil {
		var err error
		if _, _, okD, err = rep.reduceLosses(&losses, discriminatorPhase, len(indices), first, okD); err != nil {
			return losses, Visuals{}, samples, err
		}
	}
	if !okD {
		return losses, Visuals{}, samples, nonFinite()
	}
	if rep != nil {
		if err := rep.reduceGradients(t.discriminatorParameters(), len(indices), samples); err != nil {
			return losses, Visuals{}, samples, err
		}
	}
	t.OptD.Step()
	if err := t.checkFinite("optimizer_D", t.OptD, "D_A", "D_B"); err != nil {
		return losses, Visuals{}, samples, err
	}
	t.Steps++
	return losses, v, samples, nil
}

// generatorBackward runs the generators' forward passes on a batch and accumulates the gradient
// of their losses into the generators' parameters, with the discriminators frozen so that the
// generators' loss gives their weights no gradient (and no time is spent computing one). It sets
// the six generator losses, returns the step's images and whether every loss was finite (if
// not, some backward passes were skipped, and the gradients must not be used).
//
// The official code runs all six generator passes, sums the six losses and calls backward once.
// The sum's gradient is the sum of its terms' gradients, so we run it in three parts that share
// no activations (identity, the A cycle, the B cycle), each backward accumulating into the
// generators' gradients right after its forward: the same losses and gradients, but only a third
// of the activations alive at once (about 2 GB less at 256x256).
//
// A small run (Options.fusesIdentity) runs it in two parts instead: each cycle's first pass takes
// the identity image of the same generator along in one batch, G_A on [real_A; real_B] gives
// fake_B and idt_A, G_B on [real_B; real_A] fake_A and idt_B. InstanceNorm normalizes each image
// on its own, so every output is the one the separate passes give; the batch halves the number
// of ops (whose fixed costs weigh most on small images) and doubles their work: at make demo's
// size (ngf 16, 3 blocks, 64x64) one batch-2 generator forward and backward took 17.7 ms
// against 20.8 ms for two of batch 1 (AMD EPYC Zen 4, 2 threads, 50 interleaved rounds).
func (t *Trainer) generatorBackward(realA, realB *autograd.Var, losses *Losses) (Visuals, bool) {
	o := t.Opts
	setRequiresGrad(t.DA, false)
	setRequiresGrad(t.DB, false)
	defer setRequiresGrad(t.DA, true)
	defer setRequiresGrad(t.DB, true)
	var v Visuals
	v[0], v[4] = realA.Value, realB.Value
	ok := true
	backward := func(terms ...*autograd.Var) {
		sum := terms[0]
		for _, term := range terms[1:] {
			sum = autograd.Add(sum, term)
		}
		if ok = ok && finite(sum.Value.Item()); ok {
			sum.Backward()
		}
	}
	if o.fusesIdentity() {
		n := realA.Value.Dim(0)
		// One direction: g on [real; other] gives fake and idt (g should leave the other
		// domain's image alone), back turns fake into rec, d judges fake; losses[first:first+3]
		// are the GAN, cycle and identity losses.
		cycle := func(g, back *ResnetGenerator, d *NLayerDiscriminator, real, other *autograd.Var, lambda, lambdaOther float64, first int) (fake, rec, idt *tensor.Tensor) {
			out := g.Forward(autograd.Concat([]*autograd.Var{real, other}, 0))
			fakeV, idtV := autograd.Narrow(out, 0, 0, n), autograd.Narrow(out, 0, n, n)
			recV := back.Forward(fakeV)
			lossGAN := ganLoss(d.Forward(fakeV), true)
			lossCycle := autograd.Scale(l1(recV, real), lambda)
			lossIdt := autograd.Scale(l1(idtV, other), lambdaOther*o.LambdaIdentity)
			losses[first], losses[first+1], losses[first+2] = lossGAN.Value.Item(), lossCycle.Value.Item(), lossIdt.Value.Item()
			backward(lossGAN, lossCycle, lossIdt)
			return fakeV.Value, recV.Value, idtV.Value
		}
		v[1], v[2], v[7] = cycle(t.GA, t.GB, t.DA, realA, realB, o.LambdaA, o.LambdaB, 1)
		v[5], v[6], v[3] = cycle(t.GB, t.GA, t.DB, realB, realA, o.LambdaB, o.LambdaA, 5)
		return v, ok && finite(losses[1:4]...) && finite(losses[5:8]...)
	}
	if o.LambdaIdentity > 0 {
		// G_A should leave a B image alone, G_B an A image.
		idtA := t.GA.Forward(realB)
		idtB := t.GB.Forward(realA)
		lossIdtA := autograd.Scale(l1(idtA, realB), o.LambdaB*o.LambdaIdentity)
		lossIdtB := autograd.Scale(l1(idtB, realA), o.LambdaA*o.LambdaIdentity)
		losses[3], losses[7] = lossIdtA.Value.Item(), lossIdtB.Value.Item()
		v[7], v[3] = idtA.Value, idtB.Value
		backward(lossIdtA, lossIdtB)
	}
	// Cycle A: fake_B = G_A(real_A) should fool D_A, and G_B(fake_B) should give real_A back.
	fakeB := t.GA.Forward(realA)
	recA := t.GB.Forward(fakeB)
	lossGA := ganLoss(t.DA.Forward(fakeB), true)
	lossCycleA := autograd.Scale(l1(recA, realA), o.LambdaA)
	losses[1], losses[2] = lossGA.Value.Item(), lossCycleA.Value.Item()
	v[1], v[2] = fakeB.Value, recA.Value
	backward(lossGA, lossCycleA)
	// Cycle B, the same from real_B.
	fakeA := t.GB.Forward(realB)
	recB := t.GA.Forward(fakeA)
	lossGB := ganLoss(t.DB.Forward(fakeA), true)
	lossCycleB := autograd.Scale(l1(recB, realB), o.LambdaB)
	losses[5], losses[6] = lossGB.Value.Item(), lossCycleB.Value.Item()
	v[5], v[6] = fakeA.Value, recB.Value
	backward(lossGB, lossCycleB)
	return v, ok && finite(losses[1:4]...) && finite(losses[5:8]...)
}

// discriminatorLoss is 0.5·(MSE(D(real), 1) + MSE(D(fake), 0)), the official backward_D_basic;
// the half slows the discriminators relative to the generators.
func (t *Trainer) discriminatorLoss(d *NLayerDiscriminator, real *autograd.Var, fake *tensor.Tensor) *autograd.Var {
	lossReal := ganLoss(d.Forward(real), true)
	lossFake := ganLoss(d.Forward(autograd.Constant(fake)), false)
	return autograd.Scale(autograd.Add(lossReal, lossFake), 0.5)
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// Event is what Train reports after each step and at the end of each epoch.
type Event struct {
	EpochEnd bool // false: a step just ran; true: the epoch just ended (Losses/Visuals of its last step)
	Epoch    int
	// Index is the index in the epoch of the last sample of the step's batch, so that Index+1
	// samples of the epoch are done (for EpochEnd, the epoch's length).
	Index    int
	EpochLen int // samples in an epoch, max(|A|, |B|)
	Samples  int // samples in the step's batch (fewer than the batch size for the last of an epoch)
	Steps    int // steps taken so far in the whole run
	LR       float64
	Losses   Losses // the batch means
	Visuals  Visuals

	// StepTime is how long the step took (the official t_comp is that over the batch size),
	// DataTime how long it waited for the loader before it (t_data): a DataTime near StepTime
	// says that loading, not computing, sets the pace (-workers). Neither counts the time spent
	// in on.
	StepTime, DataTime time.Duration
	// CommTime is the part of StepTime spent in the collectives of a data-parallel step
	// (TrainParallel): all-reducing the losses and the gradients, and waiting there for the
	// slowest rank. 0 for a trainer alone.
	CommTime time.Duration
}

// ErrNoSteps is wrapped by the error Train returns for an epoch in which no step could be taken:
// with DataOptions.SkipBadImages, every sample had an unreadable image.
var ErrNoSteps = errors.New("no training step")

// ErrStopped is returned by Train when it stopped before the last epoch because ctx was
// cancelled or maxSteps was reached; the trainer is in a consistent state to Save.
var ErrStopped = errors.New("cyclegan: training stopped before the end")

// Train runs training from where the trainer stands to the last epoch, loading samples from data
// in batches of Opts.BatchSize: each epoch's samples from t.Index on, split by EpochBatches (the
// last batch of an epoch is shorter when the batch size does not divide the epoch, as the
// official DataLoader gives it). After each step and at the end of each epoch (after the
// schedules step) it calls on, whose error stops training and is returned. It stops after the
// current step, returning ErrStopped, when ctx is cancelled or when maxSteps > 0 steps
// (optimizer steps, one per batch) have run in this call.
func (t *Trainer) Train(ctx context.Context, data *Dataset, maxSteps int, on func(Event) error) error {
	return t.train(ctx, data, maxSteps, nil, on)
}

// train is Train, as one replica of a data-parallel run when rep is not nil (TrainParallel).
func (t *Trainer) train(ctx context.Context, data *Dataset, maxSteps int, rep *replica, on func(Event) error) error {
	steps := 0
	for !t.Finished() {
		if err := t.trainEpoch(ctx, data, maxSteps, &steps, rep, on); err != nil {
			return err
		}
	}
	return nil
}

func (t *Trainer) trainEpoch(ctx context.Context, data *Dataset, maxSteps int, steps *int, rep *replica, on func(Event) error) error {
	n := data.Len()
	fromStart := t.Index == 0 // a resumed epoch has had steps before
	batches := EpochBatches(n, t.Index, t.Opts.batchSize()*rep.size())
	mine := batches
	if rep != nil {
		mine = ShardBatches(batches, rep.rank, rep.ranks)
	}
	loader := data.Batches(t.Epoch, mine)
	defer loader.Close()
	var last Event
	taken := 0
	for {
		waited := time.Now()
		b, ok, err := loader.NextBatch()
		dataTime := time.Since(waited)
		if err != nil {
			return err
		}
		if !ok {
			break // the epoch is complete, even if a stop was asked for after its last step
		}
		// The epoch continues after the planned batch, whose last samples may have been
		// skipped: a resumed run then gets the same batches as one that went on.
		planned := batches[b.Number]
		end := planned[len(planned)-1] + 1
		if b.Len() == 0 && rep == nil { // every sample of the batch was skipped
			t.Index = end
			continue
		}
		// A replica stops when any rank was asked to at the previous step (every rank then
		// knows it: the request travels with the losses), so that all stop at the same step.
		if rep.stopRequested(ctx) {
			if rep != nil {
				return rep.stopError()
			}
			return ErrStopped
		}
		if maxSteps > 0 && *steps >= maxSteps {
			return ErrStopped
		}
		lr := t.OptG.LR()
		started := time.Now()
		losses, visuals, samples, err := t.step(b.A, b.B, b.Indices, rep)
		if err != nil {
			return err
		}
		stepTime := time.Since(started)
		t.Index = end
		if samples == 0 { // every rank's share was skipped
			continue
		}
		*steps++
		taken++
		last = Event{Epoch: t.Epoch, Index: t.Index - 1, EpochLen: n, Samples: samples, Steps: t.Steps, LR: lr,
			Losses: losses, Visuals: visuals, StepTime: stepTime, DataTime: dataTime, CommTime: rep.takeCommTime()}
		if on != nil {
			if err := on(last); err != nil {
				return err
			}
		}
	}
	if fromStart && taken == 0 {
		// Every sample was skipped: carrying on would run every epoch empty and call it done.
		return fmt.Errorf("cyclegan: epoch %d: %w: all %d samples were skipped (%d unreadable image files)", t.Epoch+1, ErrNoSteps, n, data.Skipped())
	}
	t.SchedG.Step()
	t.SchedD.Step()
	last.EpochEnd, last.Index = true, n
	t.Epoch, t.Index = t.Epoch+1, 0
	if on != nil {
		return on(last)
	}
	return nil
}
