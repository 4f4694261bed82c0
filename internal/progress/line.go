package progress

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The bar graphic's width, brackets included: below minBar it says nothing that the count
// beside it does not.
const (
	minBar = 12
	maxBar = 32
)

// parts is a step's status with its speed and ETAs already written as text.
type parts struct {
	status   Status
	rate     string // "4.2it/s"
	eta      string // "ETA 0:03 run 1h02m": the epoch's, then the whole run's
	etaPlain string // "ETA epoch 0:03, run 1h02m"
}

// fit writes the terminal status line in at most width columns. It gives up, in this order:
// the bar graphic (which shrinks first), the loss values' third decimal, the loss groups from the
// right, the speed; what still does not fit is cut.
//
//	epoch 1/2 [=====>      ] 13/24 4.2it/s ETA 0:03 run 0:09 D 0.123/0.456 G 0.987/0.876 ...
//	epoch 1/2 13/24 4.2it/s ETA 0:03 run 0:09 D .12/.46 G .99/.88 cyc 3.46/3.57
func fit(p parts, width int) string {
	s := p.status
	head := fmt.Sprintf("epoch %d/%d", s.Epoch+1, s.Epochs)
	count := fmt.Sprintf("%d/%d", s.Index, s.EpochLen)
	line := func(bar, rate, values string) string {
		return join(head, bar, count, rate, p.eta, values)
	}
	all := len(s.Groups)
	full := groups(s.Groups, all, long)
	if room := width - len(line("", p.rate, full)) - 1; room >= minBar {
		return line(bar(s.Index, s.EpochLen, min(room, maxBar)), p.rate, full)
	}
	if l := line("", p.rate, full); len(l) <= width {
		return l
	}
	for n := all; n >= 0; n-- {
		if l := line("", p.rate, groups(s.Groups, n, short)); len(l) <= width {
			return l
		}
	}
	l := line("", "", "")
	if len(l) > width {
		l = l[:max(width, 0)]
	}
	return l
}

// plain writes a step's line for a log: everything, with no regard for width.
//
//	epoch 1/2 13/24  step 13/48 (27%)  4.2 it/s  elapsed 0:03  ETA epoch 0:03, run 0:09  D 0.123/0.456 ...
func plain(p parts, elapsed time.Duration) string {
	s := p.status
	percent := 0
	if s.Total > 0 {
		percent = 100 * s.Done / s.Total
	}
	fields := []string{
		fmt.Sprintf("epoch %d/%d %d/%d", s.Epoch+1, s.Epochs, s.Index, s.EpochLen),
		fmt.Sprintf("step %d/%d (%d%%)", s.Done, s.Total, percent),
		strings.Replace(p.rate, "it/s", " it/s", 1),
		"elapsed " + formatDuration(elapsed),
		p.etaPlain,
	}
	if len(s.Groups) > 0 {
		fields = append(fields, groups(s.Groups, len(s.Groups), long))
	}
	return strings.Join(fields, "  ")
}

// join joins the non-empty fields with single spaces.
func join(fields ...string) string {
	var kept []string
	for _, f := range fields {
		if f != "" {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

// groups writes the first n groups, each value by format: "D 0.123/0.456 G 0.987/0.876".
func groups(gs []Group, n int, format func(float64) string) string {
	var fields []string
	for _, g := range gs[:n] {
		values := make([]string, len(g.Values))
		for i, v := range g.Values {
			values[i] = format(v)
		}
		fields = append(fields, g.Name+" "+strings.Join(values, "/"))
	}
	return strings.Join(fields, " ")
}

// long writes a value with three decimals, as the loss lines of -quiet do.
func long(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// short writes a value with two decimals and no leading zero: 0.1234 is ".12", 3.456 is "3.46".
// Two decimals rather than two significant digits keep the width steady from 0 to 10, where
// losses live, so that a redraw does not push a loss group in and out of the line.
func short(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if after, ok := strings.CutPrefix(s, "0."); ok {
		return "." + after
	}
	if after, ok := strings.CutPrefix(s, "-0."); ok {
		return "-." + after
	}
	return s
}

// bar draws done out of total as "[=====>    ]", width columns in all.
func bar(done, total, width int) string {
	inner := width - 2
	filled := inner
	if total > 0 && done < total {
		filled = inner * max(done, 0) / total
	}
	if filled >= inner {
		return "[" + strings.Repeat("=", inner) + "]"
	}
	if filled == 0 {
		return "[" + strings.Repeat(" ", inner) + "]"
	}
	return "[" + strings.Repeat("=", filled-1) + ">" + strings.Repeat(" ", inner-filled) + "]"
}

// formatRate writes a speed in steps per second, or in seconds per step below one a second,
// where "0.3it/s" would be hard to read.
func formatRate(perSecond float64) string {
	switch {
	case perSecond >= 100:
		return fmt.Sprintf("%.0fit/s", perSecond)
	case perSecond >= 1:
		return fmt.Sprintf("%.1fit/s", perSecond)
	}
	return fmt.Sprintf("%.1fs/it", 1/perSecond)
}

// formatDuration writes d as m:ss under an hour, then as 5h07m, then as 3d04h: the seconds of a
// long ETA are noise.
func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 3600:
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	case s < 48*3600:
		return fmt.Sprintf("%dh%02dm", s/3600, s/60%60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s/3600%24)
}
