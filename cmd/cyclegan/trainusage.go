package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/zebra-go/zebra/internal/cli"
)

// trainFlagGroups are the headings of cyclegan train -h and the flags under each. Every flag of
// trainFlagSet is in exactly one (TestTrainFlagGroups).
var trainFlagGroups = []cli.FlagGroup{
	{Title: "model", Names: []string{"ngf", "ndf", "blocks", "d-layers"}},
	{Title: "data", Names: []string{"dataroot", "load-size", "crop-size", "preprocess", "no-flip", "skip-bad-images", "workers"}},
	{Title: "schedule and losses", Names: []string{"epochs", "decay-epochs", "lr", "beta1", "lambda-a", "lambda-b", "lambda-identity",
		"pool-size", "batch-size", "seed", "max-iters"}},
	{Title: "output", Names: []string{"runs", "name", "save-every", "epoch-save", "sample-every", "quiet"}},
	{Title: "test-set metrics", Names: []string{"eval-every", "inception"}},
	{Title: "device and run", Names: []string{"device", "tf32", "dist", "resume", "skip-checksum", "max-memory"}},
}

// printTrainUsage writes cyclegan train -h: the flags under their headings, examples written as
// the user runs the program, and the exit statuses.
func printTrainUsage(w io.Writer, fs *flag.FlagSet) {
	prog := cli.Invocation()
	fmt.Fprintf(w, "usage: %s train [flags]\n\n", prog)
	fmt.Fprint(w, "Trains a CycleGAN on <dataroot>/trainA and <dataroot>/trainB (the paper's settings by default),\n"+
		"writing <runs>/<name>: options.json, loss.csv, loss.png, index.html, images/ and checkpoints/.\n\n")
	cli.PrintFlagGroups(w, fs, trainFlagGroups)
	examples := []struct{ what, args string }{
		{"a fresh run on horse2zebra with the paper's settings (after: " + prog + " download horse2zebra)",
			"-dataroot datasets/horse2zebra"},
		{"continue it after Ctrl-C or -max-iters; the options come from its checkpoint",
			"-name horse2zebra -resume"},
		{"a small, quick run on the bundled demo images (a few minutes on two cores)",
			"-name quick -ngf 16 -ndf 16 -blocks 3 -load-size 72 -crop-size 64 -epochs 15 -decay-epochs 15 -save-every 0"},
	}
	// A data-parallel run starts under a launcher, so its example is written out whole.
	parallel := "mpirun -np 4 " + prog + " train -dist mpi -batch-size 1 -dataroot datasets/horse2zebra"
	fmt.Fprint(w, "\nexamples:\n")
	for _, e := range examples {
		fmt.Fprintf(w, "  # %s\n  %s train %s\n", e.what, prog, e.args)
	}
	fmt.Fprintf(w, "  # 4 ranks on this machine (or a cluster's hosts), a global batch of 4: rank 0 writes the run\n  %s\n", parallel)
	fmt.Fprint(w, "\nexit status:\n"+strings.Join([]string{
		"  0    training finished, or stopped by -max-iters (saved: -resume continues it)",
		"  1    training failed; the error says why (a run stopped by a bad image is saved first)",
		"  2    a usage error: an unknown flag, a bad flag value, an unexpected argument",
		"  130  stopped by SIGINT (Ctrl-C) after the current step (saved: -resume continues it)",
		"  143  stopped by SIGTERM after the current step (saved: -resume continues it)",
	}, "\n")+"\n")
}
