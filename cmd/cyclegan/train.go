package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/zebra-go/zebra/internal/atomicfile"
	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// trainFlags are the train command's settings besides the model's Options.
type trainFlags struct {
	runs          string
	device        string
	saveEvery     int
	maxIters      int
	resume        bool
	skipBadImages bool
	workers       int
	quiet         bool
	maxMemoryGiB  int
	skipChecksum  bool
	sampleEvery   int    // write the eight sample images every N steps (0: only at epoch ends)
	epochSave     string // what a periodic epoch checkpoint holds: generators, networks or full
	evalEvery     int    // -eval-every: test-set FID and KID every N epochs (0: none; evalduring.go)
	inception     string // -inception: the FID Inception weights that -eval-every measures with
	dist          string // -dist: none, mpi, nccl or auto (distributed.go)
	tf32          bool   // -tf32: cuBLAS products in TF32 on a CUDA device
}

func runTrain(args []string) (err error) {
	o := cyclegan.DefaultOptions()
	var tf trainFlags
	fs := trainFlagSet(&o, &tf)
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected arguments %q (all settings are flags)", fs.Args())
	}
	if o.Name == "" {
		o.Name = filepath.Base(filepath.Clean(o.DataRoot))
	}
	if err := tf.check(); err != nil {
		return &cli.UsageError{Err: err}
	}
	if !tf.resume {
		if err := o.Check(); err != nil { // a flag out of range; on -resume the checkpoint's options count
			return &cli.UsageError{Err: err}
		}
	}
	maxMemory := int64(tf.maxMemoryGiB) << 30
	backend, err := openTrainDevice(tf)
	if err != nil {
		return err
	}
	group, err := joinTrainGroup(tf, fs, backend)
	if err != nil {
		return err
	}
	defer func() { err = group.finish(err, recover()) }()
	if group.Rank() > 0 {
		return group.follow(tf, backend) // rank 0 alone reads and writes the run folder
	}
	lowerGCTarget(o)
	runDir := filepath.Join(tf.runs, o.Name)
	latest := filepath.Join(runDir, "checkpoints", "latest.safetensors")
	if _, err := os.Stat(latest); tf.resume && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cannot resume %s: it has no checkpoint (%s does not exist); leave out -resume to start it", runDir, latest)
	}
	// Everything below reads or writes the run folder: hold its lock from before the checkpoint
	// is read to the end.
	release, err := lockRun(runDir)
	if err != nil {
		return err
	}
	defer release()
	if err := removeStaleTemporaries(runDir); err != nil {
		return err
	}

	var tr *cyclegan.Trainer
	if tf.resume {
		if tr, err = (cyclegan.CheckpointReader{MaxMemory: maxMemory, SkipChecksum: tf.skipChecksum}).LoadTrainer(latest, backend); err != nil {
			use := fmt.Sprintf("to continue from the newest, move %s aside, copy %%s to its place and run -resume again", filepath.Base(latest))
			return checkpointHint(memoryHint(checkpointError(err, latest)), latest, use, resumable)
		}
		// Only the data location may change on resume; everything else is the checkpoint's.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["dataroot"] {
			tr.Opts.DataRoot = o.DataRoot
		}
		var ignored []string
		for name := range set {
			if !map[string]bool{"dataroot": true, "name": true, "runs": true, "device": true, "save-every": true,
				"max-iters": true, "resume": true, "skip-bad-images": true, "workers": true, "quiet": true,
				"max-memory": true, "skip-checksum": true, "sample-every": true, "epoch-save": true,
				"eval-every": true, "inception": true, "dist": true, "tf32": true}[name] {
				ignored = append(ignored, "-"+name)
			}
		}
		if len(ignored) > 0 {
			sort.Strings(ignored)
			fmt.Fprintf(os.Stderr, "note: %s ignored: a resumed run keeps the options of its checkpoint\n", strings.Join(ignored, " "))
		}
		fmt.Fprintf(os.Stderr, "resuming %s at epoch %d, sample %d (%d steps done)\n", runDir, tr.Epoch+1, tr.Index, tr.Steps)
		if tr.Opts.Sampling == cyclegan.SamplingSequential {
			fmt.Fprintln(os.Stderr, "note: this run began before per-sample randomness; it continues with the sequential random choices it began with, in batches of 1")
		}
	} else {
		if _, err := os.Stat(latest); err == nil {
			return fmt.Errorf("%s already has a checkpoint: add -resume to continue it, or choose another -name", runDir)
		}
		o.MaxMemory = maxMemory
		if tr, err = cyclegan.NewTrainer(o, backend); err != nil {
			return memoryHint(err)
		}
	}
	if err := group.share(tr, tf.resume, os.Stderr); err != nil {
		return err
	}
	data, err := tf.trainingData(tr.Opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(runDir, "checkpoints"), 0o755); err != nil {
		return err
	}
	optsJSON, err := json.MarshalIndent(tr.Opts, "", "  ")
	if err != nil {
		return fmt.Errorf("options: %w", err)
	}
	if err := writeFile(filepath.Join(runDir, "options.json"), append(optsJSON, '\n')); err != nil {
		return err
	}
	log, err := openLossLog(runDir, tr.Steps, data.Len())
	if err != nil {
		return err
	}
	defer log.close()

	ctx, stop := interruptContext(os.Stderr)
	defer stop()

	fmt.Fprintf(os.Stderr, "training %s on %s: %d A and %d B images, %d samples per epoch in %s, %d epochs, %s, device %s\n",
		o.Name, tr.Opts.DataRoot, len(data.PathsA), len(data.PathsB), data.Len(), stepsPerEpoch(data.Len(), tr.Opts.GlobalBatch()),
		tr.TotalEpochs(), describe(tr.Opts), backend.Name())
	rep := &reporter{tr: tr, runDir: runDir, log: log, tf: tf, epochLen: data.Len(), out: os.Stderr}
	if rep.eval, err = newTrainEval(tf, tr, runDir, os.Stderr, openInception); err != nil {
		return err
	}
	stepsBefore := tr.Steps
	rep.startProgress() // the clock starts now, so that the first step is timed too
	err = group.train(ctx, tr, data, tf.maxIters, rep.event)
	ctx = group.stopContext(ctx, err) // a signal to another rank stops this one too
	rep.leaveBar()
	if data.Skipped() > 0 {
		fmt.Fprintf(os.Stderr, "skipped %d unreadable image files\n", data.Skipped())
	}
	var nfLoss *cyclegan.NonFiniteLossError
	var nfState *cyclegan.NonFiniteStateError
	switch {
	case errors.As(err, &nfLoss) || errors.As(err, &nfState): // the trainer's state is not worth saving
		log.flush()
		log.plot(filepath.Join(runDir, "loss.png"))
		return nonFiniteError(err, latest)
	case err != nil && tr.Steps == stepsBefore:
		// Stopped before the first step (a data error at sample 0, a signal): there is nothing
		// new to keep. A checkpoint of a fresh run's untrained state would only stand in the
		// way of rerunning the same command with the mistake fixed, since its options win on
		// -resume.
		if !errors.Is(err, cyclegan.ErrStopped) {
			return fmt.Errorf("%w\n%s", err, nothingSaved(tr, latest))
		}
		fmt.Fprintln(os.Stderr, nothingSaved(tr, latest))
		return signalStatus(ctx)
	case err != nil && !errors.Is(err, cyclegan.ErrStopped):
		// A data error (a corrupt image, an I/O error) or a failed write: the trainer stands
		// between two steps, so keep what was trained before reporting the error.
		if saveErr := rep.save(latest, true); saveErr != nil {
			return errors.Join(err, fmt.Errorf("and saving the checkpoint failed: %w", saveErr))
		}
		printResume(tr, data.Len(), latest, tf.runs, o.Name, "stopped")
		return err
	case err != nil: // a signal or -max-iters
		if err := rep.save(latest, true); err != nil {
			return err
		}
		why := fmt.Sprintf("stopped after -max-iters %d", tf.maxIters)
		if s := stopSignal(ctx); s != nil {
			why = "stopped by " + s.Error()
		}
		printResume(tr, data.Len(), latest, tf.runs, o.Name, why)
		return signalStatus(ctx)
	}
	fmt.Fprintf(os.Stderr, "done: %d epochs; report %s, checkpoint %s\n", tr.TotalEpochs(), filepath.Join(runDir, "index.html"), latest)
	return nil
}

// trainFlagSet defines the train command's flags, which set o and tf.
func trainFlagSet(o *cyclegan.Options, tf *trainFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("cyclegan train", flag.ContinueOnError)
	fs.StringVar(&o.DataRoot, "dataroot", filepath.Join("data", "demo", "horse2zebra"), "dataset folder holding trainA and trainB")
	fs.StringVar(&o.Name, "name", "", "name of the run: its files go to <runs>/<name> (default: the dataroot's folder name)")
	fs.StringVar(&tf.runs, "runs", "runs", "folder that holds the runs")
	fs.IntVar(&o.Epochs, "epochs", o.Epochs, "epochs at the initial learning rate")
	fs.IntVar(&o.DecayEpochs, "decay-epochs", o.DecayEpochs, "epochs over which the learning rate then decays linearly")
	fs.Float64Var(&o.LR, "lr", o.LR, "initial learning rate of both Adam optimizers")
	fs.Float64Var(&o.Beta1, "beta1", o.Beta1, "Adam's beta1")
	fs.Float64Var(&o.LambdaA, "lambda-a", o.LambdaA, "weight of the cycle loss A -> B -> A")
	fs.Float64Var(&o.LambdaB, "lambda-b", o.LambdaB, "weight of the cycle loss B -> A -> B")
	fs.Float64Var(&o.LambdaIdentity, "lambda-identity", o.LambdaIdentity, "weight of the identity loss, relative to lambda-a/b (0 turns it off)")
	fs.IntVar(&o.PoolSize, "pool-size", o.PoolSize, "generated images kept for the discriminators (0: none)")
	fs.IntVar(&o.BatchSize, "batch-size", o.BatchSize, "samples per optimizer step (per rank with -dist: a step takes ranks × this); the losses are batch means, an epoch's last batch may be shorter")
	fs.IntVar(&o.NGF, "ngf", o.NGF, "filters in the generators' first layer")
	fs.IntVar(&o.NDF, "ndf", o.NDF, "filters in the discriminators' first layer")
	fs.IntVar(&o.Blocks, "blocks", o.Blocks, "residual blocks per generator (9 for 256x256, 6 for 128x128)")
	fs.IntVar(&o.DLayers, "d-layers", o.DLayers, "stride-2 layers of the PatchGAN discriminators")
	fs.IntVar(&o.LoadSize, "load-size", o.LoadSize, "resize images to this size (bicubic)")
	fs.IntVar(&o.CropSize, "crop-size", o.CropSize, "then crop a random square of this size")
	fs.StringVar(&o.Preprocess, "preprocess", o.Preprocess, "resize_and_crop, crop, or none (keep sizes, rounded to a multiple of 4)")
	fs.BoolVar(&o.NoFlip, "no-flip", false, "do not flip images left-right at random")
	fs.Uint64Var(&o.Seed, "seed", 0, "random seed: the same seed and data give the same weights")
	fs.StringVar(&tf.device, "device", "cpu", "cpu, opencl[:N] or cuda[:N]")
	fs.StringVar(&tf.dist, "dist", "none", distUsage)
	fs.BoolVar(&tf.tf32, "tf32", false, "with -device cuda: matrix products on the tensor cores with TF32 operands (10-bit mantissas), as PyTorch's cuDNN convolutions by default: about 1.4x faster steps, results about 1e-3 off float32's")
	fs.IntVar(&tf.saveEvery, "save-every", 5, "keep a checkpoint every N epochs (latest is saved every epoch; 0: none)")
	fs.IntVar(&tf.sampleEvery, "sample-every", 400, "write the eight sample images every N steps, at the first step and on a stop (0: only at epoch ends)")
	fs.StringVar(&tf.epochSave, "epoch-save", "generators", "what each -save-every checkpoint holds: generators, networks (and discriminators) or full (resumable); latest is always full")
	fs.IntVar(&tf.evalEvery, "eval-every", 0, "every N epochs and at the last, FID and KID of both generators on the test set (testA, testB) into metrics.csv and metrics.png, keeping checkpoints/best.safetensors, "+bestSelection+" (0: none; needs -inception)")
	fs.StringVar(&tf.inception, "inception", "", "with -eval-every: pytorch-fid's Inception weights (cyclegan download-model fid-inception)")
	fs.IntVar(&tf.maxIters, "max-iters", 0, "stop after this many iterations (optimizer steps, one per batch), save and print how to resume (0: no limit)")
	fs.BoolVar(&tf.resume, "resume", false, "continue <runs>/<name> from its latest checkpoint; the options come from it")
	fs.BoolVar(&tf.skipBadImages, "skip-bad-images", false, "skip and count unreadable images instead of stopping")
	fs.IntVar(&tf.workers, "workers", 0, "image loading goroutines (0: automatic)")
	fs.BoolVar(&tf.quiet, "quiet", false, "no progress bar; one line per epoch")
	fs.BoolVar(&tf.skipChecksum, "skip-checksum", false, "with -resume: do not compare the checkpoint's data with its SHA-256 digests (huge files, or salvaging a damaged one)")
	fs.IntVar(&tf.maxMemoryGiB, "max-memory", int(cyclegan.DefaultMaxMemory>>30), "refuse a run whose estimated memory exceeds this many GiB")
	fs.Usage = func() { printTrainUsage(fs.Output(), fs) }
	return fs
}

// removeStaleTemporaries removes what a killed train left of the files it writes atomically (a
// whole checkpoint's worth for each save it was in). The run's lock says that nobody is writing
// them now.
func removeStaleTemporaries(runDir string) error {
	var removed []string
	for _, pattern := range []string{"options.json", "loss.csv", "loss.png", "index.html",
		filepath.Join("checkpoints", "*.safetensors"), filepath.Join("images", "*.png")} {
		r, err := atomicfile.RemoveStale(filepath.Join(runDir, pattern))
		if err != nil {
			return err
		}
		removed = append(removed, r...)
	}
	if len(removed) > 0 {
		fmt.Fprintf(os.Stderr, "removed %d temporary files that an interrupted run left in %s\n", len(removed), runDir)
	}
	return nil
}

// Bounds of the train flags that the model's Options.Check does not see: -max-memory (1 PiB) so
// that the byte count cannot overflow, -workers because each worker gets two prefetched samples
// and a channel slot (a billion workers asked for 16 GB of channel).
const (
	maxMemoryGiB = 1 << 20
	maxWorkers   = 256
)

// trainingData opens the training set of o as -skip-bad-images and -workers say.
func (tf trainFlags) trainingData(o cyclegan.Options) (*cyclegan.Dataset, error) {
	data, err := o.TrainingData(tf.skipBadImages)
	if err != nil {
		return nil, err
	}
	if tf.workers > 0 {
		data.SetWorkers(tf.workers)
	}
	return data, nil
}

// check reports the first train flag (besides the model's options) that cannot work.
func (tf trainFlags) check() error {
	switch {
	case tf.maxMemoryGiB < 1 || tf.maxMemoryGiB > maxMemoryGiB:
		return fmt.Errorf("-max-memory %d: want 1 to %d GiB", tf.maxMemoryGiB, maxMemoryGiB)
	case tf.saveEvery < 0:
		return fmt.Errorf("-save-every %d: want a number of epochs, or 0 for none", tf.saveEvery)
	case tf.sampleEvery < 0:
		return fmt.Errorf("-sample-every %d: want a number of steps, or 0 for epoch ends only", tf.sampleEvery)
	case tf.epochSave != "generators" && tf.epochSave != "networks" && tf.epochSave != "full":
		return fmt.Errorf("-epoch-save %q: want generators, networks or full", tf.epochSave)
	case tf.evalEvery < 0:
		return fmt.Errorf("-eval-every %d: want a number of epochs, or 0 for none", tf.evalEvery)
	case tf.evalEvery > 0 && tf.inception == "":
		return errors.New("-eval-every needs -inception FILE, pytorch-fid's weights (cyclegan download-model fid-inception fetches them)")
	case tf.evalEvery == 0 && tf.inception != "":
		return errors.New("-inception is for -eval-every N, which is not set")
	case tf.maxIters < 0:
		return fmt.Errorf("-max-iters %d: want a number of iterations, or 0 for no limit", tf.maxIters)
	case tf.workers < 0 || tf.workers > maxWorkers:
		return fmt.Errorf("-workers %d: want 1 to %d loading goroutines, or 0 to choose automatically", tf.workers, maxWorkers)
	}
	return nil
}

// memoryHint adds to an error over the memory budget the flag that raises it.
func memoryHint(err error) error {
	if errors.Is(err, cyclegan.ErrMemoryBudget) {
		return fmt.Errorf("%w (-max-memory raises the budget, if the machine has the memory)", err)
	}
	return err
}

// nothingSaved says that a run stopped before its first step left its checkpoint as it was.
func nothingSaved(tr *cyclegan.Trainer, latest string) string {
	if tr.Steps == 0 {
		return "no step was taken, so no checkpoint was saved: run the same command again once the problem is fixed"
	}
	return fmt.Sprintf("no step was taken, so %s is as it was", latest)
}

// printResume says why (stopped, "stopped by SIGINT") and where training stopped, and how to
// continue it. The checkpoint holds the options, data location included, so the command needs
// only the run's name; it is written as the user ran the program (go run ./cmd/cyclegan, a path,
// or the name on PATH), so that it works when pasted.
func printResume(tr *cyclegan.Trainer, epochLen int, latest, runs, name, why string) {
	resume := cli.Invocation() + " train " + cli.ShellQuote("-runs", runs, "-name", name, "-resume")
	fmt.Fprintf(os.Stderr, "%s at epoch %d, sample %d/%d; saved %s\nresume with: %s\n", why, tr.Epoch+1, tr.Index, epochLen, latest, resume)
}

// interruptContext returns a context that the first SIGINT or SIGTERM cancels, announcing on out
// that training stops after the current step; from then on the signals have their default
// effect, so a second Ctrl-C ends the program at once. The signal is the context's cause
// (stopSignal reads it back), so that the program can exit with its status. stop releases the
// signals and waits for the watcher to end. The announcement is printed only when a signal
// arrived: stop cancels the context too, so the watcher cannot take a cancelled context for a
// signal.
func interruptContext(out io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case sig := <-signals:
			signal.Stop(signals) // a second Ctrl-C ends the program at once
			fmt.Fprintln(out, "\nstopping after this step to save a checkpoint\n(Ctrl-C again to quit without saving)")
			cause := &signalError{name: sig.String()}
			if s, ok := sig.(syscall.Signal); ok {
				cause.number = int(s)
			}
			cancel(cause)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		<-finished
		cancel(nil)
	}
}

// signalError is the cause of a context that a signal cancelled.
type signalError struct {
	name   string // as os.Signal's String gives it: "interrupt", "terminated"
	number int    // 2 for SIGINT, 15 for SIGTERM
}

func (e *signalError) Error() string {
	switch e.number {
	case int(syscall.SIGINT):
		return "SIGINT (Ctrl-C)"
	case int(syscall.SIGTERM):
		return "SIGTERM"
	}
	return e.name
}

// stopSignal returns the signal that cancelled a context of interruptContext, or nil.
func stopSignal(ctx context.Context) *signalError {
	var s *signalError
	if errors.As(context.Cause(ctx), &s) {
		return s
	}
	return nil
}

// signalStatus returns, for a run that a signal stopped, the error that makes the program exit
// with 128 plus the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a
// process the signal ended, so that a script can tell an interrupted run from a finished one;
// nil otherwise. What was saved and how to resume is printed before.
func signalStatus(ctx context.Context) error {
	if s := stopSignal(ctx); s != nil && s.number > 0 {
		return &cli.ExitError{Code: 128 + s.number}
	}
	return nil
}

// nonFiniteError adds to a NaN/Inf stop what the user still has: the last checkpoint, if one
// was saved (the failed step is never saved over it, and Trainer.Save refuses non-finite state).
func nonFiniteError(err error, latest string) error {
	if _, statErr := os.Stat(latest); statErr == nil {
		return fmt.Errorf("%w; kept %s, the last checkpoint", err, latest)
	}
	return fmt.Errorf("%w; no checkpoint was saved yet", err)
}

// lowerGCTarget sets the collector's target for the run (MemoryEstimate.GCPercent), unless
// GOGC is set. Options that fail their check are left to NewTrainer to refuse: the estimate
// walks the networks' layers, and must not for a -blocks of 10^18.
func lowerGCTarget(o cyclegan.Options) {
	if os.Getenv("GOGC") == "" && o.Check() == nil {
		debug.SetGCPercent(o.MemoryEstimate().GCPercent())
	}
}

func describe(o cyclegan.Options) string {
	return fmt.Sprintf("ngf %d, %d blocks, ndf %d, %s %d/%d", o.NGF, o.Blocks, o.NDF, o.Preprocess, o.LoadSize, o.CropSize)
}

// stepsPerEpoch says how many optimizer steps an epoch of n samples takes in batches of size:
// ⌈n/size⌉, the last batch shorter when size does not divide n.
func stepsPerEpoch(n, size int) string {
	size = max(1, size)
	steps := (n + size - 1) / size
	switch {
	case size == 1:
		return fmt.Sprintf("%d steps of 1", steps)
	case n%size == 0:
		return fmt.Sprintf("%d steps of batch %d", steps, size)
	}
	return fmt.Sprintf("%d steps of batch %d (the last of %d)", steps, size, n%size)
}
