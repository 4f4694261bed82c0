package shiftconv

import (
	"fmt"

	"github.com/zebra-go/zebra/internal/cpu"
)

// maxBlock is the most output channels one kernel call computes.
const maxBlock = 4

// maxChunk is a multiple of every path's chunk: workspaces are sized with it, so that they fit
// whichever path runs.
const maxChunk = 96

// path is one implementation of the two kernels, for one CPU level. taps and dots are the
// kernels with their bounds already checked (runTaps and runDots check them).
type path struct {
	name  string
	level cpu.Level
	lanes int // float32s per vector
	vecs  int // vectors per chunk of taps, and taps per block of dots
	taps  func(ob int, out []float32, ldo int, in []float32, offs []int, w []float32, taps, chunks int)
	dots  func(ob int, part, dy []float32, lddy int, in []float32, offs []int, n int)
}

// chunk is the number of positions one taps step computes.
func (p *path) chunk() int { return p.lanes * p.vecs }

func (p *path) cpuLevel() cpu.Level { return p.level }

// genericPath runs the Go twins, on AVX2's geometry (8 lanes, 3 vectors).
var genericPath = &path{name: "generic", level: cpu.Generic, lanes: 8, vecs: 3,
	taps: func(ob int, out []float32, ldo int, in []float32, offs []int, w []float32, taps, chunks int) {
		tapsGo(24, ob, out, ldo, in, offs, w, taps, chunks)
	},
	dots: func(ob int, part, dy []float32, lddy int, in []float32, offs []int, n int) {
		dotsGo(8, 3, ob, part, dy, lddy, in, offs, n)
	},
}

// paths lists every path compiled into this binary, best first; generic is always last.
var paths = append(asmPaths(), genericPath)

// active is the path Forward and Weight use: the best one cpu.Active allows.
var active = cpu.Best(paths, (*path).cpuLevel, genericPath)

// Path returns the name of the active path: "avx512", "avx2" or "generic".
func Path() string { return active.name }

func (p *path) pathName() string { return p.name }

// Paths returns the names of the paths this binary contains and this CPU can run, best first.
func Paths() []string { return cpu.Names(paths, (*path).cpuLevel, (*path).pathName) }

// SetPath makes the named path (one of Paths) the active one and returns the name of the
// previous one, for tests and benchmarks that compare paths in one process. It is not safe to
// call while a convolution runs. It panics if the path is not available.
func SetPath(name string) string {
	prev := active.name
	active = cpu.MustFind("shiftconv", paths, (*path).cpuLevel, (*path).pathName, name)
	return prev
}

// runTaps runs p's taps kernel after checking that every access stays inside the slices: the
// assembly does not check.
func (p *path) runTaps(ob int, out []float32, ldo int, in []float32, offs []int, w []float32, taps, chunks int) {
	n := chunks * p.chunk()
	if ob < 1 || ob > maxBlock || taps < 1 || chunks < 1 || len(offs) < taps || len(w) < taps*ob ||
		(ob > 1 && ldo < n) || len(out) < (ob-1)*ldo+n || len(in) < maxOffset(offs[:taps])+n {
		panic(fmt.Sprintf("shiftconv: taps: %d channels, %d taps, %d chunks of %d do not fit out %d (ld %d), in %d, offs %d, w %d",
			ob, taps, chunks, p.chunk(), len(out), ldo, len(in), len(offs), len(w)))
	}
	p.taps(ob, out, ldo, in, offs, w, taps, chunks)
}

// runDots runs p's dots kernel (p.vecs taps) after checking its bounds.
func (p *path) runDots(ob int, part, dy []float32, lddy int, in []float32, offs []int, n int) {
	tb, m := p.vecs, n*p.lanes
	if ob < 1 || ob > maxBlock || n < 1 || len(offs) < tb || len(part) < ob*tb*p.lanes ||
		(ob > 1 && lddy < m) || len(dy) < (ob-1)*lddy+m || len(in) < maxOffset(offs[:tb])+m {
		panic(fmt.Sprintf("shiftconv: dots: %d channels, %d vectors do not fit part %d, dy %d (ld %d), in %d, offs %d",
			ob, n, len(part), len(dy), lddy, len(in), len(offs)))
	}
	p.dots(ob, part, dy, lddy, in, offs, n)
}

func maxOffset(offs []int) int {
	m := 0
	for _, o := range offs {
		if o < 0 {
			panic(fmt.Sprintf("shiftconv: negative offset %d", o))
		}
		m = max(m, o)
	}
	return m
}
