package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/zebra-go/zebra/internal/atomicfile"
	"github.com/zebra-go/zebra/internal/safetensors"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// train -eval-every N: at the end of every N-th epoch (and of the last), both generators
// translate the test set as cyclegan translate does, testA through G_A measured against testB
// and testB through G_B against testA, with eval's protocol (pytorch-fid's Inception, KID over
// 100 subsets with seed 1). The values go to <run>/metrics.csv and metrics.png, and the
// generators of the lowest FID A→B so far to checkpoints/best.safetensors: papers report the
// best checkpoint's FID, not the last one's, and the run's page shows both. cyclegan eval
// -checkpoint best.safetensors -dataroot <dataroot> measures the same FID again.

// Metadata keys of best.safetensors besides the checkpoint's own: the rule that chose it (eval
// prints it), its FID A→B (the value a resumed run has to beat) and the protocol.
const (
	selectionKey   = "selection"
	bestFIDKey     = "fid_AtoB"
	fidProtocolKey = "fid_protocol"
)

// bestSelection is the rule, as the page, the help and eval say it.
const bestSelection = "best by FID A→B; papers report the best checkpoint's FID, not the last one's — the page shows both"

// trainEval is the state of -eval-every in a run: the network, the test images, the real test
// images' features (computed at the first evaluation, then kept), metrics.csv and the best FID.
type trainEval struct {
	every        int
	weights      weightsInfo
	run          featureRun
	kid          kidProtocol
	runDir       string
	testA, testB []string
	realA, realB [][]float64 // features of the real test images, nil until the first evaluation
	log          *metricsLog
	best         float64 // FID A→B of checkpoints/best.safetensors; +Inf when there is none
	out          io.Writer
}

// newTrainEval prepares -eval-every for trainer tr (nil without it): it checks the test set and
// loads the Inception weights before the first step, so that a mistake in either stops the run
// at once rather than at its first evaluation. metrics.csv keeps the rows up to the trainer's
// epoch, and best.safetensors stays if it was saved at or before that epoch: a resumed run redoes
// the epochs after its checkpoint, and what they had measured is dropped with them, as loss.csv
// drops their losses.
func newTrainEval(tf trainFlags, tr *cyclegan.Trainer, runDir string, out io.Writer, open openExtractor) (*trainEval, error) {
	for _, name := range []string{"metrics.csv", "metrics.png"} {
		if _, err := atomicfile.RemoveStale(filepath.Join(runDir, name)); err != nil {
			return nil, err
		}
	}
	if tf.evalEvery == 0 {
		return nil, nil
	}
	e := &trainEval{every: tf.evalEvery, runDir: runDir, out: out, best: math.Inf(1),
		kid: kidProtocol{Subsets: 100, Seed: 1}}
	var err error
	if e.testA, err = listEvalImages("-eval-every", filepath.Join(tr.Opts.DataRoot, "testA")); err != nil {
		return nil, err
	}
	if e.testB, err = listEvalImages("-eval-every", filepath.Join(tr.Opts.DataRoot, "testB")); err != nil {
		return nil, err
	}
	if e.weights, err = readWeightsInfo(tf.inception); err != nil {
		return nil, err
	}
	fx, err := open(tf.inception, tr.Backend())
	if err != nil {
		return nil, err
	}
	e.run = featureRun{fx: fx, batch: 8, out: out}
	if e.log, err = openMetricsLog(runDir, tr.Epoch); err != nil {
		return nil, err
	}
	if e.best, err = keepBest(filepath.Join(runDir, "checkpoints", "best.safetensors"), tr.Epoch, out); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "evaluating every %d epochs and at the last: FID and KID of testA through G_A against testB (%d and %d images) and of testB through G_B against testA, with %s (sha256 %s), KID %d subsets, seed %d; checkpoints/best.safetensors is the %s\n",
		e.every, len(e.testA), len(e.testB), e.weights.Path, e.weights.SHA256, e.kid.Subsets, e.kid.Seed, bestSelection)
	return e, nil
}

// keepBest returns the FID A→B of the best checkpoint at path, removing it first (and returning
// +Inf) if it was saved after epoch: it belongs to epochs that the resumed run takes again.
func keepBest(path string, epoch int, out io.Writer) (float64, error) {
	meta, err := safetensors.ReadMetadata(path)
	if errors.Is(err, fs.ErrNotExist) {
		return math.Inf(1), nil
	}
	if err != nil {
		return 0, fmt.Errorf("-eval-every: %w", err)
	}
	saved, err1 := strconv.Atoi(meta["epoch"])
	fid, err2 := strconv.ParseFloat(meta[bestFIDKey], 64)
	if err1 == nil && err2 == nil && saved <= epoch {
		return fid, nil
	}
	if err := os.Remove(path); err != nil {
		return 0, err
	}
	fmt.Fprintf(out, "removed %s: it was saved after epoch %d, where this run resumes\n", path, epoch)
	return math.Inf(1), nil
}

// due reports whether the epoch that just ended (counted from 1) is evaluated.
func (e *trainEval) due(epoch, epochs int) bool {
	return epoch%e.every == 0 || epoch == epochs
}

// evalEpoch is the reporter's hook at an epoch's end, after the checkpoint is saved: when the
// epoch is due, it measures both generators, appends the row to metrics.csv, redraws
// metrics.png, keeps best.safetensors and rewrites the page with the new values.
func (r *reporter) evalEpoch(e cyclegan.Event) error {
	ev := r.eval
	if ev == nil || !ev.due(e.Epoch+1, r.tr.TotalEpochs()) {
		return nil
	}
	row, err := ev.measure(r.tr, e)
	if err != nil {
		return fmt.Errorf("-eval-every at epoch %d: %w", e.Epoch+1, err)
	}
	fmt.Fprintf(ev.out, "epoch %d test set: FID A→B %.4f, B→A %.4f; KID A→B %.6f ± %.6f, B→A %.6f ± %.6f\n",
		row.epoch, row.ab.FID, row.ba.FID, row.ab.KIDMean, row.ab.KIDStd, row.ba.KIDMean, row.ba.KIDStd)
	if err := ev.log.add(row); err != nil {
		return err
	}
	if row.ab.FID < ev.best {
		if err := ev.saveBest(r.tr, row); err != nil {
			return err
		}
	}
	return r.writeIndex()
}

// measure computes the FID and KID of both directions for the trainer as it stands.
func (e *trainEval) measure(tr *cyclegan.Trainer, ev cyclegan.Event) (metricsRow, error) {
	var err error
	if e.realB == nil {
		if e.realB, err = e.run.features(imageFiles("real B (testB)", e.testB, defaultMaxPixels)); err != nil {
			return metricsRow{}, err
		}
		if e.realA, err = e.run.features(imageFiles("real A (testA)", e.testA, defaultMaxPixels)); err != nil {
			return metricsRow{}, err
		}
	}
	row := metricsRow{epoch: ev.Epoch + 1, steps: ev.Steps}
	for _, d := range []struct {
		what  string
		g     *cyclegan.ResnetGenerator
		paths []string
		real  [][]float64
		out   *scores
	}{
		{"fake B (G_A of testA)", tr.GA, e.testA, e.realB, &row.ab},
		{"fake A (G_B of testB)", tr.GB, e.testB, e.realA, &row.ba},
	} {
		fake, err := e.run.features(translatedImages(d.what, d.g, d.paths, defaultMaxPixels, nil))
		if err != nil {
			return metricsRow{}, err
		}
		if *d.out, err = score(d.real, fake, e.kid.resolved(len(d.real), len(fake))); err != nil {
			return metricsRow{}, err
		}
	}
	return row, nil
}

// saveBest writes the generators as checkpoints/best.safetensors, with the rule and the values
// that chose them.
func (e *trainEval) saveBest(tr *cyclegan.Trainer, row metricsRow) error {
	kid := e.kid.resolved(len(e.testA), len(e.testB))
	protocol := fmt.Sprintf("pytorch-fid Inception sha256 %s; %s; test images at their own size; KID %d subsets of min(1000, n), seed %d",
		e.weights.SHA256, resizeProtocol, kid.Subsets, kid.Seed)
	meta := map[string]string{
		selectionKey:   fmt.Sprintf("%s (epoch %d, FID A→B %.4f, evaluated every %d epochs)", bestSelection, row.epoch, row.ab.FID, e.every),
		bestFIDKey:     strconv.FormatFloat(row.ab.FID, 'g', -1, 64),
		fidProtocolKey: protocol,
	}
	path := filepath.Join(e.runDir, "checkpoints", "best.safetensors")
	if err := tr.SaveWeights(path, cyclegan.WeightsOptions{Networks: cyclegan.Generators, Metadata: meta}); err != nil {
		return err
	}
	e.best = row.ab.FID
	return nil
}

// metricsRow is one line of metrics.csv: an evaluated epoch (counted from 1, the epochs done),
// the steps done, and both directions' values.
type metricsRow struct {
	epoch, steps int
	ab, ba       scores
}

var metricsHeader = []string{"epoch", "steps", "fid_AtoB", "kid_AtoB_mean", "kid_AtoB_std", "fid_BtoA", "kid_BtoA_mean", "kid_BtoA_std"}

func (r metricsRow) record() []string {
	rec := []string{strconv.Itoa(r.epoch), strconv.Itoa(r.steps)}
	for _, v := range []float64{r.ab.FID, r.ab.KIDMean, r.ab.KIDStd, r.ba.FID, r.ba.KIDMean, r.ba.KIDStd} {
		rec = append(rec, strconv.FormatFloat(v, 'g', -1, 64)) // exact: eval of best.safetensors prints the same
	}
	return rec
}

func parseMetricsRow(rec []string) (metricsRow, error) {
	if len(rec) != len(metricsHeader) {
		return metricsRow{}, fmt.Errorf("%d fields, want %d", len(rec), len(metricsHeader))
	}
	var r metricsRow
	var err error
	if r.epoch, err = strconv.Atoi(rec[0]); err != nil {
		return r, err
	}
	if r.steps, err = strconv.Atoi(rec[1]); err != nil {
		return r, err
	}
	for i, p := range []*float64{&r.ab.FID, &r.ab.KIDMean, &r.ab.KIDStd, &r.ba.FID, &r.ba.KIDMean, &r.ba.KIDStd} {
		if *p, err = strconv.ParseFloat(rec[2+i], 64); err != nil {
			return r, err
		}
	}
	return r, nil
}

// metricsLog is metrics.csv. It has a row per evaluation, a few per run, so each new row
// rewrites the file atomically rather than appending to an open one: a killed run leaves the
// old file or the new one, never a torn line.
type metricsLog struct {
	path string
	rows []metricsRow
}

// openMetricsLog reads runDir/metrics.csv, if there is one, keeping the rows of epochs up to
// keepEpoch, and rewrites it with them.
func openMetricsLog(runDir string, keepEpoch int) (*metricsLog, error) {
	rows, err := readMetricsCSV(filepath.Join(runDir, "metrics.csv"))
	if err != nil {
		return nil, err
	}
	l := &metricsLog{path: filepath.Join(runDir, "metrics.csv")}
	for _, r := range rows {
		if r.epoch <= keepEpoch {
			l.rows = append(l.rows, r)
		}
	}
	if err := l.write(); err != nil {
		return nil, err
	}
	return l, l.plot()
}

// readMetricsCSV returns the rows of a metrics.csv (none if it does not exist), leaving out
// lines that do not parse.
func readMetricsCSV(path string) ([]metricsRow, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var rows []metricsRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		var parseErr *csv.ParseError
		if errors.As(err, &parseErr) {
			continue // a malformed line
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if row, err := parseMetricsRow(rec); err == nil {
			rows = append(rows, row)
		}
	}
}

func (l *metricsLog) add(r metricsRow) error {
	l.rows = append(l.rows, r)
	if err := l.write(); err != nil {
		return err
	}
	return l.plot()
}

// plot redraws metrics.png beside metrics.csv; without rows (a resumed run that dropped them
// all) there is none.
func (l *metricsLog) plot() error {
	if len(l.rows) == 0 {
		if err := os.Remove(filepath.Join(filepath.Dir(l.path), "metrics.png")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	png, err := metricsPlot(l.rows)
	if err != nil {
		return fmt.Errorf("plotting metrics: %w", err)
	}
	return writeFile(filepath.Join(filepath.Dir(l.path), "metrics.png"), png)
}

func (l *metricsLog) write() error { return writeCSV(l.path, metricsHeader, l.rows) }
