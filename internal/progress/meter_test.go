package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFake() *fakeClock { return &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

// status is a step of a run of epochs epochs of epochLen steps, done steps in (this one included).
func status(done, epochs, epochLen int) Status {
	return Status{
		Epoch: (done - 1) / epochLen, Epochs: epochs,
		Index: (done-1)%epochLen + 1, EpochLen: epochLen,
		Done: done, Total: epochs * epochLen,
		Groups: []Group{{"D", []float64{0.25, 0.5}}, {"G", []float64{0.75, 1}}},
	}
}

// The clock starts at Start, so the first step, slow or not, is timed: 3 s a step leaves 9 steps
// (27 s) of the epoch and 29 (87 s) of the run.
func TestFirstStepIsTimed(t *testing.T) {
	clock, out := newFake(), &bytes.Buffer{}
	m := New(Config{Out: out, Now: clock.now})
	m.Start()
	clock.advance(3 * time.Second)
	m.Step(status(1, 3, 10))
	want := "epoch 1/3 1/10  step 1/30 (3%)  3.0s/it  elapsed 0:03  ETA epoch 0:27, run 1:27  D 0.250/0.500 G 0.750/1.000\n"
	if got := out.String(); got != want {
		t.Errorf("first step:\n got %q\nwant %q", got, want)
	}
}

// After a resume, the restored steps count as done but not as speed: 2 steps in 0.4 s are 5 it/s
// however many steps the checkpoint held.
func TestResumedRate(t *testing.T) {
	clock := newFake()
	m := New(Config{Out: &bytes.Buffer{}, Now: clock.now})
	m.Start()
	for done := 501; done <= 502; done++ {
		clock.advance(200 * time.Millisecond)
		m.Step(status(done, 10, 100))
	}
	rate, ok := m.Rate()
	if !ok || rate != 5 {
		t.Fatalf("Rate() = %v, %v; want 5, true", rate, ok)
	}
	p := m.parts()
	// 98 steps left in epoch 6 (19.6 s), 498 in the run (99.6 s).
	if p.rate != "5.0it/s" || p.eta != "ETA 0:20 run 1:40" {
		t.Errorf("rate %q, eta %q; want 5.0it/s, ETA 0:20 run 1:40", p.rate, p.eta)
	}
}

// Without Start, the first step starts the clock and is not timed, rather than timed as free.
func TestStepWithoutStart(t *testing.T) {
	clock := newFake()
	m := New(Config{Out: &bytes.Buffer{}, Now: clock.now})
	m.Step(status(1, 1, 10))
	if _, ok := m.Rate(); ok {
		t.Errorf("a rate after one untimed step")
	}
	clock.advance(2 * time.Second)
	m.Step(status(2, 1, 10))
	if rate, _ := m.Rate(); rate != 0.5 {
		t.Errorf("Rate() = %v, want 0.5", rate)
	}
}

// Off a terminal: the first step, then a line once every 30 s, and the last step at Leave; no '\r'.
func TestPlainLines(t *testing.T) {
	clock, out := newFake(), &bytes.Buffer{}
	m := New(Config{Out: out, Now: clock.now})
	m.Start()
	for done := 1; done <= 10; done++ {
		clock.advance(7 * time.Second)
		m.Step(status(done, 2, 5))
		if done == 5 {
			m.Leave() // the end of epoch 1
		}
	}
	m.Leave()
	m.Leave() // nothing new: no line
	if strings.Contains(out.String(), "\r") {
		t.Errorf("a '\\r' in plain output:\n%s", out)
	}
	var steps []string
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		steps = append(steps, strings.Fields(line)[4]) // "step 3/10" → "3/10"
	}
	// Step 1 (7 s), step 5 (35 s: 28 s after the last line, but the epoch's end), step 10
	// (70 s: 35 s after), none between.
	if got, want := strings.Join(steps, " "), "1/10 5/10 10/10"; got != want {
		t.Errorf("lines for steps %s, want %s:\n%s", got, want, out)
	}
}

// On a terminal: each redraw is '\r', a line shorter than the width, and an erase to its end;
// redraws come at most once per Config.Redraw; Leave draws the last step and ends the line.
func TestTerminalRedraws(t *testing.T) {
	clock, out := newFake(), &bytes.Buffer{}
	width := 60
	m := New(Config{Out: out, Terminal: true, Width: func() int { return width }, Now: clock.now})
	m.Start()
	for done := 1; done <= 4; done++ {
		clock.advance(40 * time.Millisecond) // step 1 draws, then the next three come within 100 ms of it
		m.Step(status(done, 1, 4))
	}
	m.Leave()
	chunks := strings.Split(out.String(), "\r")[1:]
	if len(chunks) != 2 {
		t.Fatalf("%d redraws, want 2 (the first step and Leave): %q", len(chunks), out)
	}
	for i, c := range chunks {
		line, ok := strings.CutSuffix(strings.TrimSuffix(c, "\n"), "\x1b[K")
		if !ok {
			t.Errorf("redraw %d does not end in an erase: %q", i, c)
		}
		if len(line) >= width {
			t.Errorf("redraw %d is %d columns on a %d-column terminal: %q", i, len(line), width, line)
		}
	}
	if !strings.HasPrefix(chunks[1], "epoch 1/1 4/4 ") || !strings.HasSuffix(chunks[1], "\n") {
		t.Errorf("Leave drew %q, want the last step and a newline", chunks[1])
	}
	m.Leave()
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("a second Leave with no step wrote more: %q", out)
	}
}
