package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/zebra-go/zebra/internal/progress"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// reporter turns training events into the progress bar, loss.csv, images, index.html and
// checkpoints.
type reporter struct {
	tr       *cyclegan.Trainer
	runDir   string
	log      *lossLog
	tf       trainFlags
	epochLen int
	out      io.Writer
	meter    *progress.Meter // the status line (see startProgress); nil with -quiet
}

func (r *reporter) event(e cyclegan.Event) error {
	if e.EpochEnd {
		return r.endEpoch(e)
	}
	if err := r.log.add(lossRow{step: e.Steps, epoch: e.Epoch, index: e.Index, lr: e.LR, losses: e.Losses}); err != nil {
		return err
	}
	if r.tf.quiet {
		return nil
	}
	if r.meter == nil {
		r.startProgress() // late: this first step goes untimed rather than counted as free
	}
	r.meter.Step(progressStatus(e, r.tr.TotalEpochs()))
	return nil
}

// finishBar ends an epoch's status line, which stays on screen (on a terminal) or is printed
// (elsewhere) as the epoch's last step.
func (r *reporter) finishBar() {
	if r.meter != nil {
		r.meter.Leave()
	}
}

// leaveBar ends an unfinished epoch's status line where it stands.
func (r *reporter) leaveBar() {
	if r.meter != nil {
		r.meter.Leave()
	}
}

func (r *reporter) endEpoch(e cyclegan.Event) error {
	r.finishBar()
	tag := fmt.Sprintf("epoch%03d", e.Epoch+1)
	if e.Visuals[0] != nil {
		if _, err := saveVisuals(r.runDir, tag, e.Visuals); err != nil {
			return err
		}
	}
	if r.tf.quiet {
		l := e.Losses
		fmt.Fprintf(r.out, "epoch %d/%d done (%d steps): D %.3f/%.3f G %.3f/%.3f cycle %.3f/%.3f idt %.3f/%.3f\n",
			e.Epoch+1, r.tr.TotalEpochs(), e.Steps, l[0], l[4], l[1], l[5], l[2], l[6], l[3], l[7])
	}
	if err := r.save(filepath.Join(r.runDir, "checkpoints", "latest.safetensors")); err != nil {
		return err
	}
	if r.tf.saveEvery > 0 && (e.Epoch+1)%r.tf.saveEvery == 0 {
		if err := saveEpochCheckpoint(r.tr, filepath.Join(r.runDir, "checkpoints", tag+".safetensors"), r.tf.epochSave); err != nil {
			return err
		}
	}
	return nil
}

// save writes loss.csv, the checkpoint, loss.png and index.html. The losses go to disk first, so
// that a checkpoint never holds steps whose losses were lost.
func (r *reporter) save(checkpoint string) error {
	if err := r.log.flush(); err != nil {
		return err
	}
	if err := r.tr.Save(checkpoint); err != nil {
		return err
	}
	if err := r.log.plot(filepath.Join(r.runDir, "loss.png")); err != nil {
		return fmt.Errorf("plotting losses: %w", err)
	}
	return r.writeIndex()
}

// writeIndex lists the sample rows found in images/, newest epoch first (as the official
// visualizer does).
func (r *reporter) writeIndex() error {
	var rows []sampleRow
	for epoch := r.tr.TotalEpochs(); epoch >= 1; epoch-- {
		tag := fmt.Sprintf("epoch%03d", epoch)
		if _, err := os.Stat(filepath.Join(r.runDir, "images", tag+"_real_A.png")); err != nil {
			continue
		}
		row := sampleRow{Title: fmt.Sprintf("epoch %d", epoch)}
		for _, name := range cyclegan.VisualNames {
			rel := path.Join("images", tag+"_"+name+".png") // a URL, relative to index.html
			if _, err := os.Stat(filepath.Join(r.runDir, filepath.FromSlash(rel))); err != nil {
				rel = ""
			}
			row.Images = append(row.Images, rel)
		}
		rows = append(rows, row)
	}
	return writeIndex(filepath.Join(r.runDir, "index.html"), "CycleGAN run "+r.tr.Opts.Name, "loss.png",
		cyclegan.VisualNames[:], rows, 128)
}
