package main

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/zebra-go/zebra/models/cyclegan"
)

// lossPanels are the panels of loss.png, left to right and top to bottom. Each shows a loss of
// direction A beside its twin of direction B (indices into cyclegan.LossNames), so that the two
// directions can be compared on one scale and the scales of different losses (the cycle loss is
// ten times the others) do not squash each other.
var lossPanels = [4]struct {
	title string
	a, b  int
}{
	{"discriminators (D_A judges B images, D_B judges A)", 0, 4},
	{"generators' GAN losses (fooling D_A, D_B)", 1, 5},
	{"cycle losses (lambda · L1 of rec against real)", 2, 6},
	{"identity losses (lambda · lambda_idt · L1)", 3, 7},
}

// The colours of direction A and B: blue and vermillion from Okabe and Ito's palette, which
// stay apart for the common kinds of colour blindness (red and green, which the old plot used,
// do not).
var (
	colourA = color.NRGBA{R: 0, G: 114, B: 178, A: 255}
	colourB = color.NRGBA{R: 213, G: 94, B: 0, A: 255}
)

const (
	// maxPlotPoints bounds the points of a line: the panels are about 500 pixels wide, so more
	// points only cost drawing time (a 200-epoch run has 270,000 steps).
	maxPlotPoints = 2000
	// strokePoints is the most points stroked as one path. The rasterizer (freetype's, under
	// vgimg) searches a list of the cells a path has touched on every new cell, so one long
	// zigzag of every step's loss costs time quadratic in its length: loss.png of a 720-step
	// run took 241 ms with one path per line, 102 ms in pieces of 32 points (and looks the same).
	strokePoints = 32
	// epochAxisFrom is the span, in epochs, from which the x axis counts epochs instead of steps:
	// a step number is easier to find in loss.csv, an epoch easier to read on a long run.
	epochAxisFrom = 2
)

// smoothingWindow is the running mean's length for a log of n steps: a 20th of them, so that
// the curve keeps the shape of the run, at most an epoch (a long run's curve then shows what
// happens within a few epochs), and at least 1 (no smoothing).
func smoothingWindow(n, epochLen int) int {
	w := n / 20
	if epochLen > 0 {
		w = min(w, epochLen)
	}
	return max(1, w)
}

// runningMean returns, for each i, the mean of ys[i-window+1 .. i] (of ys[0 .. i] while fewer
// are there): a trailing mean, so that the last point is the mean of the last window steps, the
// loss "now". A window of 1 returns ys.
func runningMean(ys []float64, window int) []float64 {
	out := make([]float64, len(ys))
	sum := 0.0
	for i, y := range ys {
		sum += y
		if i >= window {
			sum -= ys[i-window]
		}
		out[i] = sum / float64(min(i+1, window))
	}
	return out
}

// lossAxis returns each row's x coordinate and the axis's label: the step while the rows span
// less than epochAxisFrom epochs, the fractional epoch (epoch + (index+1)/epochLen, so that the
// last step of the first epoch is at 1) from then on.
func lossAxis(rows []lossRow, epochLen int) ([]float64, string) {
	xs := make([]float64, len(rows))
	epochs := epochLen > 0 && len(rows) > 0 && epochOf(rows[len(rows)-1], epochLen)-epochOf(rows[0], epochLen) >= epochAxisFrom
	for i, r := range rows {
		if epochs {
			xs[i] = epochOf(r, epochLen)
		} else {
			xs[i] = float64(r.step)
		}
	}
	if epochs {
		return xs, "epoch"
	}
	return xs, "step"
}

// epochTicks marks whole epochs: a label every 1, 2, 5, 10, 20, 50, ... epochs, the smallest
// that gives at most 8 labels (gonum's default ticks would label 0.4, 1.6, 2.8), and unlabelled
// ticks at a fifth of that between them.
func epochTicks(min, max float64) []plot.Tick {
	step := epochTickStep(max - min)
	minor := step / 5
	if minor == 0 {
		minor = step
	}
	var ticks []plot.Tick
	for e := int(math.Ceil(min/float64(minor))) * minor; float64(e) <= max; e += minor {
		t := plot.Tick{Value: float64(e)}
		if e%step == 0 {
			t.Label = strconv.Itoa(e)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// epochTickStep is the smallest of 1, 2, 5, 10, 20, 50, ... epochs that divides span into at
// most 8 parts.
func epochTickStep(span float64) int {
	for scale := 1; scale <= cyclegan.MaxEpochs; scale *= 10 {
		for _, m := range []int{1, 2, 5} {
			if float64(m*scale)*8 >= span {
				return m * scale
			}
		}
	}
	return 10 * cyclegan.MaxEpochs
}

func epochOf(r lossRow, epochLen int) float64 {
	return float64(r.epoch) + float64(r.index+1)/float64(epochLen)
}

// thin returns the points (xs[i], ys[i]), averaged over runs of consecutive points so that at
// most maxPoints remain.
func thin(xs, ys []float64, maxPoints int) plotter.XYs {
	bucket := max(1, (len(xs)+maxPoints-1)/maxPoints)
	var xys plotter.XYs
	for start := 0; start < len(xs); start += bucket {
		end := min(start+bucket, len(xs))
		var x, y float64
		for i := start; i < end; i++ {
			x += xs[i]
			y += ys[i]
		}
		n := float64(end - start)
		xys = append(xys, plotter.XY{X: x / n, Y: y / n})
	}
	return xys
}

// plot writes loss.png (see lossPlot).
func (l *lossLog) plot(path string) error {
	if len(l.rows) == 0 {
		return nil
	}
	png, err := lossPlot(l.rows, l.epochLen)
	if err != nil {
		return err
	}
	return writeFile(path, png)
}

// addFaintLine adds the every-step line of a loss to p, thin and translucent under its running
// mean, stroked in the pieces of strokePieces.
func addFaintLine(p *plot.Plot, pts plotter.XYs, colour color.NRGBA) error {
	for _, piece := range strokePieces(pts) {
		l, err := plotter.NewLine(piece)
		if err != nil {
			return err
		}
		l.Color = color.NRGBA{R: colour.R, G: colour.G, B: colour.B, A: 60}
		l.Width = vg.Points(0.6)
		p.Add(l)
	}
	return nil
}

// strokePieces cuts a line into pieces of at most strokePoints+1 points, each starting at the
// point where the one before ended, so that together they draw the same line.
func strokePieces(pts plotter.XYs) []plotter.XYs {
	pieces := []plotter.XYs{pts[:min(strokePoints+1, len(pts))]}
	for lo := strokePoints; lo < len(pts)-1; lo += strokePoints {
		pieces = append(pieces, pts[lo:min(lo+strokePoints+1, len(pts))])
	}
	return pieces
}

// lossPlot draws the losses as a PNG: one panel per pair in lossPanels, each loss as a faint line
// of its every step under a running mean.
func lossPlot(rows []lossRow, epochLen int) ([]byte, error) {
	xs, xLabel := lossAxis(rows, epochLen)
	window := smoothingWindow(len(rows), epochLen)
	ys := make([]float64, len(rows))
	plots := [][]*plot.Plot{make([]*plot.Plot, 2), make([]*plot.Plot, 2)}
	for i, panel := range lossPanels {
		p := plot.New()
		p.Title.Text = panel.title
		p.X.Label.Text = xLabel
		if xLabel == "epoch" {
			p.X.Tick.Marker = plot.TickerFunc(epochTicks)
		}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		for _, line := range []struct {
			loss   int
			colour color.NRGBA
		}{{panel.a, colourA}, {panel.b, colourB}} {
			for j, r := range rows {
				ys[j] = r.losses[line.loss]
			}
			if err := addFaintLine(p, thin(xs, ys, maxPlotPoints), line.colour); err != nil {
				return nil, err
			}
			mean, err := plotter.NewLine(thin(xs, runningMean(ys, window), maxPlotPoints))
			if err != nil {
				return nil, err
			}
			mean.Color = line.colour
			mean.Width = vg.Points(1.8)
			p.Add(mean)
			p.Legend.Add(cyclegan.LossNames[line.loss], mean)
		}
		plots[i/2][i%2] = p
	}

	header := fmt.Sprintf("CycleGAN losses, %d steps: running mean over %d steps, each step faint", len(rows), window)
	if window == 1 {
		header = fmt.Sprintf("CycleGAN losses, %d steps", len(rows))
	}
	return panelsPNG(plots, 12*vg.Inch, 7.5*vg.Inch, header)
}

// panelsPNG draws plots, rows of panels, as one width×height PNG at 100 dpi under a centred
// header: loss.png's and metrics.png's layout.
func panelsPNG(plots [][]*plot.Plot, width, height vg.Length, header string) ([]byte, error) {
	img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(100))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadTop: 0.45 * vg.Inch, PadBottom: 0.1 * vg.Inch,
		PadLeft: 0.1 * vg.Inch, PadRight: 0.2 * vg.Inch, PadX: 0.4 * vg.Inch, PadY: 0.3 * vg.Inch}
	// Align gives the panels' data areas the same size and position in their tiles, whatever
	// their tick labels' widths, so that the x axes line up.
	canvases := plot.Align(plots, tiles, dc)
	for r := range plots {
		for c := range plots[r] {
			plots[r][c].Draw(canvases[r][c])
		}
	}
	dc.FillText(draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 15), Handler: plot.DefaultTextHandler,
		XAlign: text.XCenter, YAlign: text.YTop}, vg.Point{X: width / 2, Y: height - 0.1*vg.Inch}, header)

	var buf bytes.Buffer
	// The fastest compression: about 3.7x faster than the default on a 1200x750 loss.png, for
	// a file 9% larger (it is redrawn as training goes).
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img.Image()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
