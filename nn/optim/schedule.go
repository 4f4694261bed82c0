package optim

import (
	"fmt"
	"math"
	"strconv"
)

// Scheduler sets an optimizer's learning rate once per epoch, as PyTorch's
// torch.optim.lr_scheduler classes do:
//
//	sched := optim.NewLinearDecayLR(opt, 100, 100) // epoch 0's rate is set here
//	for epoch := 0; epoch < 200; epoch++ {
//		for ... { opt.ZeroGrad(); loss.Backward(); opt.Step() }
//		sched.Step() // after the epoch's optimizer steps: sets the rate of epoch+1
//	}
//
// Construction reads the optimizer's current rate as the base rate and sets the rate of epoch 0
// (LastEpoch 0); each Step advances LastEpoch by one and sets that epoch's rate.
//
// Every schedule here computes the rate of an epoch in closed form from the base rate. PyTorch's
// StepLR and CosineAnnealingLR use a "chainable" recursive form (the previous rate times a
// factor) that is mathematically the same; the two differ by rounding, a relative 1e-14 over 200
// epochs, and the golden tests hold them to 1e-12. A closed form also means a restored schedule
// does not depend on the optimizer's rate having been restored first.
type Scheduler interface {
	// Step ends an epoch: LastEpoch grows by one and the optimizer gets that epoch's rate.
	Step()
	// LastEpoch is the epoch whose rate is in effect, 0 right after construction.
	LastEpoch() int
	// LR is the rate the schedule set for LastEpoch (PyTorch's get_last_lr).
	LR() float64
	// State returns the schedule's kind, parameters, base rate and LastEpoch as strings.
	State() map[string]string
	// LoadState restores a state returned by State, checking everything before changing anything,
	// and sets the optimizer's rate to that of the restored LastEpoch.
	LoadState(meta map[string]string) error
}

// schedule is what every scheduler shares: the optimizer, the base rate, the epoch counter, a
// function giving the rate of an epoch, and the state table that State and LoadState walk.
type schedule struct {
	opt       Optimizer
	baseLR    float64
	lastEpoch int
	lastLR    float64
	lrAt      func(epoch int) float64

	// kind is the schedule's name under the "scheduler" key ("StepLR").
	kind string
	// fields are the rest of its state: last_epoch and base_lr, then the kind's own parameters.
	fields []stateField
}

// stateField is one row of a schedule's state table: the metadata key and the variable it is
// read into, either an integer (with the least value a state may hold) or a float (which must be
// finite). The value is written with strconv.Itoa or formatFloat, so that it reads back exactly.
type stateField struct {
	key    string
	intVar *int
	intMin int
	float  *float64
}

func intField(key string, v *int, min int) stateField {
	return stateField{key: key, intVar: v, intMin: min}
}
func floatField(key string, v *float64) stateField { return stateField{key: key, float: v} }

// start records the optimizer's rate as the base rate and sets epoch 0's rate, as the first
// (implicit) step of a PyTorch scheduler does. own lists the kind's parameters for its state.
func (s *schedule) start(opt Optimizer, kind string, lrAt func(epoch int) float64, own ...stateField) {
	s.opt, s.baseLR, s.lrAt = opt, opt.LR(), lrAt
	s.kind = kind
	s.fields = append([]stateField{intField("last_epoch", &s.lastEpoch, 0), floatField("base_lr", &s.baseLR)}, own...)
	s.setEpoch(0)
}

func (s *schedule) setEpoch(epoch int) {
	s.lastEpoch = epoch
	s.lastLR = s.lrAt(epoch)
	s.opt.SetLR(s.lastLR)
}

// Step ends an epoch and sets the next epoch's rate.
func (s *schedule) Step() { s.setEpoch(s.lastEpoch + 1) }

// LastEpoch is the epoch whose rate is in effect.
func (s *schedule) LastEpoch() int { return s.lastEpoch }

// LR is the rate set for LastEpoch.
func (s *schedule) LR() float64 { return s.lastLR }

// BaseLR is the optimizer's rate when the schedule was made (PyTorch's base_lrs[0]).
func (s *schedule) BaseLR() float64 { return s.baseLR }

// State returns the schedule's state: its kind under "scheduler" and each field of its table
// under its key, for example
//
//	scheduler=StepLR last_epoch=4 base_lr=0.0002 step_size=3 gamma=0.5
func (s *schedule) State() map[string]string {
	meta := map[string]string{"scheduler": s.kind}
	for _, f := range s.fields {
		if f.intVar != nil {
			meta[f.key] = strconv.Itoa(*f.intVar)
		} else {
			meta[f.key] = formatFloat(*f.float)
		}
	}
	return meta
}

// LoadState restores a state written by State into a schedule of the same kind, its parameters
// included (a LambdaLR's lambda is not state: it restores into one made with the same function).
// It reads and checks every field before storing any, so a refused state changes nothing, and
// then sets the optimizer's rate to that of the restored LastEpoch.
func (s *schedule) LoadState(meta map[string]string) error {
	r := &metaReader{op: "optim." + s.kind + ".LoadState", meta: meta}
	r.checkKind("scheduler", s.kind)
	keys := []string{"scheduler"}
	for _, f := range s.fields {
		keys = append(keys, f.key)
	}
	r.checkKeys(keys...)
	ints := make([]int, len(s.fields))
	floats := make([]float64, len(s.fields))
	for i, f := range s.fields {
		if f.intVar == nil {
			floats[i] = r.float(f.key) // refuses NaN and ±Inf
			continue
		}
		ints[i] = r.int(f.key)
		r.check(ints[i] >= f.intMin, "metadata %q is %d, want ≥ %d", f.key, ints[i], f.intMin)
	}
	if r.err != nil {
		return r.err
	}
	for i, f := range s.fields {
		if f.intVar != nil {
			*f.intVar = ints[i]
		} else {
			*f.float = floats[i]
		}
	}
	s.setEpoch(s.lastEpoch)
	return nil
}

// LambdaLR sets the rate of epoch e to BaseLR * lambda(e) (torch.optim.lr_scheduler.LambdaLR).
// Its State cannot hold lambda: LoadState restores the epoch and base rate into a LambdaLR made
// with the same function.
type LambdaLR struct {
	schedule
	lambda func(epoch int) float64
}

// NewLambdaLR returns a LambdaLR over opt and sets the rate of epoch 0.
func NewLambdaLR(opt Optimizer, lambda func(epoch int) float64) *LambdaLR {
	if lambda == nil {
		panic("optim.NewLambdaLR: nil lambda")
	}
	s := &LambdaLR{lambda: lambda}
	s.start(opt, "LambdaLR", func(e int) float64 { return s.baseLR * s.lambda(e) })
	return s
}

// LinearDecay is CycleGAN's learning-rate rule for LambdaLR: 1 for the first nEpochs epochs, then
// a linear decay over the next nEpochsDecay epochs towards (never reaching) 0. During epoch e,
// counted from 0, the factor is
//
//	1 - max(0, e + 1 - nEpochs) / (nEpochsDecay + 1)
//
// so for 100+100 epochs epochs 0..99 run at the base rate, epoch 100 at 100/101 of it, and the
// last epoch, 199, at 1/101 of it (DESIGN.md).
//
// The "+ 1" is the official code's epoch_count, its 1-based epoch number (default 1), which its
// rule adds to the 0-based epoch the scheduler passes: lr_l = 1 - max(0, epoch + epoch_count -
// n_epochs) / float(n_epochs_decay + 1). With PyTorch's order (scheduler.step() after the epoch's
// optimizer steps, which the original train.py follows) the rate during 0-based epoch e is the
// rule at e, which is the formula above; its denominator nEpochsDecay + 1, not nEpochsDecay, is
// why the final epoch runs at base/101 rather than 0. Later
// versions of train.py call update_learning_rate() at the start of every epoch instead; that
// shifts the schedule one epoch earlier (the first decayed epoch is the 100th, and the last one
// runs at exactly 0). zebra follows DESIGN.md: the first schedule, stepped after each epoch.
func LinearDecay(nEpochs, nEpochsDecay int) func(epoch int) float64 {
	if nEpochs < 0 || nEpochsDecay < 0 {
		panic(fmt.Sprintf("optim.LinearDecay: epochs %d and %d must be ≥ 0", nEpochs, nEpochsDecay))
	}
	return func(epoch int) float64 {
		return 1 - float64(max(0, epoch+1-nEpochs))/float64(nEpochsDecay+1)
	}
}

// LinearDecayLR is a LambdaLR with CycleGAN's LinearDecay rule whose State records its two epoch
// counts, so it can be restored without the caller rebuilding the rule.
type LinearDecayLR struct {
	schedule
	nEpochs, nEpochsDecay int
}

// NewLinearDecayLR returns CycleGAN's schedule over opt (nEpochs at the base rate, then
// nEpochsDecay decaying; see LinearDecay) and sets the rate of epoch 0.
func NewLinearDecayLR(opt Optimizer, nEpochs, nEpochsDecay int) *LinearDecayLR {
	LinearDecay(nEpochs, nEpochsDecay) // panics on negative counts
	s := &LinearDecayLR{nEpochs: nEpochs, nEpochsDecay: nEpochsDecay}
	// The rule is rebuilt from the counts at each epoch, so that LoadState need only set them.
	s.start(opt, "LinearDecayLR", func(e int) float64 { return s.baseLR * LinearDecay(s.nEpochs, s.nEpochsDecay)(e) },
		intField("n_epochs", &s.nEpochs, 0), intField("n_epochs_decay", &s.nEpochsDecay, 0))
	return s
}

// StepLR multiplies the rate by Gamma every StepSize epochs (torch.optim.lr_scheduler.StepLR):
// during epoch e the rate is BaseLR * Gamma^floor(e / StepSize).
type StepLR struct {
	schedule
	stepSize int
	gamma    float64
}

// NewStepLR returns a StepLR over opt and sets the rate of epoch 0. PyTorch's default gamma is 0.1.
func NewStepLR(opt Optimizer, stepSize int, gamma float64) *StepLR {
	if p := stepLRProblem(stepSize, gamma); p != "" {
		panic("optim.NewStepLR: " + p)
	}
	s := &StepLR{stepSize: stepSize, gamma: gamma}
	s.start(opt, "StepLR", func(e int) float64 { return s.baseLR * math.Pow(s.gamma, float64(e/s.stepSize)) },
		intField("step_size", &s.stepSize, 1), floatField("gamma", &s.gamma))
	return s
}

func stepLRProblem(stepSize int, gamma float64) string {
	if stepSize < 1 {
		return fmt.Sprintf("step size %d must be ≥ 1", stepSize)
	}
	if math.IsNaN(gamma) || math.IsInf(gamma, 0) {
		return fmt.Sprintf("gamma %v must be finite", gamma)
	}
	return ""
}

// CosineAnnealingLR follows half a cosine from the base rate down to EtaMin over TMax epochs
// (torch.optim.lr_scheduler.CosineAnnealingLR, from Loshchilov & Hutter, "SGDR", 2016, without
// the restarts): during epoch e the rate is
//
//	EtaMin + (BaseLR - EtaMin) * (1 + cos(π e / TMax)) / 2
//
// Past TMax it keeps following the cosine back up, as PyTorch's does.
type CosineAnnealingLR struct {
	schedule
	tMax   int
	etaMin float64
}

// NewCosineAnnealingLR returns a CosineAnnealingLR over opt and sets the rate of epoch 0.
func NewCosineAnnealingLR(opt Optimizer, tMax int, etaMin float64) *CosineAnnealingLR {
	if p := cosineProblem(tMax, etaMin); p != "" {
		panic("optim.NewCosineAnnealingLR: " + p)
	}
	s := &CosineAnnealingLR{tMax: tMax, etaMin: etaMin}
	s.start(opt, "CosineAnnealingLR", func(e int) float64 {
		return s.etaMin + (s.baseLR-s.etaMin)*(1+math.Cos(math.Pi*float64(e)/float64(s.tMax)))/2
	}, intField("t_max", &s.tMax, 1), floatField("eta_min", &s.etaMin))
	return s
}

func cosineProblem(tMax int, etaMin float64) string {
	if tMax < 1 {
		return fmt.Sprintf("TMax %d must be ≥ 1", tMax)
	}
	if math.IsNaN(etaMin) || math.IsInf(etaMin, 0) {
		return fmt.Sprintf("EtaMin %v must be finite", etaMin)
	}
	return ""
}
