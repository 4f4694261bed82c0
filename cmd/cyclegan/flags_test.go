package main

import (
	"path/filepath"
	"strconv"
	"testing"
)

// tinyTrainArgs writes a dataset of one 32x32 image per domain and returns the train flags of a
// run of one epoch of tiny networks on it, in <dir>/runs.
func tinyTrainArgs(t *testing.T, dir string) []string {
	t.Helper()
	data := filepath.Join(dir, "data")
	writePNG(t, filepath.Join(data, "trainA", "a.png"), 32, 32, false)
	writePNG(t, filepath.Join(data, "trainB", "b.png"), 32, 32, true)
	return []string{"-dataroot", data, "-runs", filepath.Join(dir, "runs"), "-ngf", "2", "-ndf", "2", "-blocks", "0",
		"-load-size", "32", "-crop-size", "32", "-epochs", "1", "-decay-epochs", "0", "-quiet"}
}

// TestTrainNumericFlags feeds every numeric flag of cyclegan train zero, a negative number, NaN
// and a huge number, on top of a tiny run's flags: each either trains that tiny run or returns
// an error (never a panic, an out-of-memory crash, a success that trained nothing, or a run
// that would not end).
func TestTrainNumericFlags(t *testing.T) {
	const hugeInt, hugeFloat = "1000000000000000000", "1e300"
	type values struct{ zero, negative, huge bool } // true: trains; NaN is always an error
	for _, c := range []struct {
		flag  string
		float bool
		ok    values
	}{
		{"epochs", false, values{}},
		{"decay-epochs", false, values{zero: true}},
		{"lr", true, values{}},                 // huge: infinite weights after the first step
		{"beta1", true, values{}},              // 0 < beta1 < 1
		{"lambda-a", true, values{zero: true}}, // huge: an infinite loss
		{"lambda-b", true, values{zero: true}},
		{"lambda-identity", true, values{zero: true}},
		{"pool-size", false, values{zero: true}},
		{"ngf", false, values{}},
		{"ndf", false, values{}},
		{"blocks", false, values{zero: true}},
		{"d-layers", false, values{}},
		{"load-size", false, values{}},
		{"crop-size", false, values{}},
		{"seed", false, values{zero: true, huge: true}}, // a uint64: -1 does not parse
		{"save-every", false, values{zero: true, huge: true}},
		{"max-iters", false, values{zero: true, huge: true}},
		{"workers", false, values{zero: true}},
		{"max-memory", false, values{}},
	} {
		huge := hugeInt
		if c.float {
			huge = hugeFloat
		}
		if c.flag == "seed" {
			huge = "18446744073709551615"
		}
		for i, v := range []struct {
			value string
			ok    bool
		}{{"0", c.ok.zero}, {"-1", c.ok.negative}, {"NaN", false}, {huge, c.ok.huge}} {
			t.Run(c.flag+"="+v.value, func(t *testing.T) {
				args := append(tinyTrainArgs(t, t.TempDir()), "-name", "flags"+strconv.Itoa(i), "-"+c.flag, v.value)
				err := runTrain(args)
				if v.ok && err != nil {
					t.Errorf("-%s %s: %v", c.flag, v.value, err)
				}
				if !v.ok && err == nil {
					t.Errorf("-%s %s was accepted", c.flag, v.value)
				}
				if err != nil {
					t.Logf("-%s %s: %v", c.flag, v.value, err)
				}
			})
		}
	}
}
