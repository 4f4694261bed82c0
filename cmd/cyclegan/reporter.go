package main

import (
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"time"

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
	eval     *trainEval      // -eval-every's test-set FID and KID (evalduring.go); nil without it

	last    cyclegan.Event // the newest step's event, whose samples a stop writes
	sampled int            // the step whose samples were written last (0: none yet)
	plotted time.Time      // when loss.png was last drawn (zero: not yet)
}

// replotEvery is how often, at most, an epoch's end redraws loss.png; the last epoch and a stop
// always redraw it. An epoch of a real run takes minutes, so each one redraws it; make demo's
// take 1.5-2 s, and drawing the plot at every one of its 30 (30-100 ms each, growing with the
// steps) was 4% of the run. loss.csv and the checkpoint are still written at every epoch.
const replotEvery = 10 * time.Second

// replotDue reports whether an epoch's end at now redraws loss.png, last drawn at plotted (zero:
// never): at the end of training, the first time, and then every replotEvery.
func replotDue(finished bool, plotted, now time.Time) bool {
	return finished || plotted.IsZero() || now.Sub(plotted) >= replotEvery
}

func (r *reporter) event(e cyclegan.Event) error {
	if e.EpochEnd {
		return r.endEpoch(e)
	}
	if err := r.recordStep(e); err != nil {
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

// recordStep logs a step's losses and times, and writes its samples when they are due (see
// sampleDue). The step's Visuals are kept, not converted: a stop writes them.
func (r *reporter) recordStep(e cyclegan.Event) error {
	first := r.last.Steps == 0
	r.last = e
	if err := r.log.add(lossRow{step: e.Steps, epoch: e.Epoch, index: e.Index, lr: e.LR, losses: e.Losses,
		tComp: e.StepTime.Seconds(), tData: e.DataTime.Seconds()}); err != nil {
		return err
	}
	if sampleDue(e.Steps, r.tf.sampleEvery, first) {
		return r.writeSamples(e)
	}
	return nil
}

// sampleDue reports whether the samples of a step are written (besides the epoch ends, which
// always have theirs): with -sample-every N > 0, at the first step this process takes, so that
// a run shows images at once, and then at every N-th step of the run.
func sampleDue(steps, sampleEvery int, first bool) bool {
	return sampleEvery > 0 && (first || steps%sampleEvery == 0)
}

// writeSamples writes the eight images of the step of e, once per step.
func (r *reporter) writeSamples(e cyclegan.Event) error {
	if e.Visuals[0] == nil || e.Steps == r.sampled {
		return nil
	}
	if _, err := saveVisuals(r.runDir, sampleTag(e.Epoch+1, e.Steps), e.Visuals); err != nil {
		return fmt.Errorf("writing samples: %w", err)
	}
	r.sampled = e.Steps
	return nil
}

func (r *reporter) endEpoch(e cyclegan.Event) error {
	r.finishBar()
	tag := fmt.Sprintf("epoch%03d", e.Epoch+1)
	if err := r.writeSamples(e); err != nil {
		return err
	}
	if r.tf.quiet {
		l := e.Losses
		fmt.Fprintf(r.out, "epoch %d/%d done (%d steps): D %.3f/%.3f G %.3f/%.3f cycle %.3f/%.3f idt %.3f/%.3f\n",
			e.Epoch+1, r.tr.TotalEpochs(), e.Steps, l[0], l[4], l[1], l[5], l[2], l[6], l[3], l[7])
	}
	replot := replotDue(r.tr.Finished(), r.plotted, time.Now())
	if err := r.save(filepath.Join(r.runDir, "checkpoints", "latest.safetensors"), replot); err != nil {
		return err
	}
	if err := r.evalEpoch(e); err != nil {
		return err
	}
	if r.tf.saveEvery > 0 && (e.Epoch+1)%r.tf.saveEvery == 0 {
		if err := saveEpochCheckpoint(r.tr, filepath.Join(r.runDir, "checkpoints", tag+".safetensors"), r.tf.epochSave); err != nil {
			return err
		}
	}
	return nil
}

// save writes loss.csv, the checkpoint, the newest step's samples (unless -sample-every is 0),
// loss.png (if replot) and index.html. The losses go to disk first, so that a checkpoint never
// holds steps whose losses were lost; the samples after the checkpoint, so that a failure to
// write them cannot cost it.
func (r *reporter) save(checkpoint string, replot bool) error {
	if err := r.log.flush(); err != nil {
		return err
	}
	if err := r.tr.Save(checkpoint); err != nil {
		return err
	}
	if r.tf.sampleEvery > 0 {
		if err := r.writeSamples(r.last); err != nil {
			return err
		}
	}
	if replot {
		if err := r.log.plot(filepath.Join(r.runDir, "loss.png")); err != nil {
			return fmt.Errorf("plotting losses: %w", err)
		}
		r.plotted = time.Now()
	}
	return r.writeIndex()
}

// writeIndex writes the run's page: where training stands, its options, the loss plot, what
// the columns show, and the sample rows found in images/, newest first (as the official
// visualizer does).
func (r *reporter) writeIndex() error {
	rows, err := listSamples(r.runDir)
	if err != nil {
		return err
	}
	o := r.tr.Opts
	status := fmt.Sprintf("%d steps done; training continues at epoch %d of %d, sample %d of %d.",
		r.tr.Steps, r.tr.Epoch+1, r.tr.TotalEpochs(), r.tr.Index+1, r.epochLen)
	if r.tr.Finished() {
		status = fmt.Sprintf("Finished: %d epochs, %d steps.", r.tr.TotalEpochs(), r.tr.Steps)
	}
	if tComp, tData, n := recentTimes(r.log.rows, 100); n > 0 {
		status += fmt.Sprintf(" The last %d steps took %s each, and waited %s each for data.", n, formatSeconds(tComp), formatSeconds(tData))
	}
	const width = 128
	return indexPage{
		Title:     "CycleGAN run " + o.Name,
		Date:      time.Now().Format("2006-01-02 15:04 MST"),
		Status:    status,
		Options:   optionList(o),
		Plot:      "loss.png",
		Metrics:   metricsSection(r.runDir),
		Translate: translateNote(r.runDir, o.DataRoot),
		Columns:   visualColumns[:],
		Rows:      rows,
		Width:     width,
		Pixelated: o.CropSize < width,
	}.write(filepath.Join(r.runDir, "index.html"))
}

// translateNote links the run's translated test images (<run>/translated/index.html, where
// make demo and the README put them), or says how to make them.
func translateNote(runDir, dataRoot string) template.HTML {
	if _, err := os.Stat(filepath.Join(runDir, "translated", "index.html")); err == nil {
		return `<a href="translated/index.html">Translated test images</a>`
	}
	command := fmt.Sprintf("cyclegan translate -checkpoint %s -direction AtoB -out %s %s",
		filepath.Join(runDir, "checkpoints", "latest.safetensors"), filepath.Join(runDir, "translated"), filepath.Join(dataRoot, "testA"))
	return template.HTML("No translated images yet: <code>" + template.HTMLEscapeString(command) +
		"</code> writes them, with a page that this one then links.")
}
