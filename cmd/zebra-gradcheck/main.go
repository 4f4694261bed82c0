package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/autograd/gradtest"
	"github.com/zebra-go/zebra/internal/cli"
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "version" || os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Print(cli.Version("zebra-gradcheck"))
		return
	}
	os.Exit(run(os.Args[1:], gradtest.Cases(), os.Stdout, os.Stderr))
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
// 0 when every check passed, 1 when one failed (or none matched), 2 for bad flags. main passes
// gradtest's whole table; the tests pass tables of their own.
func run(args []string, checks []gradtest.Case, stdout, stderr io.Writer) int {
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
		if !filter.MatchString(c.Name) {
			continue
		}
		ran++
		o := runCheck(c, cfg)
		result := "PASS"
		if o.err != nil {
			result = "FAIL"
			failures = append(failures, fmt.Sprintf("%s: %v", c.Name, o.err))
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2g\t%.2g\t%s", c.Name, c.Shapes, o.res.MaxAbsErr, o.res.MaxRelErr, result)
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

// runCheck runs one check with gradtest.Check, which applies the -max-rel bound, and times it. A
// panic in the builder, the function or its backward is reported as the check's failure rather
// than stopping the run.
func runCheck(c gradtest.Case, cfg config) (o outcome) {
	start := time.Now()
	defer func() {
		o.elapsed = time.Since(start)
		if r := recover(); r != nil {
			o.err = fmt.Errorf("panic: %v", r)
		}
	}()
	if cfg.v {
		o.inputShapes = inputShapes(c, cfg.seed)
	}
	o.res, o.err = gradtest.Check(c, cfg.seed, cfg.fast, cfg.maxRel)
	return o
}

// inputShapes describes the leaves a check differentiates, "[2 3] [3]", for the -v column. It
// draws them a second time (gradtest.Inputs, the same draw as Check's), which costs far less than
// the check itself.
func inputShapes(c gradtest.Case, seed uint64) string {
	_, xs := gradtest.Inputs(c, seed)
	shapes := make([]string, len(xs))
	for i, x := range xs {
		shapes[i] = fmt.Sprint(x.Shape())
	}
	return strings.Join(shapes, " ")
}
