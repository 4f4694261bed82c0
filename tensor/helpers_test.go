package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// tolerance accepts |got − want| ≤ atol + rtol·|want|; NaN matches NaN and infinities match
// themselves.
type tolerance struct{ atol, rtol float64 }

// checkClose reports the elements of got that are not within tl of want.
func checkClose(t *testing.T, what string, got, want []float64, tl tolerance) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d elements, want %d", what, len(got), len(want))
		return
	}
	bad := 0
	for i := range want {
		g, w := got[i], want[i]
		if g == w || math.IsNaN(g) && math.IsNaN(w) || math.Abs(g-w) <= tl.atol+tl.rtol*math.Abs(w) {
			continue
		}
		if bad++; bad <= 5 {
			t.Errorf("%s: [%d] = %.17g, want %.17g (|diff| %.3g)", what, i, g, w, math.Abs(g-w))
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d elements differ in all", what, bad)
	}
}

// checkScaled is checkClose with each element's error measured against scale[i] instead of |want|:
// |got − want| ≤ atol + rtol·scale.
func checkScaled(t *testing.T, what string, got, want, scale []float64, tl tolerance) {
	t.Helper()
	bad := 0
	for i := range want {
		if d := math.Abs(got[i] - want[i]); got[i] != want[i] && !(d <= tl.atol+tl.rtol*scale[i]) {
			if bad++; bad <= 5 {
				t.Errorf("%s: [%d] = %.17g, want %.17g (|diff| %.3g, scale %.3g)", what, i, got[i], want[i], d, scale[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d elements differ in all", what, bad)
	}
}

// panicMessage runs f and returns the message it panicked with, or "" when it returned.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
			if msg == "" {
				msg = "(empty panic)"
			}
		}
	}()
	f()
	return ""
}

// expectPanic checks that f panics with a message containing every one of parts (the op's name
// and the shapes involved, say).
func expectPanic(t *testing.T, f func(), parts ...string) {
	t.Helper()
	msg := panicMessage(f)
	if msg == "" {
		t.Errorf("no panic, want one mentioning %q", parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("panic %q does not mention %q", msg, p)
		}
	}
}
