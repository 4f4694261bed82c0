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
	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/tensor"
)

// fn is a function that GradCheckVars differentiates with respect to the leaves it reads.
type fn = func() *autograd.Var

// check is one registered gradient check.
type check struct {
	// name identifies the check in the table and for -run: "op" or "op/case".
	name string
	// shapes describes the inputs for the table, e.g. "[2,3] + [3]".
	shapes string
	// build draws the inputs (leaves of float64 CPU tensors) from rng and returns the function with
	// them.
	build func(rng *tensor.RNG) (fn, []*autograd.Var)
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
		panic(fmt.Sprintf("zebra-zebra-gradcheck: register: check %q needs a name and a build function", c.name))
	}
	for _, r := range registry {
		if r.name == c.name {
			panic(fmt.Sprintf("zebra-zebra-gradcheck: register: two checks named %q", c.name))
		}
	}
	registry = append(registry, c)
}

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "version" || os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Print(cli.Version("zebra-gradcheck"))
		return
	}
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
	fs := flag.NewFlagSet("zebra-gradcheck", flag.ContinueOnError)
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
		fmt.Fprintf(stderr, "zebra-gradcheck: unexpected arguments %q\n", fs.Args())
		return 2
	}
	// A relative error lies in [0, 1] for any check worth running; NaN or +Inf would pass every
	// check and 0 or less would fail every one.
	if !(*maxRel > 0 && *maxRel <= 1) {
		fmt.Fprintf(stderr, "zebra-gradcheck: -max-rel %g: want a bound in (0, 1]\n", *maxRel)
		return 2
	}
	filter, err := regexp.Compile(*pattern)
	if err != nil {
		fmt.Fprintf(stderr, "zebra-gradcheck: -run: %v\n", err)
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
		fmt.Fprintf(stderr, "zebra-gradcheck: no check matches -run %q\n", *pattern)
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
	o.res, o.err = autograd.GradCheckVars(f, xs, opts)
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
