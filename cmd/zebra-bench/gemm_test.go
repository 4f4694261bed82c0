package main

import "testing"

func TestSelectShapes(t *testing.T) {
	all := append(append([]gemmShape(nil), issueShapes...), trainingShapes()...)
	for _, tc := range []struct {
		patterns []string
		want     int
	}{
		{[]string{"2048,2048,2048"}, 1},
		{[]string{"square"}, 2},
		{[]string{"resblock"}, 4}, // the issue's shape and its fwd, dW and dcols
		{[]string{"square", "7x7"}, 6},
		{[]string{"no such shape"}, 0},
		{[]string{""}, 0},
	} {
		got := selectShapes(all, tc.patterns)
		if len(got) != tc.want {
			t.Errorf("selectShapes(%q) kept %d shapes, want %d: %v", tc.patterns, len(got), tc.want, got)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		x    []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{5}, 5}} {
		if got := median(tc.x); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}
