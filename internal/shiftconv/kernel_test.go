package shiftconv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// forEachPath runs f once per path this CPU can run, that path active.
func forEachPath(t *testing.T, f func(t *testing.T, p *path)) {
	for _, name := range Paths() {
		t.Run(name, func(t *testing.T) {
			prev := SetPath(name)
			defer SetPath(prev)
			f(t, active)
		})
	}
}

func nanBuffer(n int) []float32 {
	b := make([]float32, n)
	for i := range b {
		b[i] = float32(math.NaN())
	}
	return b
}

func normals(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// raggedOffsets returns taps offsets, unsorted and repeated some of the time, below limit.
func raggedOffsets(rng *rand.Rand, taps, limit int) []int {
	offs := make([]int, taps)
	for t := range offs {
		offs[t] = rng.IntN(limit)
	}
	if taps > 2 {
		offs[taps-1] = offs[0]
	}
	return offs
}

// TestTapsMatchGoTwin runs every path's taps kernel for 1 to 4 output channels against tapsGo
// on ragged tap and chunk counts and odd offsets (unaligned loads), with a leading dimension
// larger than the rows so that the gap between rows is a NaN guard band that must survive.
func TestTapsMatchGoTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	forEachPath(t, func(t *testing.T, p *path) {
		for ob := 1; ob <= maxBlock; ob++ {
			for _, taps := range []int{1, 2, 3, 5, 9, 49, 148} {
				for _, chunks := range []int{1, 2, 3, 7} {
					name := fmt.Sprintf("ob=%d taps=%d chunks=%d", ob, taps, chunks)
					n := chunks * p.chunk()
					ldo := n + 5
					in := normals(rng, n+301)
					offs := raggedOffsets(rng, taps, 302)
					w := normals(rng, taps*ob)
					got, want := nanBuffer(ob*ldo), nanBuffer(ob*ldo)
					p.runTaps(ob, got, ldo, in, offs, w, taps, chunks)
					tapsGo(p.chunk(), ob, want, ldo, in, offs, w, taps, chunks)
					compareRows(t, name, got, want, ob, ldo, n, func(o, q int) float64 {
						var s float64
						for t, off := range offs {
							s += math.Abs(float64(w[t*ob+o]) * float64(in[off+q]))
						}
						return s
					})
				}
			}
		}
	})
}

// TestDotsMatchGoTwin runs every path's dots kernel for 1 to 4 output channels against dotsGo
// on ragged lengths and offsets, the gradient rows a leading dimension apart with NaN between
// them that must not be read.
func TestDotsMatchGoTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	forEachPath(t, func(t *testing.T, p *path) {
		tb, lanes := p.vecs, p.lanes
		for ob := 1; ob <= maxBlock; ob++ {
			for _, n := range []int{1, 2, 3, 5, 17, 100} {
				name := fmt.Sprintf("ob=%d n=%d", ob, n)
				m := n * lanes
				lddy := m + 3
				dy := nanBuffer(ob * lddy)
				for o := range ob {
					copy(dy[o*lddy:], normals(rng, m))
				}
				in := normals(rng, m+200)
				offs := raggedOffsets(rng, tb, 201)
				width := tb * lanes
				got, want := nanBuffer(ob*width+7), nanBuffer(ob*width+7)
				p.runDots(ob, got, dy, lddy, in, offs, n)
				dotsGo(lanes, tb, ob, want, dy, lddy, in, offs, n)
				compareRows(t, name, got, want, 1, len(got), ob*width, func(_, i int) float64 {
					o, tap, l := i/width, i%width/lanes, i%lanes
					var s float64
					for k := l; k < m; k += lanes {
						s += math.Abs(float64(dy[o*lddy+k]) * float64(in[offs[tap]+k]))
					}
					return s
				})
			}
		}
	})
}

// compareRows checks a kernel's output got against its twin's want: rows of ld floats, the
// first n of each computed and the rest NaN guards. The twin rounds each product before adding
// it and the kernels fuse the two, so they may differ by rounding errors of the terms' size:
// the bound is relative to scale(row, i) = Σ|terms|.
func compareRows(t *testing.T, name string, got, want []float32, rows, ld, n int, scale func(row, i int) float64) {
	t.Helper()
	for r := range rows {
		for i := range ld {
			g, w := got[r*ld+i], want[r*ld+i]
			if i >= n {
				if !math.IsNaN(float64(g)) {
					t.Fatalf("%s: row %d: guard %d overwritten with %v", name, r, i, g)
				}
				continue
			}
			if d := math.Abs(float64(g) - float64(w)); !(d <= 1e-6*scale(r, i)) {
				t.Fatalf("%s: row %d element %d: kernel %v, Go twin %v (scale %.3g)", name, r, i, g, w, scale(r, i))
			}
		}
	}
}

// TestKernelBoundsChecks checks that runTaps and runDots refuse every access the assembly
// would make outside its slices (or rows that overlap), with a panic instead.
func TestKernelBoundsChecks(t *testing.T) {
	p := active
	n := 2 * p.chunk()
	in, offs, w := make([]float32, n+10), []int{0, 10}, make([]float32, 2*2)
	out := make([]float32, 2*n)
	tb := p.vecs
	dotsOffs := make([]int, tb)
	part, dy := make([]float32, 2*tb*p.lanes), make([]float32, 2*n)
	cases := map[string]func(){
		"taps: in too short":      func() { p.runTaps(2, out, n, in[:n+9], offs, w, 2, 2) },
		"taps: out too short":     func() { p.runTaps(2, out[:2*n-1], n, in, offs, w, 2, 2) },
		"taps: rows overlap":      func() { p.runTaps(2, out, n-1, in, offs, w, 2, 2) },
		"taps: negative ld":       func() { p.runTaps(2, out, -n, in, offs, w, 2, 2) },
		"taps: weights too short": func() { p.runTaps(2, out, n, in, offs, w[:3], 2, 2) },
		"taps: offsets too short": func() { p.runTaps(2, out, n, in, offs[:1], w, 2, 2) },
		"taps: negative offset":   func() { p.runTaps(2, out, n, in, []int{0, -1}, w, 2, 2) },
		"taps: five channels":     func() { p.runTaps(5, out, n, in, offs, make([]float32, 10), 2, 2) },
		"taps: no chunks":         func() { p.runTaps(2, out, n, in, offs, w, 2, 0) },
		"dots: in too short":      func() { p.runDots(2, part, dy, n, in[:n-1], dotsOffs, n/p.lanes) },
		"dots: dy too short":      func() { p.runDots(2, part, dy[:2*n-1], n, in, dotsOffs, n/p.lanes) },
		"dots: rows overlap":      func() { p.runDots(2, part, dy, n-1, in, dotsOffs, n/p.lanes) },
		"dots: part too short":    func() { p.runDots(2, part[:len(part)-1], dy, n, in, dotsOffs, n/p.lanes) },
		"dots: offsets too short": func() { p.runDots(2, part, dy, n, in, dotsOffs[:tb-1], n/p.lanes) },
		"dots: no vectors":        func() { p.runDots(2, part, dy, n, in, dotsOffs, 0) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("did not panic")
				}
			}()
			f()
		})
	}
	// The same calls within bounds run.
	p.runTaps(2, out, n, in, offs, w, 2, 2)
	p.runDots(2, part, dy, n, in, dotsOffs, n/p.lanes)
}
