// Package progress reports a long loop's progress: where it stands, its speed, and how long it
// has left, both in the current epoch and in the whole run.
//
// On a terminal a Meter keeps one status line that it redraws in place with '\r', fitted to the
// terminal's width so that it never wraps: as the width shrinks it first drops the bar graphic,
// then abbreviates the loss values, then drops loss groups from the right. Anywhere else (a
// pipe, a log file) it writes no '\r' at all, only plain lines: one for the first step, one
// every Config.Every, and one where an epoch or the run ends.
//
// The speed and the ETAs are measured from this process's own steps and time only. The clock
// starts at Start, before the first step, so the first step (which also pays for warming up) is
// not free; and steps restored from a checkpoint count as done but never as speed.
//
// The clock, the width and the terminal flag are injected (Config), so that all of this is tested
// without a terminal or a real clock.
package progress
