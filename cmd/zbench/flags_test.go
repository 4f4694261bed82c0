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

// TestTrainBenchNumericFlags: zbench train refuses each numeric flag's impossible values with
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
			t.Errorf("zbench train -%s %s: %v", c.flag, c.value, err)
		}
		if !c.ok && err == nil {
			t.Errorf("zbench train -%s %s was accepted", c.flag, c.value)
		}
	}
}

// TestGemmNumericFlags: zbench gemm refuses each numeric flag's impossible values before it
// times anything. (Its possible values start a benchmark of large products, which a test does
// not run.)
func TestGemmNumericFlags(t *testing.T) {
	cases := []flagCase{{"mintime", "0s", false}, {"mintime", "-1s", false}, {"mintime", "NaN", false}, {"mintime", "1000h", false}}
	cases = append(cases, numericCases("rounds", "1000000000000000000", true, false, false)[1:]...)
	cases = append(cases, numericCases("threads", "1000000000000000000", false, false, false)...)
	for _, c := range cases {
		if err := runGemm([]string{"-" + c.flag, c.value}); err == nil {
			t.Errorf("zbench gemm -%s %s was accepted", c.flag, c.value)
		}
	}
}
