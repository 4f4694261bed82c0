package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/autograd"
	"github.com/zebra-go/zebra/autograd/gradtest"
	"github.com/zebra-go/zebra/tensor"
)

// runArgs runs the command in-process on the given checks and returns its exit status and output.
func runArgs(checks []gradtest.Case, args ...string) (int, string) {
	var out bytes.Buffer
	status := run(args, checks, &out, &out)
	return status, out.String()
}

// resultRow finds a check's row in the table and returns its RESULT column.
func resultRow(t *testing.T, out, name string) string {
	t.Helper()
	row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s{2}.*\s(PASS|FAIL)$`).FindStringSubmatch(out)
	if row == nil {
		t.Fatalf("no row for %q in:\n%s", name, out)
	}
	return row[1]
}

func TestEveryRegisteredCheckPasses(t *testing.T) {
	registry := gradtest.Cases()
	if len(registry) < 25 {
		t.Fatalf("%d checks registered, want at least 25", len(registry))
	}
	for _, args := range [][]string{nil, {"-fast"}, {"-seed", "12345"}} {
		status, out := runArgs(registry, args...)
		if status != 0 {
			t.Errorf("args %q: exit status %d:\n%s", args, status, out)
			continue
		}
		for _, c := range registry {
			if got := resultRow(t, out, c.Name); got != "PASS" {
				t.Errorf("args %q: %s: %s", args, c.Name, got)
			}
		}
		want := fmt.Sprintf("%d checks", len(registry))
		if !strings.Contains(out, want) {
			t.Errorf("args %q: summary does not say %q:\n%s", args, want, out)
		}
	}
}

// wrongSquare computes x² as x·detach(x): the detached factor shares x's value, so the forward is
// x² and the finite difference sees 2x, but the backward sees only the first factor and reports x.
// It is a deliberately wrong backward built from the public API.
var wrongSquare = gradtest.Case{
	Name:   "test/wrong_square",
	Shapes: "[2,3]",
	Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
		return gradtest.Func(func(xs []*autograd.Var) *autograd.Var {
			return autograd.Mul(xs[0], xs[0].Detach())
		}, gradtest.Normal(rng, 2, 3))
	},
}

func TestWrongBackwardFailsWithStatus1(t *testing.T) {
	checks := append(gradtest.Cases(), wrongSquare)
	for _, args := range [][]string{nil, {"-fast"}} {
		status, out := runArgs(checks, args...)
		if status != 1 {
			t.Errorf("args %q: exit status %d, want 1:\n%s", args, status, out)
		}
		if got := resultRow(t, out, wrongSquare.Name); got != "FAIL" {
			t.Errorf("args %q: wrong backward reported %s", args, got)
		}
		if got := resultRow(t, out, "square"); got != "PASS" {
			t.Errorf("args %q: the correct square reported %s", args, got)
		}
		if !strings.Contains(out, "FAIL "+wrongSquare.Name+": gradcheck:") {
			t.Errorf("args %q: the failure is not explained under the table:\n%s", args, out)
		}
	}
}

func TestPanickingCheckFailsWithoutStoppingTheRun(t *testing.T) {
	broken := gradtest.Case{
		Name:   "test/shape_mismatch",
		Shapes: "[2] + [3]",
		Build: func(rng *tensor.RNG) (func() *autograd.Var, []*autograd.Var) {
			return gradtest.Func(func(xs []*autograd.Var) *autograd.Var { return autograd.Add(xs[0], xs[1]) },
				gradtest.Normal(rng, 2), gradtest.Normal(rng, 3))
		},
	}
	square := caseNamed(t, "square")
	status, out := runArgs([]gradtest.Case{broken, square})
	if status != 1 || resultRow(t, out, broken.Name) != "FAIL" || resultRow(t, out, "square") != "PASS" {
		t.Fatalf("status %d:\n%s", status, out)
	}
	if !strings.Contains(out, "panic: tensor.Add") {
		t.Errorf("the panic message is not reported:\n%s", out)
	}
}

func TestMaxRelFlagFailsLooseChecks(t *testing.T) {
	// Every check's relative error is tiny but (except for exact ones) not 0: a bound of 1e-300
	// must fail them, which shows the bound is applied.
	status, out := runArgs(gradtest.Cases(), "-run", "^tanh$", "-max-rel", "1e-300")
	if status != 1 || resultRow(t, out, "tanh") != "FAIL" || !strings.Contains(out, "is not below the bound 1e-300") {
		t.Fatalf("status %d:\n%s", status, out)
	}
}

func TestRunFilterAndFlags(t *testing.T) {
	registry := gradtest.Cases()
	status, out := runArgs(registry, "-run", "^matmul", "-v")
	if status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
	matmuls := 0
	for _, c := range registry {
		if strings.HasPrefix(c.Name, "matmul") {
			matmuls++
		}
	}
	rows := strings.Count(out, "PASS")
	if rows != matmuls || matmuls < 3 || strings.Contains(out, "\nadd") || !strings.Contains(out, "ENTRIES") {
		t.Errorf("-run ^matmul -v ran %d checks:\n%s", rows, out)
	}
	if status, out := runArgs(registry, "-run", "no such check"); status != 1 || !strings.Contains(out, "no check matches") {
		t.Errorf("no match: status %d:\n%s", status, out)
	}
	for _, bad := range [][]string{{"-run", "("}, {"-seed", "x"}, {"extra"}} {
		if status, _ := runArgs(registry, bad...); status != 2 {
			t.Errorf("args %q: status %d, want 2", bad, status)
		}
	}
}

func TestSeedSelectsInputs(t *testing.T) {
	// A check's inputs depend on the seed and its name only, not on which checks ran before it.
	c := caseNamed(t, "matmul")
	draw := func(seed uint64) []float64 {
		_, xs := gradtest.Inputs(c, seed)
		return xs[0].Value.Float64s()
	}
	a, b, other := draw(1), draw(1), draw(2)
	if fmt.Sprint(a) != fmt.Sprint(b) || fmt.Sprint(a) == fmt.Sprint(other) {
		t.Errorf("seed 1 twice: %v, %v; seed 2: %v", a, b, other)
	}
}

// caseNamed finds a check of gradtest's table by name.
func caseNamed(t *testing.T, name string) gradtest.Case {
	t.Helper()
	for _, c := range gradtest.Cases() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no registered check %q", name)
	return gradtest.Case{}
}

// -max-rel is a bound every check is compared with: zero, negative, NaN and infinite bounds would
// fail everything or (NaN, +Inf) pass everything, so they are refused as bad flags.
func TestMaxRelFlagRefusesNonsense(t *testing.T) {
	for _, v := range []string{"0", "-1e-6", "NaN", "+Inf", "1e300"} {
		status, out := runArgs(gradtest.Cases(), "-run", "^tanh$", "-max-rel", v)
		if status != 2 || !strings.Contains(out, "-max-rel") {
			t.Errorf("-max-rel %s: status %d, want 2 and a message naming the flag:\n%s", v, status, out)
		}
	}
}
