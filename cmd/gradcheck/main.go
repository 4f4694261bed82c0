// Command gradcheck checks the backward of every registered op and layer against central finite
// differences in float64 (autograd.GradCheck, modelled on torch.autograd.gradcheck) and prints one
// row per check:
//
//	NAME            SHAPES          MAX ABS ERR  MAX REL ERR  RESULT
//	add/broadcast   [2,3] + [3]     1.1e-10      1.1e-10      PASS
//
// A check passes when every Jacobian entry is within GradCheck's tolerances (those of PyTorch) and
// its largest relative error is below -max-rel; failures are explained under the table. The exit
// status is 1 when any check fails (or none matches -run) and 2 for a bad flag.
//
// Usage:
//
//	go run ./cmd/gradcheck [-run REGEX] [-seed N] [-fast] [-max-rel X] [-v]
//
//	-run REGEX  only the checks whose name matches (as go test -run)
//	-seed N     seed of the random inputs (default 1); a check's inputs depend only on the seed and
//	            its name, so a -run subset reproduces the full run's inputs
//	-fast       compare one random projection vᵀJu per input instead of the whole Jacobian
//	-max-rel X  the largest relative error a passing check may have (default 1e-6)
//	-v          add columns: each check's input shapes, entries compared and time
//
// # Adding a check
//
// Checks live in a registry filled by init functions: ops.go registers the autograd ops and
// layers.go the nn layers and losses. A check is a name, a description of its shapes for the table,
// and a builder that draws float64 inputs from the RNG it is given and returns the function to
// differentiate together with them:
//
//	func init() {
//		register(check{
//			name:   "matmul/shared_weight",
//			shapes: "[2,3,4] @ [4,5]",
//			build: func(rng *tensor.RNG) (fn, []*tensor.Tensor) {
//				f := func(xs []*autograd.Var) *autograd.Var { return autograd.Matmul(xs[0], xs[1]) }
//				return f, inputs(gradtest.Normal(rng, 2, 3, 4), gradtest.Normal(rng, 4, 5))
//			},
//		})
//	}
//
// Every input is a leaf that GradCheck differentiates; values the function should not
// differentiate (a layer's fixed hyper-parameters, a target) belong in its closure as constants.
// Draw inputs away from the points where the function has no derivative (ReLU at 0, ties in a max):
// a finite difference across a kink measures the average of two slopes. Package autograd/gradtest
// has draws that do that (Normal, Positive, AwayFromZero, Grid, Distinct). Set opts for a check
// that needs its own GradCheck options (a step, say); the -fast and -seed flags override its Fast
// and Seed, and fast: true always checks a projection (for a layer too large for the full
// Jacobian). Names must be unique: register panics on a duplicate.
package main

import (
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/tensor"
)

// fn is a function that GradCheck differentiates: fresh leaves holding the inputs in, one Var out.
type fn = func(xs []*autograd.Var) *autograd.Var

// check is one registered gradient check.
type check struct {
	// name identifies the check in the table and for -run: "op" or "op/case".
	name string
	// shapes describes the inputs for the table, e.g. "[2,3] + [3]".
	shapes string
	// build draws the inputs (float64 CPU tensors) from rng and returns the function with them.
	build func(rng *tensor.RNG) (fn, []*tensor.Tensor)
	// opts are the check's GradCheck options (zero: PyTorch's defaults).
	opts autograd.GradCheckOptions
	// fast always checks a random projection instead of the full Jacobian.
	fast bool
}

// registry holds every check registered by the init functions, in registration order.
var registry []check

// register adds a check. It panics on a missing builder or a duplicate name: both are mistakes in
// the source, found the first time the command runs.
func register(c check) {
	if c.name == "" || c.build == nil {
		panic(fmt.Sprintf("gradcheck: register: check %q needs a name and a build function", c.name))
	}
	for _, r := range registry {
		if r.name == c.name {
			panic(fmt.Sprintf("gradcheck: register: two checks named %q", c.name))
		}
	}
	registry = append(registry, c)
}

// inputs collects a builder's input tensors; it reads better than a slice literal.
func inputs(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }

func main() {
	os.Exit(run(os.Args[1:], registry, os.Stdout, os.Stderr))
}

// config is what the flags select.
type config struct {
	filter *regexp.Regexp
	seed   uint64
	fast   bool
	maxRel float64
	v      bool
}

// run parses args, runs the matching checks, prints the table to stdout and returns the exit status:
// 0 when every check passed, 1 when one failed (or none matched), 2 for bad flags.
func run(args []string, checks []check, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gradcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pattern := fs.String("run", "", "only the checks whose name matches this regular expression")
	seed := fs.Uint64("seed", 1, "seed of the random inputs")
	fast := fs.Bool("fast", false, "check one random projection vᵀJu per input instead of the full Jacobian")
	maxRel := fs.Float64("max-rel", 1e-6, "largest relative error a passing check may have")
	verbose := fs.Bool("v", false, "add columns: input shapes, Jacobian entries compared, time")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gradcheck: unexpected arguments %q\n", fs.Args())
		return 2
	}
	filter, err := regexp.Compile(*pattern)
	if err != nil {
		fmt.Fprintf(stderr, "gradcheck: -run: %v\n", err)
		return 2
	}
	cfg := config{filter: filter, seed: *seed, fast: *fast, maxRel: *maxRel, v: *verbose}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	header := "NAME\tSHAPES\tMAX ABS ERR\tMAX REL ERR\tRESULT"
	if cfg.v {
		header += "\tINPUTS\tENTRIES\tTIME"
	}
	fmt.Fprintln(tw, header)
	var failures []string
	ran := 0
	start := time.Now()
	for _, c := range checks {
		if !filter.MatchString(c.name) {
			continue
		}
		ran++
		o := runCheck(c, cfg)
		result := "PASS"
		if o.err != nil {
			result = "FAIL"
			failures = append(failures, fmt.Sprintf("%s: %v", c.name, o.err))
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2g\t%.2g\t%s", c.name, c.shapes, o.res.MaxAbsErr, o.res.MaxRelErr, result)
		if cfg.v {
			fmt.Fprintf(tw, "\t%s\t%d\t%v", o.inputShapes, o.res.Entries, o.elapsed.Round(time.Microsecond))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	mode := "full Jacobian"
	if cfg.fast {
		mode = "fast projection"
	}
	fmt.Fprintf(stdout, "\n%d checks (%s, seed %d) in %v: %d passed, %d failed\n",
		ran, mode, cfg.seed, time.Since(start).Round(time.Millisecond), ran-len(failures), len(failures))
	for _, f := range failures {
		fmt.Fprintln(stdout, "FAIL", f)
	}
	switch {
	case ran == 0:
		fmt.Fprintf(stderr, "gradcheck: no check matches -run %q\n", *pattern)
		return 1
	case len(failures) > 0:
		return 1
	}
	return 0
}

// outcome is the result of one check.
type outcome struct {
	res         autograd.GradCheckResult
	err         error
	inputShapes string
	elapsed     time.Duration
}

// runCheck builds and runs one check. A panic in the builder, the function or its backward is
// reported as the check's failure rather than stopping the run.
func runCheck(c check, cfg config) (o outcome) {
	start := time.Now()
	defer func() {
		o.elapsed = time.Since(start)
		if r := recover(); r != nil {
			o.err = fmt.Errorf("panic: %v", r)
		}
	}()
	f, xs := c.build(tensor.NewRNG(cfg.seed ^ nameHash(c.name)))
	shapes := make([]string, len(xs))
	for i, x := range xs {
		shapes[i] = fmt.Sprint(x.Shape())
	}
	o.inputShapes = strings.Join(shapes, " ")
	opts := c.opts
	opts.Fast = c.fast || cfg.fast
	opts.Seed = cfg.seed
	o.res, o.err = autograd.GradCheck(f, xs, opts)
	if o.err == nil && !(o.res.MaxRelErr < cfg.maxRel) {
		o.err = fmt.Errorf("max relative error %.3g is not below -max-rel %g", o.res.MaxRelErr, cfg.maxRel)
	}
	if o.err == nil && o.res.Entries == 0 {
		o.err = errors.New("nothing was compared (no inputs, or an empty output)")
	}
	return o
}

// nameHash mixes a check's name into the seed, so that its inputs do not depend on which other
// checks ran before it.
func nameHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}
