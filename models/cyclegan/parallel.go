package cyclegan

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/dist"
	"github.com/zebra-go/zebra/tensor"
)

// Data parallelism. N processes ("ranks") train one CycleGAN: each holds a replica of the whole
// trainer, takes its share of every global batch of N·BatchSize samples (EpochBatches, then
// ShardBatches), and between each backward and its optimizer's step the ranks sum their
// gradients, each weighted by its share of the batch:
//
//	g = Σ_r (n_r / n) · g_r,   n = Σ_r n_r
//
// where g_r is the gradient of rank r's mean loss over its n_r samples. Every loss is a mean over
// the batch and InstanceNorm normalizes each image alone, so g is the gradient of the mean loss
// over the whole batch: the gradient one process would compute on all n samples, up to the
// order of float32 additions. Every replica then takes the same Adam step from the same state,
// and the replicas stay identical without ever exchanging weights. A share can be empty (a short
// last batch has fewer samples than ranks, or its images were skipped): that rank's weight is 0,
// but it still joins every collective, which is what keeps the ranks in step.
//
// Each phase of a step (the generators', then the discriminators') makes two collectives: a small
// one of float64s with n_r, the rank's losses times n_r and two flags (a loss was not finite;
// SIGINT or SIGTERM asked this rank to stop), which gives every rank n, the batch's mean losses
// and the same decisions; then the gradients, copied into flat float32 buckets of BucketBytes,
// each all-reduced in place and copied back. One collective per parameter would pay MPI's latency
// (tens of µs) about a hundred times a phase; one bucket of everything would need a second copy of
// all gradients at once. A bucket of 25 MB (PyTorch DDP's default) is a few large messages, near
// the link's bandwidth.
//
// The image pools are not shared: each rank's pools hold the fakes of its own samples. With
// PoolSize 0, or while the pools are filling (they return each new fake then), N ranks with
// batch b train exactly the networks that one process trains with batch N·b (TestDataParallel);
// once they are full, the fakes that the discriminators see are drawn from each rank's own
// history, a different but equally valid sample of the same distribution.

// DefaultBucketBytes is the size of a gradient bucket: PyTorch DDP's bucket_cap_mb of 25.
const DefaultBucketBytes = 25 << 20

// DataParallel says how a trainer takes part in a data-parallel run (TrainParallel).
type DataParallel struct {
	// Comm is the group of ranks; its collectives carry the losses, the stop requests and, unless
	// Device is set, the gradients.
	Comm dist.Comm
	// Device, when not nil, all-reduces the gradients where they are, in CUDA memory (NCCL), one
	// parameter at a time; it has the same ranks as Comm.
	Device *dist.NCCL
	// BucketBytes is the size of the host buckets that gradients are all-reduced in (0:
	// DefaultBucketBytes).
	BucketBytes int
	// StopCode, when not nil, says why this rank asks to stop before its next step: a code from 1
	// to MaxStopCode (the command passes a signal's number), or 0 for no request. It is asked
	// once a step. nil: 1 whenever ctx is cancelled.
	StopCode func() int

	// unweighted, for TestDataParallel only, averages the ranks' gradients without weighting them
	// by their shares: the mistake that the test must catch.
	unweighted bool
}

// TrainParallel is Train as one of p.Comm.Size() replicas. Opts.BatchSize is this rank's batch:
// a step takes Size·BatchSize samples together. Every rank must call it with the same trainer
// state (rank 0's, broadcast: see BroadcastTrainer), the same data and maxSteps; on returns the
// same events on every rank, with the losses of the whole batch, but the images of this rank's
// share only (none for an empty share). A stop (ctx cancelled) on any rank stops every rank after
// the same step, so that their states stay one. With one rank it is Train.
func (t *Trainer) TrainParallel(ctx context.Context, data *Dataset, maxSteps int, p DataParallel, on func(Event) error) error {
	ranks := 1
	if p.Comm != nil {
		ranks = p.Comm.Size()
	}
	if want := max(1, t.Opts.WorldSize); ranks != want {
		return fmt.Errorf("cyclegan: the trainer is set for %d ranks (Options.WorldSize) but the group has %d", want, ranks)
	}
	if ranks == 1 {
		return t.train(ctx, data, maxSteps, nil, on)
	}
	rep := &replica{DataParallel: p, rank: p.Comm.Rank(), ranks: p.Comm.Size()}
	if rep.BucketBytes <= 0 {
		rep.BucketBytes = DefaultBucketBytes
	}
	return t.train(ctx, data, maxSteps, rep, on)
}

// replica is a trainer's place in a run of several ranks, and what the ranks agreed on.
type replica struct {
	DataParallel
	rank, ranks int
	requested   int       // this rank's stop code at this step (StopCode)
	stopCodes   uint64    // bit c: some rank asked to stop with code c, at the last step
	bucket      []float32 // reused between phases
	commTime    time.Duration
}

// takeCommTime returns the time spent in collectives since the last call; 0 for no replica.
func (r *replica) takeCommTime() time.Duration {
	if r == nil {
		return 0
	}
	d := r.commTime
	r.commTime = 0
	return d
}

// size is the number of ranks; 1 for no replica (a trainer alone).
func (r *replica) size() int {
	if r == nil {
		return 1
	}
	return r.ranks
}

// stopRequested says whether the trainer stops before its next step: for a trainer alone, when
// ctx is cancelled; for a replica, when any rank asked to at the last step (the requests travel
// with the generators' losses). It takes this rank's request for the step about to run.
func (r *replica) stopRequested(ctx context.Context) bool {
	if r == nil {
		return ctx.Err() != nil
	}
	r.requested = 0
	switch {
	case r.StopCode != nil:
		r.requested = r.StopCode()
	case ctx.Err() != nil:
		r.requested = 1
	}
	return r.stopCodes != 0
}

// MaxStopCode is the largest code that DataParallel.StopCode can give.
const MaxStopCode = 31

// StopRequestError is what TrainParallel returns when a rank asked to stop (DataParallel.StopCode):
// every rank returns it, after the same step, with the codes that any rank gave. It wraps
// ErrStopped.
type StopRequestError struct {
	Codes []int // ascending, each once
}

func (e *StopRequestError) Error() string {
	return fmt.Sprintf("%v: a rank asked to stop (codes %v)", ErrStopped, e.Codes)
}

func (e *StopRequestError) Unwrap() error { return ErrStopped }

// stopError returns the StopRequestError of the codes the ranks gave.
func (r *replica) stopError() error {
	e := &StopRequestError{}
	for c := 1; c <= MaxStopCode; c++ {
		if r.stopCodes&(1<<c) != 0 {
			e.Codes = append(e.Codes, c)
		}
	}
	return e
}

// A phase of a step: the generators', then the discriminators'. Each ends with the all-reduce
// of its losses (in LossNames order); the generators' carries the stop requests too.
type phase struct {
	losses      []int
	carriesStop bool
}

var (
	generatorPhase     = phase{losses: []int{1, 2, 3, 5, 6, 7}, carriesStop: true}
	discriminatorPhase = phase{losses: []int{0, 4}}
)

// reduceLosses sums over the ranks, for one phase: this rank's samples (mine), the phase's
// losses weighted by them, whether one was not finite here (!ok), and, in the generators' phase,
// this rank's stop request. It replaces the losses by the batch's means (a NaN or an infinity on
// any rank shows in them) and returns the batch's samples, its first sample (rank 0's, for the
// error message; first when rank 0's share is empty) and whether every rank's losses were
// finite.
func (r *replica) reduceLosses(losses *Losses, ph phase, mine, first int, ok bool) (samples, batchFirst int, allOK bool, err error) {
	// A sum of 0s and 1s per stop code is an OR: it tells every rank every code requested.
	const (
		countAt = iota
		badAt
		firstAt  // rank 0's first sample + 1, when it has a share: its share comes first
		stopAt   // MaxStopCode slots, one per code
		lossesAt = stopAt + MaxStopCode
	)
	buf := make([]float64, lossesAt+len(ph.losses))
	buf[countAt] = float64(mine)
	if !ok {
		buf[badAt] = 1
	}
	if c := r.requested; ph.carriesStop && c > 0 {
		buf[stopAt+min(c, MaxStopCode)-1] = 1
	}
	if mine > 0 && r.rank == 0 {
		buf[firstAt] = float64(first + 1)
	}
	if mine > 0 {
		for i, k := range ph.losses {
			buf[lossesAt+i] = float64(mine) * losses[k]
		}
	}
	started := time.Now()
	err = r.Comm.AllReduceFloat64(buf, dist.Sum)
	r.commTime += time.Since(started)
	if err != nil {
		return 0, 0, false, fmt.Errorf("cyclegan: all-reducing the losses: %w", err)
	}
	samples = int(math.Round(buf[countAt]))
	if ph.carriesStop {
		for c := 1; c <= MaxStopCode; c++ {
			if buf[stopAt+c-1] > 0 {
				r.stopCodes |= 1 << c
			}
		}
	}
	batchFirst = first
	if buf[firstAt] > 0 {
		batchFirst = int(buf[firstAt]) - 1
	}
	if samples > 0 {
		for i, k := range ph.losses {
			losses[k] = buf[lossesAt+i] / float64(samples)
		}
	}
	return samples, batchFirst, buf[badAt] == 0, nil
}

// reduceGradients makes the gradient of every parameter in params the weighted sum over the
// ranks, Σ_r (n_r / n) · g_r, where this rank holds mine of the batch's samples. A parameter
// without a gradient (an empty share) counts as a zero one; afterwards every parameter has one.
func (r *replica) reduceGradients(params []*autograd.Var, mine, samples int) error {
	weight := float64(mine) / float64(samples)
	if r.unweighted {
		weight = 1 / float64(r.ranks)
	}
	if r.Device != nil {
		return r.reduceOnDevice(params, weight)
	}
	limit := max(1, r.BucketBytes/4)
	for start := 0; start < len(params); {
		// A bucket takes parameters in order while they fit; one larger than a bucket goes alone.
		end, elems := start, 0
		for end < len(params) && (end == start || elems+params[end].Value.Numel() <= limit) {
			elems += params[end].Value.Numel()
			end++
		}
		if err := r.reduceBucket(params[start:end], elems, float32(weight)); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// reduceBucket all-reduces the gradients of params, elems elements together, through one flat
// host buffer: weighted copies in, one all-reduce, fresh gradient tensors out (a gradient tensor
// may be shared with another parameter's, so none is written in place).
func (r *replica) reduceBucket(params []*autograd.Var, elems int, weight float32) error {
	if cap(r.bucket) < elems {
		r.bucket = make([]float32, elems)
	}
	buf := r.bucket[:elems]
	at := 0
	for _, p := range params {
		n := p.Value.Numel()
		part := buf[at : at+n]
		switch {
		case p.Grad == nil:
			clear(part)
		case p.Grad.DType() == tensor.Float32:
			// Straight into the bucket: Float32s would make a host copy of every gradient first.
			p.Grad.Backend().Download(part, p.Grad.Storage())
			scaleFloat32s(part, weight)
		default:
			copy(part, p.Grad.Float32s())
			scaleFloat32s(part, weight)
		}
		at += n
	}
	started := time.Now()
	err := r.Comm.AllReduceFloat32(buf, dist.Sum)
	r.commTime += time.Since(started)
	if err != nil {
		return fmt.Errorf("cyclegan: all-reducing the gradients: %w", err)
	}
	at = 0
	for _, p := range params {
		n := p.Value.Numel()
		g := tensor.FromFloat32(buf[at:at+n], p.Value.Shape()...) // a copy
		p.Grad = tensor.Cast(g, p.Value.DType()).To(p.Value.Backend())
		at += n
	}
	return nil
}

func scaleFloat32s(x []float32, w float32) {
	for i := range x {
		x[i] *= w
	}
}

// reduceOnDevice all-reduces the gradients where they live, with NCCL, one parameter at a time:
// each scaled by weight into a fresh tensor, summed in place.
func (r *replica) reduceOnDevice(params []*autograd.Var, weight float64) error {
	for _, p := range params {
		g := p.Grad
		if g == nil {
			g = tensor.ZerosLike(p.Value)
		}
		g = tensor.Scale(g, weight)
		started := time.Now()
		err := r.Device.AllReduce(g.Storage(), dist.Sum)
		r.commTime += time.Since(started)
		if err != nil {
			return fmt.Errorf("cyclegan: all-reducing the gradients on the device: %w", err)
		}
		p.Grad = g
	}
	return nil
}

// generatorParameters and discriminatorParameters are what OptG and OptD update, in their order.
func (t *Trainer) generatorParameters() []*autograd.Var {
	return append(t.GA.Parameters(), t.GB.Parameters()...)
}

func (t *Trainer) discriminatorParameters() []*autograd.Var {
	return append(t.DA.Parameters(), t.DB.Parameters()...)
}

// GlobalBatch is the number of samples of one optimizer step: BatchSize on each of WorldSize
// ranks.
func (o Options) GlobalBatch() int { return o.batchSize() * max(1, o.WorldSize) }

// SetWorldSize prepares a trainer loaded from a checkpoint for ranks data-parallel ranks (a new
// run sets Options.WorldSize instead: its BatchSize is per rank). A run keeps its global batch, WorldSize·BatchSize as it was saved: with another number
// of ranks each takes GlobalBatch/ranks samples, and since every random choice is keyed by the
// sample, not by the rank, the run continues exactly as it would have. A number of ranks that
// does not divide the global batch is refused (the batch would change the training), and so is
// a run with sequential random choices on more than one rank. It returns a note for the user
// when the per-rank batch changed.
func (t *Trainer) SetWorldSize(ranks int) (note string, err error) {
	o := t.Opts
	global := o.GlobalBatch()
	was := ranksAndBatch(max(1, o.WorldSize), o.batchSize())
	if ranks < 1 || ranks > MaxWorldSize {
		return "", fmt.Errorf("cyclegan: %d ranks: want 1 to %d", ranks, MaxWorldSize)
	}
	if ranks == max(1, o.WorldSize) {
		return "", nil
	}
	if global%ranks != 0 {
		return "", fmt.Errorf("cyclegan: this run was trained by %s, a global batch of %d samples, which %d ranks cannot share evenly: run it with a number of ranks that divides %d (the global batch is what the training depends on)",
			was, global, ranks, global)
	}
	o.BatchSize = global / ranks
	o.WorldSize = ranks
	if ranks == 1 {
		o.WorldSize = 0 // as a run of one process records it
	}
	if err := o.Check(); err != nil {
		return "", err
	}
	if err := o.checkMemory(); err != nil {
		return "", err
	}
	t.Opts = o
	return fmt.Sprintf("this run was trained by %s; it continues on %s, the same global batch of %d, so exactly as it would have", was, ranksAndBatch(ranks, o.BatchSize), global), nil
}

// ranksAndBatch says "2 ranks × batch 4", or "1 process with batch 8".
func ranksAndBatch(ranks, batch int) string {
	if ranks == 1 {
		return fmt.Sprintf("1 process with batch %d", batch)
	}
	return fmt.Sprintf("%d ranks × batch %d", ranks, batch)
}
