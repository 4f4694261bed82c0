package main

import (
	"fmt"
	"os"

	"github.com/zebra-go/zebra/internal/progress"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// startProgress prints the legend of the status line and starts its clock. train calls it just
// before Train, so that the first step, which also pays for warming up, is timed like the rest.
// With -quiet there is no status line: endEpoch prints one line per epoch instead.
func (r *reporter) startProgress() {
	if r.tf.quiet {
		return
	}
	cfg := progress.Config{Out: r.out}
	if f, ok := r.out.(*os.File); ok {
		cfg.Terminal, cfg.Width = progress.Terminal(f)
	}
	fmt.Fprint(r.out, progressLegend(cfg.Terminal))
	r.meter = progress.New(cfg)
	r.meter.Start()
}

// progressLegend says which loss of each pair is A's and which B's and, for the terminal's
// terser status line, what its two ETAs are.
func progressLegend(terminal bool) string {
	// Each line fits in 60 columns, the narrowest terminal the status line is made for.
	legend := "losses A/B: D_A/D_B G_A/G_B cycle_A/cycle_B idt_A/idt_B\n" +
		"  (shown as D, G, cyc, idt); A = trainA, B = trainB\n" +
		"  G_A turns A into B, D_A judges B; G_B, D_B the other way\n"
	if terminal {
		legend += "  ETA: this epoch's, then the whole run's\n"
	}
	return legend
}

// progressStatus is the status line's view of a step's event.
func progressStatus(e cyclegan.Event, epochs int) progress.Status {
	l := e.Losses // in LossNames order: D_A G_A cycle_A idt_A, then the same for B
	return progress.Status{
		Epoch: e.Epoch, Epochs: epochs,
		Index: e.Index + 1, EpochLen: e.EpochLen,
		// The position in the run rather than e.Steps, which falls behind it by the samples
		// that -skip-bad-images skipped: the work left is what lies after the position.
		Done: e.Epoch*e.EpochLen + e.Index + 1, Total: epochs * e.EpochLen,
		Groups: []progress.Group{
			{Name: "D", Values: []float64{l[0], l[4]}},
			{Name: "G", Values: []float64{l[1], l[5]}},
			{Name: "cyc", Values: []float64{l[2], l[6]}},
			{Name: "idt", Values: []float64{l[3], l[7]}},
		},
	}
}
