package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/zebra-go/zebra/dist"
	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/gpu/cuda"
	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/models/cyclegan"
	"github.com/zebra-go/zebra/tensor"
)

// Data-parallel training: mpirun -np N cyclegan train -dist mpi ... starts N ranks of this
// command, which train one CycleGAN together (cyclegan.TrainParallel). Rank 0 is the run as one
// process would be: it holds the run folder's lock, reads or creates the trainer, writes every
// file and prints the progress. It hands its whole trainer state to the other ranks before the
// first step (one broadcast of a checkpoint's bytes), so that every rank starts identical
// whatever its random seed or files; they read the training images, take their shares of each
// batch and write nothing.
//
// Stopping. SIGINT or SIGTERM to any one rank asks for a stop: the request travels with the next
// step's losses, so that every rank stops after that step; rank 0 saves, and every rank exits with
// 128 + the signal's number. Open MPI's mpirun does not pass SIGINT or SIGTERM on as they are: it
// sends SIGTERM to every rank and SIGKILL one second later (odls_base_sigkill_timeout, default
// 1), too soon for a step and a save at 256x256. Give it the time, as in
//
//	mpirun --mca odls_base_sigkill_timeout 120 -np 4 cyclegan train -dist mpi ...
//
// (or OMPI_MCA_odls_base_sigkill_timeout=120 in the environment), or signal one rank's process
// instead of mpirun. Slurm's scancel sends SIGTERM and waits KillWait (30 s by default) before
// SIGKILL.
//
// Waiting. A rank that waits in a collective (for a slower rank, or for rank 0 writing samples,
// a checkpoint or -eval-every's metrics) spins on its core by default; on a machine shared with
// other work, OMPI_MCA_mpi_yield_when_idle=1 makes it yield.
//
// Failures. A rank that fails alone (a data error, a full disk on rank 0, a panic, options that
// differ from rank 0's) prints its error and calls MPI_Abort, which ends every rank of the job:
// the others would otherwise wait for it in their next collective forever. Outcomes that every
// rank reaches together, after the same step (a stop, -max-iters, a non-finite loss, the end),
// end with a barrier, so that rank 0 has saved before anyone leaves, and the same exit status
// on every rank. A rank killed outright (kill -9, the OOM killer) cannot call MPI_Abort; Open MPI's
// mpirun sees it die and kills the others ("mpirun noticed that process rank 1 ... exited on
// signal 9"), MPICH's mpiexec likewise. Nothing is saved then: -resume continues from the last
// epoch's checkpoint.

// distKinds are the values of -dist.
var distKinds = []string{"none", "mpi", "nccl", "auto"}

// distUsage is -dist's help text.
const distUsage = "data-parallel training with the ranks of mpirun/srun: none, mpi (gradients through MPI), nccl (with -device cuda: gradients through NCCL) or auto (mpi under a launcher, else none); -batch-size is then per rank"

// trainGroup is a train command's place in a data-parallel run: the ranks, and the settings that
// follow from -dist.
type trainGroup struct {
	*dist.Group
	kind string
}

// openTrainDevice opens -device. With -dist nccl, each rank needs a GPU of its own: a plain
// "cuda" becomes cuda:<the rank's number on its machine>, as the launcher gives it.
func openTrainDevice(tf trainFlags) (tensor.Backend, error) {
	device := tf.device
	if tf.dist == "nccl" && device == "cuda" {
		for _, name := range []string{"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "PMIX_LOCAL_RANK"} {
			if v := os.Getenv(name); v != "" {
				device = "cuda:" + v
				break
			}
		}
	}
	backend, err := gpu.Open(device)
	if err != nil || !tf.tf32 {
		return backend, err
	}
	c, ok := backend.(*cuda.Backend)
	if !ok {
		return nil, cli.Usagef("-tf32 is for CUDA's tensor cores: it needs -device cuda, not %s", backend.Name())
	}
	return c, c.SetTF32(true)
}

// joinTrainGroup opens the group that -dist names and, with more than one rank, checks that
// every rank was started with rank 0's flags.
func joinTrainGroup(tf trainFlags, fs *flag.FlagSet, backend tensor.Backend) (*trainGroup, error) {
	if !slices.Contains(distKinds, tf.dist) {
		return nil, cli.Usagef("-dist %q: want %s", tf.dist, strings.Join(distKinds, ", "))
	}
	if _, ok := dist.Launcher(); !ok && (tf.dist == "mpi" || tf.dist == "nccl") {
		return nil, fmt.Errorf("-dist %s: this process was not started by an MPI launcher (none of OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK, SLURM_STEP_NUM_TASKS is set): start the ranks with mpirun -np N %s train -dist %s ..., or srun, or leave -dist out to train in one process",
			tf.dist, cli.Invocation(), tf.dist)
	}
	var dev dist.CUDAQueue
	if tf.dist == "nccl" {
		q, ok := backend.(dist.CUDAQueue)
		if !ok {
			return nil, cli.Usagef("-dist nccl reduces gradients in CUDA memory: it needs -device cuda, not %s (use -dist mpi for %s)", backend.Name(), backend.Name())
		}
		dev = q
	}
	group, err := dist.Open(tf.dist, dev)
	if err != nil {
		return nil, fmt.Errorf("-dist %s: %w", tf.dist, err)
	}
	g := &trainGroup{Group: group, kind: tf.dist}
	if g.Size() > 1 {
		if err := g.checkSameFlags(fs); err != nil {
			return nil, g.finish(err, nil)
		}
	}
	return g, nil
}

// checkSameFlags compares every flag's value with rank 0's, which it broadcasts: ranks that
// disagree on the model, the data or the batch would train different things and still exchange
// gradients of the same shapes, or wait for each other in different collectives.
func (g *trainGroup) checkSameFlags(fs *flag.FlagSet) error {
	mine := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { mine[f.Name] = f.Value.String() })
	text, err := json.Marshal(mine)
	if err != nil {
		return err
	}
	if text, err = g.broadcastBytes(text); err != nil {
		return err
	}
	var rank0 map[string]string
	if err := json.Unmarshal(text, &rank0); err != nil {
		return fmt.Errorf("rank 0's flags: %w", err)
	}
	var names []string
	for name := range mine {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if theirs, ok := rank0[name]; !ok || theirs != mine[name] {
			return cli.Usagef("-%s is %q on rank %d but %q on rank 0: every rank must be started with the same flags", name, mine[name], g.Rank(), theirs)
		}
	}
	return nil
}

// broadcastBytes sends rank 0's data to every rank, its length first, and returns it.
func (g *trainGroup) broadcastBytes(data []byte) ([]byte, error) {
	length := make([]byte, 8)
	binary.LittleEndian.PutUint64(length, uint64(len(data)))
	if err := g.Broadcast(length, 0); err != nil {
		return nil, err
	}
	if g.Rank() != 0 {
		data = make([]byte, binary.LittleEndian.Uint64(length))
	}
	if err := g.Broadcast(data, 0); err != nil {
		return nil, err
	}
	return data, nil
}

// share, on rank 0, fits its trainer to the group (a new run records the world size; a resumed
// one keeps its global batch: cyclegan.Trainer.SetWorldSize) and sends its state to the other
// ranks; with one rank it only fits it.
func (g *trainGroup) share(tr *cyclegan.Trainer, resumed bool, out io.Writer) error {
	if resumed {
		note, err := tr.SetWorldSize(g.Size())
		if err != nil {
			return err
		}
		if note != "" {
			fmt.Fprintln(out, "note: "+note)
		}
	} else if g.Size() > 1 {
		tr.Opts.WorldSize = g.Size()
	}
	if g.Size() == 1 {
		return nil
	}
	fmt.Fprintf(out, "data-parallel: %d ranks (%s), batch %d per rank, global batch %d\n", g.Size(), g.describe(), tr.Opts.BatchSize, tr.Opts.GlobalBatch())
	dir, err := os.MkdirTemp("", "cyclegan-share-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state.safetensors")
	if err := tr.Save(path); err != nil {
		return err
	}
	state, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = g.broadcastBytes(state)
	return err
}

// describe says how the gradients travel.
func (g *trainGroup) describe() string {
	if g.Device != nil {
		return fmt.Sprintf("gradients through NCCL on the device, losses through %v", g.Comm)
	}
	return fmt.Sprint(g.Comm)
}

// receiveTrainer, on a rank other than 0, builds the trainer from rank 0's state.
func (g *trainGroup) receiveTrainer(backend tensor.Backend, maxMemory int64) (*cyclegan.Trainer, error) {
	state, err := g.broadcastBytes(nil)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cyclegan-share-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "state.safetensors")
	if err := os.WriteFile(path, state, 0o600); err != nil {
		return nil, err
	}
	// rank 0 checked the digests a moment ago, if it read a checkpoint at all
	return cyclegan.CheckpointReader{MaxMemory: maxMemory, SkipChecksum: true}.LoadTrainer(path, backend)
}

// train runs the trainer as this rank's replica; a stop asked by any rank with SIGINT or SIGTERM
// stops every rank after the same step.
func (g *trainGroup) train(ctx context.Context, tr *cyclegan.Trainer, data *cyclegan.Dataset, maxIters int, on func(cyclegan.Event) error) error {
	p := cyclegan.DataParallel{Comm: g.Comm, Device: g.Device, StopCode: func() int {
		if s := stopSignal(ctx); s != nil && s.number > 0 {
			return s.number
		}
		if ctx.Err() != nil {
			return 1
		}
		return 0
	}}
	return tr.TrainParallel(ctx, data, maxIters, p, on)
}

// stopContext returns ctx, or when another rank's signal stopped this one, a context whose
// cause is that signal, so that this rank reports it and exits with its status.
func (g *trainGroup) stopContext(ctx context.Context, err error) context.Context {
	var stop *cyclegan.StopRequestError
	if stopSignal(ctx) != nil || !errors.As(err, &stop) {
		return ctx
	}
	code := stop.Codes[len(stop.Codes)-1] // the highest: SIGTERM (15) over SIGINT (2)
	cause := &signalError{name: fmt.Sprintf("signal %d on another rank", code), number: code}
	if code == 1 {
		cause.number = 0 // a cancellation without a signal
	}
	stopped, cancel := context.WithCancelCause(ctx)
	cancel(cause)
	return stopped
}

// follow is the train command on a rank other than 0: the trainer from rank 0, its share of
// the data, nothing written, no progress printed. Its exit status is rank 0's; its errors are
// printed only where they are its own.
func (g *trainGroup) follow(tf trainFlags, backend tensor.Backend) error {
	tr, err := g.receiveTrainer(backend, int64(tf.maxMemoryGiB)<<30)
	if err != nil {
		return err
	}
	data, err := tf.trainingData(tr.Opts)
	if err != nil {
		return err
	}
	ctx, stop := interruptContext(io.Discard)
	defer stop()
	err = g.train(ctx, tr, data, tf.maxIters, nil)
	var nfLoss *cyclegan.NonFiniteLossError
	var nfState *cyclegan.NonFiniteStateError
	switch {
	case errors.As(err, &nfLoss) || errors.As(err, &nfState):
		return &cli.ExitError{Code: cli.ExitFailure} // rank 0 says it
	case errors.Is(err, cyclegan.ErrStopped):
		return signalStatus(g.stopContext(ctx, err))
	}
	return err
}

// finish ends this rank's part. With one rank it closes the group and returns err. With more,
// an outcome that every rank reaches together (collective) ends at a barrier, after which the
// group is closed and err returned; anything else, and a panic (recovered, passed in), is this
// rank's alone: it is printed, and MPI_Abort ends the whole job with the exit status err calls
// for.
func (g *trainGroup) finish(err error, recovered any) error {
	if recovered != nil && g.Size() == 1 {
		panic(recovered) // alone, a panic is what it always was (the stack still holds its frames)
	}
	if recovered == nil && (g.Size() == 1 || collective(err)) {
		if g.Size() > 1 {
			if barrierErr := g.Barrier(); barrierErr != nil && err == nil {
				err = barrierErr
			}
		}
		if closeErr := g.Close(); closeErr != nil && err == nil {
			err = closeErr
		}
		return err
	}
	code := cli.ExitFailure
	var usageErr *cli.UsageError
	switch {
	case recovered != nil:
		code = 2 // a Go program's status after a panic
		fmt.Fprintf(os.Stderr, "cyclegan train: rank %d of %d: panic: %v\n%s", g.Rank(), g.Size(), recovered, debug.Stack())
	case errors.As(err, &usageErr):
		code = cli.ExitUsage
		fallthrough
	default:
		fmt.Fprintf(os.Stderr, "cyclegan train: rank %d of %d: %v\n", g.Rank(), g.Size(), err)
	}
	fmt.Fprintf(os.Stderr, "cyclegan train: rank %d of %d: aborting every rank (MPI_Abort %d)\n", g.Rank(), g.Size(), code)
	if m, ok := g.Comm.(*dist.MPI); ok {
		m.Abort(code)
	}
	os.Exit(code) // MPI_Abort does not return; a communicator without it ends here
	return nil
}

// collective reports whether err is an outcome that every rank of a data-parallel run reaches
// after the same step: every rank knows every loss, stop request and sample count.
func collective(err error) bool {
	var nfLoss *cyclegan.NonFiniteLossError
	var nfState *cyclegan.NonFiniteStateError
	var exit *cli.ExitError
	return err == nil || errors.Is(err, cyclegan.ErrStopped) || errors.Is(err, cyclegan.ErrNoSteps) ||
		errors.As(err, &nfLoss) || errors.As(err, &nfState) || (errors.As(err, &exit) && exit.Err == nil)
}
