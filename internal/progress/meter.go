package progress

import (
	"fmt"
	"io"
	"time"
)

// DefaultWidth is the width assumed for a terminal that does not say how wide it is.
const DefaultWidth = 80

// Config says where a Meter writes and how it reads the time and the terminal's width.
type Config struct {
	Out      io.Writer
	Terminal bool             // redraw one status line in place; false: plain lines, no '\r'
	Width    func() int       // the terminal's width in columns; nil, or a result <= 0, means DefaultWidth
	Now      func() time.Time // nil means time.Now
	Every    time.Duration    // the interval between plain lines; 0 means 30 s
	Redraw   time.Duration    // the least interval between terminal redraws; 0 means 100 ms
}

// Status is where the loop stands just after a step.
type Status struct {
	Epoch, Epochs   int     // the current epoch, from 0, and the number of epochs
	Index, EpochLen int     // steps done in this epoch, this one included, and the epoch's length
	Done, Total     int     // steps done in the whole run, this one and restored ones included, and its length
	Groups          []Group // values to show after the progress, such as losses
}

// Group is a named set of values, shown as "name v1/v2/...".
type Group struct {
	Name   string
	Values []float64
}

// Meter turns steps into a status line (on a terminal) or plain lines (elsewhere). Write errors
// are ignored: a progress display that cannot be written is no reason to stop the work.
type Meter struct {
	cfg Config

	started bool
	start   time.Time // when the clock started: Start, or the first Step without it
	steps   int       // the steps timed since start

	last   Status    // the last step's status
	lastAt time.Time // and its time
	any    bool      // a step has been seen
	shown  bool      // the last step is on screen or printed
	open   bool      // terminal: a status line is on screen, not yet ended with a newline
	drawn  time.Time // terminal: when the line was last drawn
	lines  int       // plain: the lines printed
	wrote  time.Time // plain: when the last line was printed
}

// New returns a Meter that writes to cfg.Out. Call Start just before the first step.
func New(cfg Config) *Meter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Every <= 0 {
		cfg.Every = 30 * time.Second
	}
	if cfg.Redraw <= 0 {
		cfg.Redraw = 100 * time.Millisecond
	}
	return &Meter{cfg: cfg}
}

// Start starts the clock. Called just before the first step, it makes that step, which also
// pays for warming up, count at its true cost.
func (m *Meter) Start() {
	m.start, m.started, m.steps = m.cfg.Now(), true, 0
}

// Step records a step that has just finished at s, and shows it if it is time to: on a terminal
// at most once per Config.Redraw, elsewhere for the first step and then once per Config.Every.
func (m *Meter) Step(s Status) {
	now := m.cfg.Now()
	if m.started {
		m.steps++
	} else {
		// Without Start, the clock starts now. This step began before it, so it is not timed:
		// counting it would make it free and the speed too high.
		m.start, m.started = now, true
	}
	m.last, m.lastAt, m.any, m.shown = s, now, true, false
	if m.cfg.Terminal {
		if !m.open || now.Sub(m.drawn) >= m.cfg.Redraw {
			m.draw(now)
		}
		return
	}
	if m.lines == 0 || now.Sub(m.wrote) >= m.cfg.Every {
		m.print(now)
	}
}

// Leave ends the status where it stands, at the end of an epoch or of the run. On a terminal it
// draws the last step and ends the line, which stays on screen; elsewhere it prints the last
// step's line unless it was printed already. It does nothing when no step came since the last
// Leave.
func (m *Meter) Leave() {
	now := m.cfg.Now()
	if m.cfg.Terminal {
		if m.open {
			if !m.shown {
				m.draw(now)
			}
			fmt.Fprintln(m.cfg.Out)
			m.open = false
		}
		return
	}
	if m.any && !m.shown {
		m.print(now)
	}
}

// Rate returns the steps per second timed since the clock started, up to the last step, and
// false when there is no timed step yet.
func (m *Meter) Rate() (float64, bool) {
	elapsed := m.lastAt.Sub(m.start).Seconds()
	if m.steps == 0 || elapsed <= 0 {
		return 0, false
	}
	return float64(m.steps) / elapsed, true
}

// left returns the time that steps more steps take at the measured rate.
func (m *Meter) left(steps int) (time.Duration, bool) {
	rate, ok := m.Rate()
	if !ok {
		return 0, false
	}
	return time.Duration(float64(max(steps, 0)) / rate * float64(time.Second)), true
}

func (m *Meter) draw(now time.Time) {
	width := DefaultWidth
	if m.cfg.Width != nil {
		if w := m.cfg.Width(); w > 0 {
			width = w
		}
	}
	// The last column stays empty: a character written there leaves many terminals waiting to
	// wrap, and the next redraw would then start on a new line.
	fmt.Fprint(m.cfg.Out, "\r"+fit(m.parts(), width-1)+"\x1b[K")
	m.open, m.shown, m.drawn = true, true, now
}

func (m *Meter) print(now time.Time) {
	fmt.Fprintln(m.cfg.Out, plain(m.parts(), m.lastAt.Sub(m.start)))
	m.lines, m.shown, m.wrote = m.lines+1, true, now
}

// parts reads the last step's status into the parts of a line.
func (m *Meter) parts() parts {
	s := m.last
	p := parts{status: s, rate: "?it/s", eta: "ETA ? run ?", etaPlain: "ETA epoch ?, run ?"}
	if rate, ok := m.Rate(); ok {
		p.rate = formatRate(rate)
		epoch, _ := m.left(s.EpochLen - s.Index)
		run, _ := m.left(s.Total - s.Done)
		p.eta = "ETA " + formatDuration(epoch) + " run " + formatDuration(run)
		p.etaPlain = "ETA epoch " + formatDuration(epoch) + ", run " + formatDuration(run)
	}
	return p
}
