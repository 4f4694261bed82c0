package main

import (
	"testing"
)

// flagCase is one value given to one flag, and whether the command may run with it.
type flagCase struct {
	flag, value string
	ok          bool
}

// numericCases gives a flag zero, a negative number, NaN and a huge number; ok lists which of
// zero, negative and huge the command accepts (NaN never is).
func numericCases(flag, huge string, zeroOK, negativeOK, hugeOK bool) []flagCase {
	return []flagCase{{flag, "0", zeroOK}, {flag, "-1", negativeOK}, {flag, "NaN", false}, {flag, huge, hugeOK}}
}

// TestTrainBenchNumericFlags: zebra-bench train refuses each numeric flag's impossible values with
// an error (-iters 0 printed +Inf timings and exited 0) and runs with the possible ones, on top
// of a run of one 32x32 step of one-filter networks.
func TestTrainBenchNumericFlags(t *testing.T) {
	const huge = "1000000000000000000"
	var cases []flagCase
	cases = append(cases, numericCases("ngf", huge, false, false, false)...)
	cases = append(cases, numericCases("ndf", huge, false, false, false)...)
	cases = append(cases, numericCases("blocks", huge, true, false, false)...)
	cases = append(cases, numericCases("warmup", huge, true, false, false)...)
	cases = append(cases, numericCases("iters", huge, false, false, false)...)
	for _, c := range cases {
		args := []string{"-sizes", "32", "-ngf", "1", "-ndf", "1", "-blocks", "0", "-warmup", "0", "-iters", "1", "-" + c.flag, c.value}
		err := runTrainBench(args)
		if c.ok && err != nil {
			t.Errorf("zebra-bench train -%s %s: %v", c.flag, c.value, err)
		}
		if !c.ok && err == nil {
			t.Errorf("zebra-bench train -%s %s was accepted", c.flag, c.value)
		}
	}
}

// TestGemmNumericFlags: zebra-bench gemm refuses each numeric flag's impossible values before it
// times anything. (Its possible values start a benchmark of large products, which a test does
// not run.)
func TestGemmNumericFlags(t *testing.T) {
	cases := []flagCase{{"mintime", "0s", false}, {"mintime", "-1s", false}, {"mintime", "NaN", false}, {"mintime", "1000h", false}}
	cases = append(cases, numericCases("rounds", "1000000000000000000", true, false, false)[1:]...)
	cases = append(cases, numericCases("threads", "1000000000000000000", false, false, false)...)
	checkRefused(t, "zebra-bench gemm", runGemm, cases)
}

// checkRefused runs command with each case's flag alone and checks that it is refused.
func checkRefused(t *testing.T, command string, run func([]string) error, cases []flagCase) {
	t.Helper()
	for _, c := range cases {
		if err := run([]string{"-" + c.flag, c.value}); err == nil {
			t.Errorf("%s -%s %s was accepted", command, c.flag, c.value)
		}
	}
}

// TestTranslateBenchNumericFlags: zebra-bench translate refuses each numeric flag's impossible
// values with an error (-ngf 1e18 or -sizes 1e9 asked for more memory than any machine has;
// -iters 1e18 would run for ever) and runs with the possible ones, on one 8x8 image of a
// one-filter generator.
func TestTranslateBenchNumericFlags(t *testing.T) {
	const huge = "1000000000000000000"
	var cases []flagCase
	cases = append(cases, numericCases("ngf", huge, false, false, false)...)
	cases = append(cases, numericCases("blocks", huge, true, false, false)...)
	cases = append(cases, numericCases("warmup", huge, true, false, false)...)
	cases = append(cases, numericCases("iters", huge, false, false, false)...)
	cases = append(cases, numericCases("sizes", huge, false, false, false)...)
	cases = append(cases, flagCase{"sizes", "100000", false})
	for _, c := range cases {
		args := []string{"-sizes", "8", "-ngf", "1", "-blocks", "0", "-warmup", "0", "-iters", "1", "-" + c.flag, c.value}
		err := runTranslateBench(args)
		if c.ok && err != nil {
			t.Errorf("zebra-bench translate -%s %s: %v", c.flag, c.value, err)
		}
		if !c.ok && err == nil {
			t.Errorf("zebra-bench translate -%s %s was accepted", c.flag, c.value)
		}
	}
	// Each within its bounds, together more than the memory a benchmark may use.
	if err := runTranslateBench([]string{"-sizes", "2048", "-ngf", "512", "-blocks", "64"}); err == nil {
		t.Error("zebra-bench translate -sizes 2048 -ngf 512 -blocks 64 was accepted")
	}
}

// TestConvBenchNumericFlags: zebra-bench conv refuses each numeric flag's impossible values before it
// times anything. (Its possible values start a benchmark of the full-size layers, which a test
// does not run.)
func TestConvBenchNumericFlags(t *testing.T) {
	const huge = "1000000000000000000"
	cases := []flagCase{{"mintime", "-1s", false}, {"mintime", "NaN", false}, {"mintime", "1000h", false}}
	cases = append(cases, numericCases("rounds", huge, false, false, false)...)
	cases = append(cases, numericCases("size", huge, false, false, false)...)
	cases = append(cases, flagCase{"size", "65536", false})
	checkRefused(t, "zebra-bench conv", runConvBench, cases)
}

// TestCheckNumericFlags: zebra-bench check refuses each numeric flag's impossible values before it
// measures anything (its possible values run both networks at full width in float32 and float64,
// which a test does not do). -seed is a uint64: any value is a seed, -1 and NaN do not parse.
func TestCheckNumericFlags(t *testing.T) {
	const huge = "1000000000000000000"
	var cases []flagCase
	cases = append(cases, numericCases("size", huge, false, false, false)...)
	cases = append(cases, flagCase{"size", "65536", false})
	cases = append(cases, numericCases("factor", "1e300", false, false, false)...)
	cases = append(cases, flagCase{"factor", "Inf", false}, flagCase{"seed", "-1", false}, flagCase{"seed", "NaN", false})
	checkRefused(t, "zebra-bench check", runCheck, cases)
}
