package cyclegan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/nn"
	"github.com/zebra-go/zebra/tensor"
)

// float64Trainer is a tiny trainer without pools, its networks in float64, so that one step can
// be compared with a reference to far below float32's rounding.
func float64Trainer(t *testing.T, batch int) *Trainer {
	t.Helper()
	o := DefaultOptions()
	o.NGF, o.NDF, o.Blocks, o.DLayers = 4, 4, 1, 3
	o.LoadSize, o.CropSize = 32, 32
	o.PoolSize, o.BatchSize, o.Seed = 0, batch, 11
	tr, err := NewTrainer(o, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tr.namedNetworks() {
		nn.Cast(n.module, tensor.Float64)
	}
	return tr
}

// gradients returns the gradient of every parameter of the four networks, in namedNetworks order.
func gradients(t *testing.T, tr *Trainer) []*tensor.Tensor {
	t.Helper()
	var out []*tensor.Tensor
	for _, n := range tr.namedNetworks() {
		for _, p := range nn.Parameters(n.module) {
			if p.Grad == nil {
				t.Fatalf("%s: a parameter of shape %v has no gradient after the step", n.name, p.Shape())
			}
			out = append(out, p.Grad)
		}
	}
	return out
}

// requireClose fails unless every element of got is within tol·(1 + |want|) of want.
func requireClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d and %d values", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s: element %d is %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

// TestBatchStepIsMeanOfSamples: one step on a batch of two samples is the step on the mean of the
// two samples' gradients. The reference runs each sample alone through a fresh trainer of the same
// seed (whose step leaves that sample's gradients at the initial weights in the parameters: the
// generators' losses are taken before any update, the discriminators' on fakes of the initial
// generators), averages the gradients, and applies one Adam step of its own to the initial
// weights. Everything runs in float64, without pools, on fixed images; each loss of the batch
// must be the mean of the samples' too. This checks that InstanceNorm is per sample and that
// every loss is a batch mean.
func TestBatchStepIsMeanOfSamples(t *testing.T) {
	rng := tensor.NewRNG(5)
	realA := tensor.Uniform(rng, tensor.Float64, -1, 1, 2, 3, 32, 32)
	realB := tensor.Uniform(rng, tensor.Float64, -1, 1, 2, 3, 32, 32)

	batch := float64Trainer(t, 2)
	batchLosses, _, err := batch.Step(realA, realB)
	if err != nil {
		t.Fatal(err)
	}
	batchGrads := gradients(t, batch)

	var meanGrads [][]float64
	var meanLosses Losses
	for s := range 2 {
		single := float64Trainer(t, 1)
		losses, _, err := single.Step(tensor.Narrow(realA, 0, s, 1), tensor.Narrow(realB, 0, s, 1))
		if err != nil {
			t.Fatal(err)
		}
		for i := range losses {
			meanLosses[i] += losses[i] / 2
		}
		for i, g := range gradients(t, single) {
			if s == 0 {
				meanGrads = append(meanGrads, make([]float64, g.Numel()))
			}
			for j, v := range g.Float64s() {
				meanGrads[i][j] += v / 2
			}
		}
	}
	requireClose(t, "batch losses against the mean of the samples' losses", batchLosses[:], meanLosses[:], 1e-12)
	for i := range batchGrads {
		requireClose(t, fmt.Sprintf("gradient of parameter %d", i), batchGrads[i].Float64s(), meanGrads[i], 1e-10)
	}

	// One Adam step of a fresh trainer on the mean gradients gives the batch trainer's weights.
	reference := float64Trainer(t, 1)
	i := 0
	for _, n := range reference.namedNetworks() {
		for _, p := range nn.Parameters(n.module) {
			p.Grad = tensor.FromFloat64(meanGrads[i], p.Shape()...)
			i++
		}
	}
	reference.OptG.Step()
	reference.OptD.Step()
	got, want := batch.namedNetworks(), reference.namedNetworks()
	for k := range got {
		a, b := nn.Parameters(got[k].module), nn.Parameters(want[k].module)
		for j := range a {
			requireClose(t, got[k].name+" weights after the step", a[j].Value.Float64s(), b[j].Value.Float64s(), 1e-9)
		}
	}
}

// TestAugmentationIndependentOfBatch: a sample's files, crops and flips depend on the seed, the
// epoch and its index only: loaded one at a time, in batches of 4 (the last one short) or as
// three ranks' shares, sample i is the same, pixel for pixel.
func TestAugmentationIndependentOfBatch(t *testing.T) {
	root := tinyData(t, 7, 3, 40, 36)
	d, err := NewDataset(filepath.Join(root, "trainA"), filepath.Join(root, "trainB"), cropOptions)
	if err != nil {
		t.Fatal(err)
	}
	bySample := map[int]Sample{}
	for _, s := range epochSamples(t, d, 1, 0) {
		bySample[s.Index] = s
	}
	check := func(what string, b Batch) {
		t.Helper()
		for k, i := range b.Indices {
			s := bySample[i]
			if b.PathsA[k] != s.PathA || b.PathsB[k] != s.PathB {
				t.Fatalf("%s: sample %d is %s+%s, alone %s+%s", what, i, b.PathsA[k], b.PathsB[k], s.PathA, s.PathB)
			}
			requireBitwiseEqual(t, what+" A pixels", [][]float32{tensor.Narrow(b.A, 0, k, 1).Float32s()}, [][]float32{s.A.Float32s()})
			requireBitwiseEqual(t, what+" B pixels", [][]float32{tensor.Narrow(b.B, 0, k, 1).Float32s()}, [][]float32{s.B.Float32s()})
		}
	}
	loadAll := func(batches [][]int) []Batch {
		l := d.Batches(1, batches)
		defer l.Close()
		var out []Batch
		for {
			b, ok, err := l.NextBatch()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return out
			}
			out = append(out, b)
		}
	}
	batches := loadAll(EpochBatches(d.Len(), 0, 4))
	if len(batches) != 2 || batches[0].Len() != 4 || batches[1].Len() != 3 || batches[1].A.Dim(0) != 3 {
		t.Fatalf("7 samples in batches of 4: %d batches, want 2 of 4 and 3 samples", len(batches))
	}
	for _, b := range batches {
		check("batch of 4", b)
	}
	seen := 0
	for rank := range 3 {
		for _, b := range loadAll(ShardBatches(EpochBatches(d.Len(), 0, 4), rank, 3)) {
			check("rank's share", b)
			seen += b.Len()
		}
	}
	if seen != d.Len() {
		t.Errorf("three ranks' shares hold %d samples, want the epoch's %d", seen, d.Len())
	}
	// A shuffled, explicit index list gives the same samples as well.
	for _, b := range loadAll([][]int{{6, 0}, {3}}) {
		check("explicit indices", b)
	}
}

// TestEpochBatches: an epoch is split in order into batches of the size, the last shorter (the
// official DataLoader's drop_last=False); a resumed epoch continues from its position; the ranks'
// shares of each batch are contiguous, put together in rank order give the batch, and differ in
// size by at most one.
func TestEpochBatches(t *testing.T) {
	if got := EpochBatches(7, 0, 3); !slices.EqualFunc(got, [][]int{{0, 1, 2}, {3, 4, 5}, {6}}, slices.Equal) {
		t.Errorf("EpochBatches(7, 0, 3) = %v", got)
	}
	if got := EpochBatches(7, 3, 3); !slices.EqualFunc(got, [][]int{{3, 4, 5}, {6}}, slices.Equal) {
		t.Errorf("EpochBatches(7, 3, 3) = %v", got)
	}
	if got := EpochBatches(6, 6, 3); len(got) != 0 {
		t.Errorf("EpochBatches(6, 6, 3) = %v, want none", got)
	}
	for _, ranks := range []int{1, 2, 3, 5} {
		batches := EpochBatches(11, 0, 4)
		var joined [][]int = make([][]int, len(batches))
		for rank := range ranks {
			shares := ShardBatches(batches, rank, ranks)
			if len(shares) != len(batches) {
				t.Fatalf("%d ranks: rank %d has %d shares of %d batches", ranks, rank, len(shares), len(batches))
			}
			for k, share := range shares {
				if n := len(share); n < len(batches[k])/ranks || n > len(batches[k])/ranks+1 {
					t.Errorf("%d ranks: rank %d's share of batch %v is %v", ranks, rank, batches[k], share)
				}
				joined[k] = append(joined[k], share...)
			}
		}
		if !slices.EqualFunc(joined, batches, slices.Equal) {
			t.Errorf("%d ranks: the shares put together are %v, want %v", ranks, joined, batches)
		}
	}
}

// TestBatchTraining: with batches of 3 on 7-sample epochs, an epoch takes 3 steps of 3, 3 and 1
// samples (its length stays max(|A|, |B|)), the schedules step once per epoch, and the step limit
// counts optimizer steps.
func TestBatchTraining(t *testing.T) {
	o := tinyOptions(tinyData(t, 7, 3, 40, 36))
	o.BatchSize = 3
	o.Epochs, o.DecayEpochs = 1, 2
	tr, data := newTiny(t, o)
	var samples, ends []int
	err := tr.Train(context.Background(), data, 4, func(e Event) error {
		if e.EpochEnd {
			ends = append(ends, e.Index)
			return nil
		}
		samples = append(samples, e.Samples)
		if e.EpochLen != 7 {
			t.Errorf("step %d: epoch length %d, want 7", e.Steps, e.EpochLen)
		}
		return nil
	})
	if !errors.Is(err, ErrStopped) || tr.Steps != 4 {
		t.Fatalf("Train returned %v after %d steps, want ErrStopped after 4", err, tr.Steps)
	}
	if !slices.Equal(samples, []int{3, 3, 1, 3}) || !slices.Equal(ends, []int{7}) {
		t.Errorf("steps of %v samples and epoch ends at %v, want 3, 3, 1, 3 and one end at 7", samples, ends)
	}
	if tr.Epoch != 1 || tr.Index != 3 {
		t.Errorf("after 4 steps the trainer is at epoch %d sample %d, want 1 and 3", tr.Epoch, tr.Index)
	}
	if want := o.LR * 2 / 3; math.Abs(tr.OptG.LR()-want) > 1e-15 {
		t.Errorf("learning rate %g after one epoch, want %g (one schedule step per epoch)", tr.OptG.LR(), want)
	}
}

// TestResumeExactBatches: with batches of 3 and the pools filling up and then drawing, 2 steps,
// save, load and 3 steps give bitwise the weights of 5 steps in one go. The stop falls in the
// middle of an epoch, and the resumed run takes that epoch's short last batch and crosses into
// the next. The checkpoint records the batch size.
func TestResumeExactBatches(t *testing.T) {
	o := tinyOptions(tinyData(t, 7, 3, 40, 36))
	o.BatchSize = 3
	const n, m = 2, 3
	straight, data := trainTiny(t, o, n+m)
	first, data := trainTiny(t, o, n)
	if first.Epoch != 0 || first.Index != 6 {
		t.Fatalf("stopped at epoch %d sample %d, want the middle of the first epoch (6)", first.Epoch, first.Index)
	}
	path := filepath.Join(t.TempDir(), "latest.safetensors")
	if err := first.Save(path); err != nil {
		t.Fatal(err)
	}
	resumed, err := LoadTrainer(path, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Opts.BatchSize != 3 || resumed.Opts.Sampling != SamplingPerSample {
		t.Fatalf("resumed with batch size %d and sampling %q, want 3 and %s", resumed.Opts.BatchSize, resumed.Opts.Sampling, SamplingPerSample)
	}
	if err := resumed.Train(context.Background(), data, m, nil); !errors.Is(err, ErrStopped) {
		t.Fatal(err)
	}
	if straight.Epoch != resumed.Epoch || straight.Index != resumed.Index || straight.Epoch != 1 {
		t.Fatalf("straight run at epoch %d sample %d, resumed at %d %d; want both in epoch 1", straight.Epoch, straight.Index, resumed.Epoch, resumed.Index)
	}
	if straight.PoolFakeA.Len() != o.PoolSize {
		t.Fatalf("the pool holds %d images, want it full (%d) so that its draws are tested", straight.PoolFakeA.Len(), o.PoolSize)
	}
	requireBitwiseEqual(t, "weights of straight and resumed runs", weights(straight), weights(resumed))
}

// TestResumeSequentialCheckpoint: a checkpoint written before batches (options without
// batch_size and sampling, pools with their generators' states) resumes with the sequential
// scheme it began with, in batches of one, and continues exactly: as a run that used that scheme
// from the start.
func TestResumeSequentialCheckpoint(t *testing.T) {
	o := tinyOptions(tinyData(t, 3, 2, 40, 36))
	o.Sampling = SamplingSequential
	const n, m = 2, 3
	straight, data := trainTiny(t, o, n+m)
	first, data := trainTiny(t, o, n)
	saved := filepath.Join(t.TempDir(), "latest.safetensors")
	if err := first.Save(saved); err != nil {
		t.Fatal(err)
	}
	old := rewrite(t, saved, removeOptions(t, "batch_size", "sampling"))
	resumed, err := LoadTrainer(old, tensor.CPU)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Opts.Sampling != SamplingSequential || resumed.Opts.BatchSize != 1 {
		t.Fatalf("an old checkpoint resumed with sampling %q and batch size %d, want %s and 1", resumed.Opts.Sampling, resumed.Opts.BatchSize, SamplingSequential)
	}
	data, err = resumed.Opts.TrainingData(false)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumed.Train(context.Background(), data, m, nil); !errors.Is(err, ErrStopped) {
		t.Fatal(err)
	}
	requireBitwiseEqual(t, "weights of straight and resumed sequential runs", weights(straight), weights(resumed))

	// The schemes differ: the same seed gives other samples per sample than sequentially.
	perSample := o
	perSample.Sampling = ""
	other, data := newTiny(t, perSample)
	if err := other.Train(context.Background(), data, n+m, nil); !errors.Is(err, ErrStopped) {
		t.Fatal(err)
	}
	if slices.EqualFunc(weights(other), weights(straight), slices.Equal) {
		t.Error("the per-sample and the sequential scheme trained the same weights")
	}
}

// removeOptions deletes options from a checkpoint's JSON, as a checkpoint written before they
// existed lacks them.
func removeOptions(t *testing.T, keys ...string) func([]safetensors.Tensor, map[string]string) []safetensors.Tensor {
	return func(tensors []safetensors.Tensor, meta map[string]string) []safetensors.Tensor {
		var o map[string]any
		if err := json.Unmarshal([]byte(meta["options"]), &o); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok := o[k]; !ok {
				t.Fatalf("the checkpoint's options have no %q to remove", k)
			}
			delete(o, k)
		}
		data, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		meta["options"] = string(data)
		return tensors
	}
}

// TestMemoryEstimateScalesWithBatch: the activations, and only they, grow with the batch, so the
// estimate grows linearly with it; a batch that would not fit the budget is refused by NewTrainer
// with the batch size in the message, before anything is allocated.
func TestMemoryEstimateScalesWithBatch(t *testing.T) {
	at := func(batch int) int64 {
		o := DefaultOptions()
		o.BatchSize = batch
		return o.MemoryEstimate().Bytes
	}
	one, two, five := at(1), at(2), at(5)
	if !(two > one) || five-one != 4*(two-one) {
		t.Errorf("estimates %d, %d and %d bytes for batches of 1, 2 and 5: want linear growth", one, two, five)
	}
	if at(0) != one {
		t.Errorf("batch size 0 (meaning 1) is estimated at %d bytes, batch 1 at %d", at(0), one)
	}
	o := DefaultOptions()
	o.BatchSize = 64
	_, err := NewTrainer(o, tensor.CPU)
	if !errors.Is(err, ErrMemoryBudget) || !strings.Contains(err.Error(), "batches of 64") {
		t.Errorf("batches of 64 at 256x256 within the default budget: %v, want a refusal naming the batch", err)
	}
}

// TestCheckBatchSize: the batch size is bounded, and images that keep their own sizes cannot
// share a batch.
func TestCheckBatchSize(t *testing.T) {
	for _, c := range []struct {
		batch      int
		preprocess string
		ok         bool
	}{{0, PreprocessResizeAndCrop, true}, {1, PreprocessNone, true}, {16, PreprocessCrop, true},
		{-1, PreprocessResizeAndCrop, false}, {MaxBatchSize + 1, PreprocessResizeAndCrop, false}, {2, PreprocessNone, false}} {
		o := DefaultOptions()
		o.BatchSize, o.Preprocess = c.batch, c.preprocess
		if err := o.Check(); (err == nil) != c.ok {
			t.Errorf("batch size %d with preprocess %s: Check gives %v, want ok %v", c.batch, c.preprocess, err, c.ok)
		}
	}
	o := DefaultOptions()
	o.Sampling = "random"
	if err := o.Check(); err == nil {
		t.Error("an unknown sampling scheme passed Check")
	}
}
