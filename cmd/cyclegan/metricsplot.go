package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/zebra-go/zebra/internal/safetensors"
)

// metricsPlot draws metrics.csv as a PNG in loss.png's style (panelsPNG): FID on the left, KID
// (its mean, with a bar of ± its standard deviation over the subsets) on the right, each with
// direction A→B in A's colour beside B→A in B's, against the epoch; a ring marks the best FID
// A→B, the epoch of best.safetensors.
func metricsPlot(rows []metricsRow) ([]byte, error) {
	best := 0
	for i, r := range rows {
		if r.ab.FID < rows[best].ab.FID {
			best = i
		}
	}
	first, last := float64(rows[0].epoch), float64(rows[len(rows)-1].epoch)
	panels := []struct {
		title string
		value func(s scores) (y, err float64)
	}{
		{"FID on the test set (lower is better)", func(s scores) (float64, float64) { return s.FID, 0 }},
		{"KID on the test set, mean ± std over subsets", func(s scores) (float64, float64) { return s.KIDMean, s.KIDStd }},
	}
	plots := [][]*plot.Plot{make([]*plot.Plot, len(panels))}
	for i, panel := range panels {
		p := plot.New()
		p.Title.Text = panel.title
		p.X.Label.Text = "epoch"
		p.X.Tick.Marker = plot.TickerFunc(epochTicks)
		p.X.Min, p.X.Max = first-0.5, last+0.5 // a single evaluation is a point, not a zero-width axis
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		for _, line := range []struct {
			name   string
			side   func(r metricsRow) scores
			colour color.NRGBA
		}{
			{"A→B (testA through G_A, against testB)", func(r metricsRow) scores { return r.ab }, colourA},
			{"B→A (testB through G_B, against testA)", func(r metricsRow) scores { return r.ba }, colourB},
		} {
			xys := make(plotter.XYs, len(rows))
			errs := make(plotter.YErrors, len(rows))
			for j, r := range rows {
				y, e := panel.value(line.side(r))
				xys[j] = plotter.XY{X: float64(r.epoch), Y: y}
				errs[j] = struct{ Low, High float64 }{e, e}
			}
			l, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = line.colour, vg.Points(1.8)
			points.Color, points.Shape = line.colour, draw.CircleGlyph{}
			p.Add(l, points)
			if i == 1 {
				bars, err := plotter.NewYErrorBars(struct {
					plotter.XYs
					plotter.YErrors
				}{xys, errs})
				if err != nil {
					return nil, err
				}
				bars.Color = line.colour
				p.Add(bars)
			}
			p.Legend.Add(line.name, l, points)
		}
		y, _ := panel.value(rows[best].ab)
		ring, err := plotter.NewScatter(plotter.XYs{{X: float64(rows[best].epoch), Y: y}})
		if err != nil {
			return nil, err
		}
		ring.Shape, ring.Radius, ring.Color = draw.RingGlyph{}, vg.Points(7), color.Black
		p.Add(ring)
		p.Legend.Add("best.safetensors (best FID A→B)", ring)
		plots[0][i] = p
	}

	header := fmt.Sprintf("Test-set FID and KID, %d evaluations; best FID A→B %.2f at epoch %d, last %.2f at epoch %d",
		len(rows), rows[best].ab.FID, rows[best].epoch, rows[len(rows)-1].ab.FID, rows[len(rows)-1].epoch)
	return panelsPNG(plots, 12*vg.Inch, 4.5*vg.Inch, header)
}

// metricsView is the page's section on the test-set metrics: what they are, the best
// checkpoint's values beside the last evaluation's, and the plot.
type metricsView struct {
	Plot              string // URL of metrics.png
	Rule, Best, Last  string
	Protocol, Command string
}

// metricsSection reads the run's metrics.csv and best.safetensors for its page; nil when the run
// has no evaluations.
func metricsSection(runDir string) *metricsView {
	rows, err := readMetricsCSV(filepath.Join(runDir, "metrics.csv"))
	if err != nil || len(rows) == 0 {
		return nil
	}
	describe := func(r metricsRow) string {
		return fmt.Sprintf("epoch %d (%d steps): FID A→B %.2f, B→A %.2f; KID A→B %.4f ± %.4f, B→A %.4f ± %.4f",
			r.epoch, r.steps, r.ab.FID, r.ba.FID, r.ab.KIDMean, r.ab.KIDStd, r.ba.KIDMean, r.ba.KIDStd)
	}
	v := &metricsView{Plot: "metrics.png", Rule: bestSelection, Last: describe(rows[len(rows)-1])}
	best := filepath.Join(runDir, "checkpoints", "best.safetensors")
	if meta, err := safetensors.ReadMetadata(best); err == nil {
		epoch, _ := strconv.Atoi(meta["epoch"])
		for _, r := range rows {
			if r.epoch == epoch {
				v.Best = describe(r)
			}
		}
		v.Protocol = meta[fidProtocolKey]
		v.Command = fmt.Sprintf("cyclegan eval -inception FILE -checkpoint %s -dataroot DATAROOT", best)
	}
	return v
}
