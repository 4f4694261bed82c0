package main

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/internal/atomicfile"
	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// lossRow is one line of loss.csv: a step, its eight losses and its times.
type lossRow struct {
	step, epoch, index int
	lr                 float64
	losses             cyclegan.Losses
	// tComp and tData are the seconds the step took and the seconds it waited for the loader
	// (Event.StepTime and DataTime). NaN when not measured: rows of a loss.csv written before
	// these columns existed.
	tComp, tData float64
}

// lossHeader names the columns of loss.csv. Files written before t_comp and t_data existed have
// only the first oldLossColumns; they are still read, and rewritten in this format with those
// two fields empty.
var lossHeader = append(append([]string{"step", "epoch", "index", "lr"}, cyclegan.LossNames[:]...), "t_comp", "t_data")

const oldLossColumns = 12

// lossLog is loss.csv: every step's losses, appended as training goes, and kept in memory for
// the plot.
type lossLog struct {
	path     string
	rows     []lossRow
	epochLen int
	file     *os.File
	w        *csv.Writer
}

// openLossLog opens runDir/loss.csv for appending. Rows of steps after keepSteps (written after the
// checkpoint a run resumes from) are dropped, so the file matches the resumed run exactly.
func openLossLog(runDir string, keepSteps, epochLen int) (*lossLog, error) {
	l := &lossLog{path: filepath.Join(runDir, "loss.csv"), epochLen: epochLen}
	if data, err := os.ReadFile(l.path); err == nil {
		// Read leniently: a run killed while appending leaves a half-written last line, and
		// resuming must not fail on it. Malformed lines are dropped. The header says how many
		// fields a row has (an old file has no times), so that a torn row of the new format
		// cannot pass for a complete old one.
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		columns := len(lossHeader)
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var parseErr *csv.ParseError
				if errors.As(err, &parseErr) {
					continue
				}
				return nil, fmt.Errorf("reading %s: %w", l.path, err)
			}
			if len(rec) > 0 && rec[0] == lossHeader[0] {
				columns = len(rec)
				continue
			}
			if len(rec) != columns {
				continue
			}
			row, err := parseLossRow(rec)
			if err == nil && row.step <= keepSteps {
				l.rows = append(l.rows, row)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// Rewrite what is kept (atomically), then append to it.
	if err := writeCSV(l.path, lossHeader, l.rows); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	l.file, l.w = f, csv.NewWriter(f)
	return l, nil
}

func (r lossRow) record() []string {
	rec := []string{strconv.Itoa(r.step), strconv.Itoa(r.epoch), strconv.Itoa(r.index), strconv.FormatFloat(r.lr, 'g', -1, 64)}
	for _, l := range r.losses {
		rec = append(rec, strconv.FormatFloat(l, 'g', 6, 64))
	}
	for _, t := range []float64{r.tComp, r.tData} {
		if math.IsNaN(t) {
			rec = append(rec, "") // not measured
		} else {
			rec = append(rec, strconv.FormatFloat(t, 'g', 4, 64))
		}
	}
	return rec
}

// parseLossRow reads a row of loss.csv, with times (len(lossHeader) fields, either time may be
// empty) or without (oldLossColumns fields, from a run before the times were logged).
func parseLossRow(rec []string) (lossRow, error) {
	if len(rec) != len(lossHeader) && len(rec) != oldLossColumns {
		return lossRow{}, fmt.Errorf("%d fields, want %d (or %d without times)", len(rec), len(lossHeader), oldLossColumns)
	}
	r := lossRow{tComp: math.NaN(), tData: math.NaN()}
	var err error
	ints := []*int{&r.step, &r.epoch, &r.index}
	for i, p := range ints {
		if *p, err = strconv.Atoi(rec[i]); err != nil {
			return r, err
		}
	}
	if r.lr, err = strconv.ParseFloat(rec[3], 64); err != nil {
		return r, err
	}
	for i := range r.losses {
		if r.losses[i], err = strconv.ParseFloat(rec[4+i], 64); err != nil {
			return r, err
		}
	}
	if len(rec) == oldLossColumns {
		return r, nil
	}
	for i, p := range []*float64{&r.tComp, &r.tData} {
		if field := rec[oldLossColumns+i]; field != "" {
			if *p, err = strconv.ParseFloat(field, 64); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

func (l *lossLog) add(r lossRow) error {
	l.rows = append(l.rows, r)
	return l.w.Write(r.record())
}

// flush writes buffered rows to disk.
func (l *lossLog) flush() error {
	l.w.Flush()
	return l.w.Error()
}

func (l *lossLog) close() error {
	err := l.flush()
	return errors.Join(err, l.file.Close())
}

// writeCSV writes a report's CSV file, the header and then each row's record, with writeFile.
func writeCSV[R interface{ record() []string }](path string, header []string, rows []R) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(header)
	for _, r := range rows {
		w.Write(r.record())
	}
	w.Flush()
	return writeFile(path, buf.Bytes())
}

// writeFile writes a report file atomically (see atomicfile.Write), readable by everyone like a
// file the user made: a browser or web server may show it.
func writeFile(path string, data []byte) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// sampleTag names the files of the samples of one step: e<epoch>_s<step>, the epoch counted
// from 1 as the progress bar does, both zero-padded so that the names sort in the order they
// were written (until a millionth step) and no two steps share one.
func sampleTag(epoch, step int) string { return fmt.Sprintf("e%03d_s%06d", epoch, step) }

// saveVisuals writes the images of one step as images/<tag>_<name>.png and returns their paths
// relative to the run folder as URLs (forward slashes), in VisualNames order ("" for an image
// that does not exist). This is where the tensors become images, so it costs only at the steps
// whose samples are written.
func saveVisuals(runDir, tag string, v cyclegan.Visuals) ([]string, error) {
	dir := filepath.Join(runDir, "images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rel := make([]string, len(v))
	for i, t := range v {
		if t == nil {
			continue
		}
		rel[i] = path.Join("images", tag+"_"+cyclegan.VisualNames[i]+".png") // a URL in index.html
		if err := imageio.SavePNG(filepath.Join(runDir, filepath.FromSlash(rel[i])), cyclegan.TensorImage(t)); err != nil {
			return nil, err
		}
	}
	return rel, nil
}

// The sample file names: e003_s001200_real_A.png, and epoch003_real_A.png from runs of before
// -sample-every, which wrote samples only at epoch ends.
var (
	sampleFile    = regexp.MustCompile(`^e([0-9]+)_s([0-9]+)_([A-Za-z_]+)\.png$`)
	oldSampleFile = regexp.MustCompile(`^epoch([0-9]+)_([A-Za-z_]+)\.png$`)
)

// listSamples returns a row per step found in runDir/images, newest first: by epoch, then by
// step, with an old epoch-end row (written after every step of its epoch) first in its epoch.
// Files that are not samples (the temporaries of an interrupted write among them) are left out.
func listSamples(runDir string) ([]sampleRow, error) {
	entries, err := os.ReadDir(filepath.Join(runDir, "images"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	type key struct{ epoch, step int } // step -1: an old epoch-end row, step unknown
	rows := map[key]*sampleRow{}
	for _, entry := range entries {
		var k key
		var name string
		if m := sampleFile.FindStringSubmatch(entry.Name()); m != nil {
			k.epoch, _ = strconv.Atoi(m[1])
			k.step, _ = strconv.Atoi(m[2])
			name = m[3]
		} else if m := oldSampleFile.FindStringSubmatch(entry.Name()); m != nil {
			k.epoch, _ = strconv.Atoi(m[1])
			k.step = -1
			name = m[2]
		} else {
			continue
		}
		column := slices.Index(cyclegan.VisualNames[:], name)
		if column < 0 {
			continue
		}
		row := rows[k]
		if row == nil {
			row = &sampleRow{Images: make([]string, len(cyclegan.VisualNames))}
			if k.step < 0 {
				row.Title = fmt.Sprintf("epoch %d (end)", k.epoch)
			} else {
				row.Title = fmt.Sprintf("epoch %d, step %d", k.epoch, k.step)
			}
			rows[k] = row
		}
		row.Images[column] = path.Join("images", entry.Name()) // a URL, relative to index.html
	}
	keys := slices.Collect(maps.Keys(rows))
	slices.SortFunc(keys, func(a, b key) int {
		if a.epoch != b.epoch {
			return cmp.Compare(b.epoch, a.epoch)
		}
		if a.step < 0 || b.step < 0 { // an old epoch-end row, the newest of its epoch
			return cmp.Compare(a.step, b.step)
		}
		return cmp.Compare(b.step, a.step)
	})
	list := make([]sampleRow, len(keys))
	for i, k := range keys {
		list[i] = *rows[k]
	}
	return list, nil
}

// sampleRow is one row of index.html.
type sampleRow struct {
	Title  string
	Images []string
}

// indexPage is what an index.html shows: a title, optional notes about the run, an optional plot,
// and a table of images, one column per name and one row per entry. Images are shown Width
// pixels wide at their own aspect ratio; Pixelated keeps small images sharp when they are
// shown larger than they are.
type indexPage struct {
	Title     string
	Date      string       // when the page was written
	Status    string       // where training stands
	Options   [][2]string  // the run's options, name and value
	Plot      string       // URL of loss.png
	Metrics   *metricsView // the test-set FID and KID of train -eval-every, if any
	Translate template.HTML
	Columns   []indexColumn
	Rows      []sampleRow
	Width     int
	Pixelated bool
}

// indexColumn is a column of the image table: its name, and optionally what it shows.
type indexColumn struct{ Name, Note string }

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 1em; }
table { border-collapse: collapse; }
td, th { padding: 2px 4px; text-align: center; font-size: 12px; vertical-align: top; }
th .note { display: block; width: {{.Width}}px; font-weight: normal; font-size: 11px; color: #444; }
td img { width: {{.Width}}px; height: auto;{{if .Pixelated}} image-rendering: pixelated;{{end}} }
.notes { font-size: 14px; max-width: 75em; }
</style></head>
<body>
<h1>{{.Title}}</h1>
<div class="notes">
{{if .Status}}<p>{{.Status}}{{if .Date}} Page written {{.Date}}.{{end}}</p>{{else if .Date}}<p>Written {{.Date}}.</p>{{end}}
{{if .Options}}<p><b>Options:</b> {{range $i, $o := .Options}}{{if $i}}, {{end}}<span style="white-space: nowrap">{{index $o 0}} {{index $o 1}}</span>{{end}}</p>{{end}}
{{if .Translate}}<p>{{.Translate}}</p>{{end}}
</div>
{{if .Plot}}<p><a href="{{.Plot}}"><img src="{{.Plot}}" style="width: 100%; max-width: 1000px; height: auto"></a></p>{{end}}
{{with .Metrics}}<div class="notes"><p><b>Test-set FID and KID</b> (lower is better): each generator translates its test set, testA through G_A measured against testB's real images (A→B) and testB through G_B against testA's (B→A).
checkpoints/best.safetensors is the {{.Rule}}.</p>
<p><b>Best:</b> {{if .Best}}{{.Best}}{{else}}none saved{{end}}<br><b>Last:</b> {{.Last}}</p>
{{if .Protocol}}<p>Protocol: {{.Protocol}}.{{if .Command}} <code>{{.Command}}</code> measures the best checkpoint again.{{end}}</p>{{end}}</div>
<p><a href="{{.Plot}}"><img src="{{.Plot}}" style="width: 100%; max-width: 1000px; height: auto"></a></p>{{end}}
<table>
<tr><th></th>{{range .Columns}}<th>{{.Name}}{{if .Note}}<span class="note">{{.Note}}</span>{{end}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.Title}}</th>{{range .Images}}<td>{{if .}}<a href="{{.}}"><img src="{{.}}" loading="lazy"></a>{{end}}</td>{{end}}</tr>
{{end}}</table>
</body></html>
`))

func (p indexPage) write(path string) error {
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, p); err != nil {
		return err
	}
	return writeFile(path, buf.Bytes())
}

// writeIndex writes an index.html table: one column per name, one row per entry, images linked
// and shown width pixels wide.
func writeIndex(path, title, plotFile string, columns []string, rows []sampleRow, width int) error {
	p := indexPage{Title: title, Plot: plotFile, Rows: rows, Width: width}
	for _, name := range columns {
		p.Columns = append(p.Columns, indexColumn{Name: name})
	}
	return p.write(path)
}

// visualColumns are the sample table's columns, in VisualNames order, with what each shows
// (see cyclegan.Visuals).
var visualColumns = [len(cyclegan.VisualNames)]indexColumn{
	{"real_A", "an A training image (a random crop)"},
	{"fake_B", "G_A(real_A): real_A turned into B"},
	{"rec_A", "G_B(fake_B): turned back, should look like real_A"},
	{"idt_B", "G_B(real_A): should leave real_A as it is (none without the identity loss)"},
	{"real_B", "a B training image"},
	{"fake_A", "G_B(real_B): real_B turned into A"},
	{"rec_B", "G_A(fake_A): turned back, should look like real_B"},
	{"idt_A", "G_A(real_B): should leave real_B as it is"},
}

// formatSeconds writes a time of a step with three digits in a unit that suits it.
func formatSeconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.3g s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.3g ms", s*1e3)
	default:
		return fmt.Sprintf("%.3g µs", s*1e6)
	}
}

// recentTimes returns the mean t_comp and t_data of the newest rows (up to the last n) that have
// them, and how many rows that was.
func recentTimes(rows []lossRow, n int) (tComp, tData float64, count int) {
	for i := len(rows) - 1; i >= 0 && count < n; i-- {
		if math.IsNaN(rows[i].tComp) || math.IsNaN(rows[i].tData) {
			break
		}
		tComp += rows[i].tComp
		tData += rows[i].tData
		count++
	}
	if count > 0 {
		tComp, tData = tComp/float64(count), tData/float64(count)
	}
	return tComp, tData, count
}

// optionList returns the options under their official names (their JSON names, as in
// options.json), in declaration order.
func optionList(o cyclegan.Options) [][2]string {
	var list [][2]string
	v, t := reflect.ValueOf(o), reflect.TypeOf(o)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		list = append(list, [2]string{name, fmt.Sprint(v.Field(i).Interface())})
	}
	return list
}
