package main

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/zebra-go/zebra/models/cyclegan"
)

// TestRunningMean: each point is the mean of the window ending at it, of fewer at the start.
func TestRunningMean(t *testing.T) {
	ys := []float64{4, 0, 2, 6, 1}
	if got, want := runningMean(ys, 2), []float64{4, 2, 1, 4, 3.5}; !slices.Equal(got, want) {
		t.Errorf("runningMean(%v, 2) = %v, want %v", ys, got, want)
	}
	if got := runningMean(ys, 1); !slices.Equal(got, ys) {
		t.Errorf("a window of 1 gives %v, want the values", got)
	}
	if got, want := runningMean(ys, 10), []float64{4, 2, 2, 3, 2.6}; !slices.Equal(got, want) {
		t.Errorf("a window longer than the values gives %v, want the means so far %v", got, want)
	}
	if got := runningMean(nil, 3); len(got) != 0 {
		t.Errorf("no values give %v", got)
	}
}

func TestSmoothingWindow(t *testing.T) {
	for _, c := range []struct{ n, epochLen, want int }{
		{0, 10, 1}, {24, 24, 1}, {250, 1334, 12}, {500, 12, 12}, {266800, 1334, 1334}, {1000, 0, 50},
	} {
		if got := smoothingWindow(c.n, c.epochLen); got != c.want {
			t.Errorf("smoothingWindow(%d, %d) = %d, want %d", c.n, c.epochLen, got, c.want)
		}
	}
}

// TestLossAxis: the x axis counts steps while the log spans under two epochs (a resumed log
// may start late), epochs from then on, the last step of an epoch at the epoch's number.
func TestLossAxis(t *testing.T) {
	rows := func(from, to, epochLen int) []lossRow {
		var rs []lossRow
		for s := from; s <= to; s++ {
			rs = append(rs, lossRow{step: s, epoch: (s - 1) / epochLen, index: (s - 1) % epochLen})
		}
		return rs
	}
	xs, label := lossAxis(rows(1, 15, 10), 10)
	if label != "step" || xs[0] != 1 || xs[14] != 15 {
		t.Errorf("1.5 epochs: axis %q from %g to %g, want steps 1 to 15", label, xs[0], xs[14])
	}
	xs, label = lossAxis(rows(1, 25, 10), 10)
	if label != "epoch" || math.Abs(xs[9]-1) > 1e-12 || math.Abs(xs[24]-2.5) > 1e-12 {
		t.Errorf("2.5 epochs: axis %q with step 10 at %g, step 25 at %g; want epochs, 1 and 2.5", label, xs[9], xs[24])
	}
	if _, label = lossAxis(rows(30, 44, 10), 10); label != "step" {
		t.Errorf("1.5 epochs starting at epoch 3: axis %q, want steps", label)
	}
	if _, label = lossAxis(rows(1, 50, 10), 0); label != "step" {
		t.Errorf("an unknown epoch length: axis %q, want steps", label)
	}
}

// TestThin: long lines are averaged down to at most maxPoints points; short ones are kept.
func TestThin(t *testing.T) {
	xs, ys := []float64{1, 2, 3, 4, 5}, []float64{10, 20, 30, 40, 50}
	if got := thin(xs, ys, 10); len(got) != 5 || got[4].X != 5 || got[4].Y != 50 {
		t.Errorf("thin of 5 points to 10: %v", got)
	}
	got := thin(xs, ys, 2)
	if len(got) != 2 || got[0].X != 2 || got[0].Y != 20 || got[1].X != 4.5 || got[1].Y != 45 {
		t.Errorf("thin of 5 points to 2: %v, want the means of 1..3 and 4..5", got)
	}
}

// TestLossPlot draws a synthetic log and checks the picture: a PNG of the planned size whose four
// panels each show both directions' colours.
func TestLossPlot(t *testing.T) {
	var rows []lossRow
	for s := 1; s <= 300; s++ {
		r := lossRow{step: s, epoch: (s - 1) / 100, index: (s - 1) % 100, tComp: math.NaN(), tData: math.NaN()}
		for k := range r.losses {
			r.losses[k] = float64(k+1) + math.Sin(float64(s))
		}
		rows = append(rows, r)
	}
	dir := t.TempDir()
	l := &lossLog{rows: rows, epochLen: 100}
	path := filepath.Join(dir, "loss.png")
	if err := l.plot(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 750 {
		t.Fatalf("loss.png is %dx%d, want 1200x750", b.Dx(), b.Dy())
	}
	b := img.Bounds()
	for i, panel := range lossPanels {
		quarter := image.Rect(b.Dx()/2*(i%2), b.Dy()/2*(i/2), b.Dx()/2*(i%2+1), b.Dy()/2*(i/2+1))
		for _, c := range []struct {
			loss   int
			colour [3]uint8
		}{{panel.a, [3]uint8{colourA.R, colourA.G, colourA.B}}, {panel.b, [3]uint8{colourB.R, colourB.G, colourB.B}}} {
			if n := pixelsOf(img, quarter, c.colour); n < 100 {
				t.Errorf("panel %q shows %d pixels of %s's colour, want a line", panel.title, n, cyclegan.LossNames[c.loss])
			}
		}
	}
}

// pixelsOf counts the pixels in r within a few levels of colour c.
func pixelsOf(img image.Image, r image.Rectangle, c [3]uint8) int {
	near := func(v uint32, want uint8) bool { return math.Abs(float64(v>>8)-float64(want)) <= 8 }
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			red, green, blue, _ := img.At(x, y).RGBA()
			if near(red, c[0]) && near(green, c[1]) && near(blue, c[2]) {
				n++
			}
		}
	}
	return n
}

// TestLossPlotOfRealLog draws $ZEBRA_LOSS_CSV (a real run's loss.csv, for a look at the picture)
// into $ZEBRA_LOSS_PNG; skipped unless both are set.
func TestLossPlotOfRealLog(t *testing.T) {
	in, out := os.Getenv("ZEBRA_LOSS_CSV"), os.Getenv("ZEBRA_LOSS_PNG")
	if in == "" || out == "" {
		t.Skip("ZEBRA_LOSS_CSV and ZEBRA_LOSS_PNG not set")
	}
	dir := t.TempDir()
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "loss.csv"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := openLossLog(dir, math.MaxInt, 1334)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if err := l.plot(out); err != nil {
		t.Fatal(err)
	}
}

// TestEpochTicks: whole epochs are labelled, at most about 8 of them, with minor ticks between.
func TestEpochTicks(t *testing.T) {
	for _, c := range []struct {
		min, max float64
		labels   []string
	}{
		{0.04, 3, []string{"1", "2", "3"}},
		{0.01, 30, []string{"5", "10", "15", "20", "25", "30"}},
		{0, 200, []string{"0", "50", "100", "150", "200"}},
		{3.1, 4.9, []string{"4"}},
	} {
		var labels []string
		for _, tick := range epochTicks(c.min, c.max) {
			if tick.Value < c.min || tick.Value > c.max {
				t.Errorf("epochTicks(%g, %g) has a tick at %g, outside", c.min, c.max, tick.Value)
			}
			if tick.Label != "" {
				labels = append(labels, tick.Label)
			}
		}
		if !slices.Equal(labels, c.labels) {
			t.Errorf("epochTicks(%g, %g) labels %q, want %q", c.min, c.max, labels, c.labels)
		}
	}
}

// TestStrokePieces: the pieces of a line hold every point in order, each piece starts where the
// last one ended (no gap), and none has more than strokePoints+1 points.
func TestStrokePieces(t *testing.T) {
	for _, n := range []int{1, 2, strokePoints, strokePoints + 1, strokePoints + 2, 3*strokePoints + 7} {
		pts := make(plotter.XYs, n)
		for i := range pts {
			pts[i] = plotter.XY{X: float64(i), Y: float64(i * i)}
		}
		var joined plotter.XYs
		for i, piece := range strokePieces(pts) {
			if len(piece) > strokePoints+1 || len(piece) < 1 || i > 0 && len(piece) < 2 {
				t.Errorf("%d points: piece %d has %d", n, i, len(piece))
			}
			if i > 0 {
				if piece[0] != joined[len(joined)-1] {
					t.Errorf("%d points: piece %d starts at %v, the last ended at %v", n, i, piece[0], joined[len(joined)-1])
				}
				piece = piece[1:]
			}
			joined = append(joined, piece...)
		}
		if !slices.Equal(joined, pts) {
			t.Errorf("%d points: the pieces hold %v", n, joined)
		}
	}
}
