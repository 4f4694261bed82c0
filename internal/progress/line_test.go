package progress

import (
	"strings"
	"testing"
	"time"
)

// A long run's line (the widest counts a 200-epoch horse2zebra run shows) at each width: what is
// kept, what goes first.
func TestFitDegrades(t *testing.T) {
	p := parts{
		status: Status{
			Epoch: 102, Epochs: 200, Index: 1234, EpochLen: 1334, Done: 137302, Total: 266800,
			Groups: []Group{
				{"D", []float64{0.1234, 0.4567}}, {"G", []float64{0.9876, 0.8766}},
				{"cyc", []float64{3.4567, 3.5678}}, {"idt", []float64{1.7, 1.8}},
			},
		},
		rate: "4.2it/s",
		eta:  "ETA 0:24 run 8h52m",
	}
	cases := []struct {
		width int
		want  string
	}{
		{160, "epoch 103/200 [==========================>   ] 1234/1334 4.2it/s ETA 0:24 run 8h52m D 0.123/0.457 G 0.988/0.877 cyc 3.457/3.568 idt 1.700/1.800"},
		{120, "epoch 103/200 1234/1334 4.2it/s ETA 0:24 run 8h52m D 0.123/0.457 G 0.988/0.877 cyc 3.457/3.568 idt 1.700/1.800"},
		{100, "epoch 103/200 1234/1334 4.2it/s ETA 0:24 run 8h52m D .12/.46 G .99/.88 cyc 3.46/3.57 idt 1.70/1.80"},
		{79, "epoch 103/200 1234/1334 4.2it/s ETA 0:24 run 8h52m D .12/.46 G .99/.88"},
		{59, "epoch 103/200 1234/1334 4.2it/s ETA 0:24 run 8h52m"},
		{45, "epoch 103/200 1234/1334 ETA 0:24 run 8h52m"},
		{20, "epoch 103/200 1234/1"},
	}
	for _, c := range cases {
		if got := fit(p, c.width); got != c.want {
			t.Errorf("width %d:\n got %q\nwant %q", c.width, got, c.want)
		}
	}
	for width := 0; width <= 200; width++ {
		got := fit(p, width)
		if len(got) > width {
			t.Errorf("width %d: %d columns: %q", width, len(got), got)
		}
		if width >= 59 && !strings.Contains(got, "run 8h52m") {
			t.Errorf("width %d: the run's ETA is gone: %q", width, got)
		}
	}
}

func TestBar(t *testing.T) {
	cases := []struct {
		done, total, width int
		want               string
	}{
		{0, 10, 12, "[          ]"},
		{1, 10, 12, "[>         ]"},
		{5, 10, 12, "[====>     ]"},
		{9, 10, 12, "[========> ]"},
		{10, 10, 12, "[==========]"},
		{3, 0, 6, "[====]"},
	}
	for _, c := range cases {
		if got := bar(c.done, c.total, c.width); got != c.want {
			t.Errorf("bar(%d, %d, %d) = %q, want %q", c.done, c.total, c.width, got, c.want)
		}
	}
}

func TestFormats(t *testing.T) {
	durations := map[time.Duration]string{
		0:                                    "0:00",
		1499 * time.Millisecond:              "0:01",
		59*time.Minute + 59*time.Second:      "59:59",
		time.Hour:                            "1h00m",
		47*time.Hour + 59*time.Minute:        "47h59m",
		50*time.Hour + 30*time.Minute:        "2d02h",
		400*time.Hour + 10*time.Second:       "16d16h",
		5*time.Minute + 700*time.Millisecond: "5:01",
	}
	for d, want := range durations {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	rates := map[float64]string{250: "250it/s", 5: "5.0it/s", 1: "1.0it/s", 0.25: "4.0s/it"}
	for r, want := range rates {
		if got := formatRate(r); got != want {
			t.Errorf("formatRate(%v) = %q, want %q", r, got, want)
		}
	}
	shorts := map[float64]string{0.1234: ".12", 0.049: ".05", 3.456: "3.46", 12.345: "12.35", -0.25: "-.25", 0: ".00"}
	for v, want := range shorts {
		if got := short(v); got != want {
			t.Errorf("short(%v) = %q, want %q", v, got, want)
		}
	}
}
