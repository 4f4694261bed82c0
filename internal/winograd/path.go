package winograd

import "github.com/zebra-go/zebra/internal/cpu"

// kernel is transformGo for one matrix on n lanes, n a multiple of the path's lane count, with
// no bounds checks (transform checks them first).
type kernel func(dst *float32, dstStride int, src *float32, srcStride int, n int)

// path is one implementation of the transforms: a kernel per matrix, for one CPU level.
type path struct {
	name    string
	level   cpu.Level
	lanes   int // the vector width in float32s; n is a multiple of it
	kernels map[*matrix]kernel
	// gathers and scatters are the fused kernels of fused.go, by matrix (input and gradOutput,
	// output); a path without them gathers into scratch.
	gathers  map[*matrix]gatherKernel
	scatters map[*matrix]scatterKernel
}

// genericPath runs transformGo alone.
var genericPath = &path{name: "generic", level: cpu.Generic, lanes: 1}

// paths lists every path compiled into this binary, best first; generic is always last.
var paths = append(asmPaths(), genericPath)

// active is the path transform uses: the best one cpu.Active allows.
var active = cpu.Best(paths, (*path).cpuLevel, genericPath)

func (p *path) cpuLevel() cpu.Level { return p.level }

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
	active = cpu.MustFind("winograd", paths, (*path).cpuLevel, (*path).pathName, name)
	return prev
}
