package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/zebra-go/zebra/internal/atomicfile"
	"github.com/zebra-go/zebra/internal/imageio"
	"github.com/zebra-go/zebra/models/cyclegan"
)

// lossRow is one line of loss.csv: a step and its eight losses.
type lossRow struct {
	step, epoch, index int
	lr                 float64
	losses             cyclegan.Losses
}

var lossHeader = append([]string{"step", "epoch", "index", "lr"}, cyclegan.LossNames[:]...)

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
		// resuming must not fail on it. Malformed lines are dropped (as are the header's fields).
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
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
			row, err := parseLossRow(rec)
			if err == nil && row.step <= keepSteps {
				l.rows = append(l.rows, row)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// Rewrite what is kept (atomically), then append to it.
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(lossHeader)
	for _, r := range l.rows {
		w.Write(r.record())
	}
	w.Flush()
	if err := writeFile(l.path, buf.Bytes()); err != nil {
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
	return rec
}

func parseLossRow(rec []string) (lossRow, error) {
	if len(rec) != len(lossHeader) {
		return lossRow{}, fmt.Errorf("%d fields, want %d", len(rec), len(lossHeader))
	}
	var r lossRow
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

// plot writes loss.png: the eight losses against the (fractional) epoch, each averaged over
// buckets so that a long run gives at most a few hundred points per line.
func (l *lossLog) plot(path string) error {
	if len(l.rows) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "CycleGAN losses"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss"
	p.Legend.Top = true
	const maxPoints = 400
	bucket := max(1, (len(l.rows)+maxPoints-1)/maxPoints)
	var lines []any
	for k, name := range cyclegan.LossNames {
		var xys plotter.XYs
		for start := 0; start < len(l.rows); start += bucket {
			end := min(start+bucket, len(l.rows))
			x, y := 0.0, 0.0
			for _, r := range l.rows[start:end] {
				x += float64(r.epoch) + float64(r.index+1)/float64(max(1, l.epochLen))
				y += r.losses[k]
			}
			n := float64(end - start)
			xys = append(xys, plotter.XY{X: x / n, Y: y / n})
		}
		lines = append(lines, name, xys)
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return err
	}
	wt, err := p.WriterTo(10*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return err
	}
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

// saveVisuals writes the images of one step as images/<tag>_<name>.png and returns their paths
// relative to the run folder as URLs (forward slashes), in VisualNames order ("" for an image
// that does not exist).
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

// sampleRow is one row of index.html.
type sampleRow struct {
	Title  string
	Images []string
}

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 1em; }
table { border-collapse: collapse; }
td, th { padding: 2px 4px; text-align: center; font-size: 12px; }
img { width: {{.Size}}px; height: {{.Size}}px; image-rendering: pixelated; }
</style></head>
<body>
<h1>{{.Title}}</h1>
{{if .Plot}}<p><img src="{{.Plot}}" style="width: 800px; height: auto"></p>{{end}}
<table>
<tr><th></th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.Title}}</th>{{range .Images}}<td>{{if .}}<a href="{{.}}"><img src="{{.}}"></a>{{end}}</td>{{end}}</tr>
{{end}}</table>
</body></html>
`))

// writeIndex writes an index.html table: one column per name, one row per entry, images linked.
func writeIndex(path, title, plotFile string, columns []string, rows []sampleRow, size int) error {
	var buf bytes.Buffer
	err := indexTemplate.Execute(&buf, map[string]any{
		"Title": title, "Plot": plotFile, "Columns": columns, "Rows": rows, "Size": size,
	})
	if err != nil {
		return err
	}
	return writeFile(path, buf.Bytes())
}
