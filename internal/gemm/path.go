package gemm

import (
	"sync"

	"github.com/zebra-go/zebra/internal/cpu"
)

// kernel computes one mr×nr tile of C (see impl for mr and nr):
//
//	for i < mr, j < nr:
//		acc := sum over p < k of A(i,p) * b[p*bStep+j]
//		c[i*ldc+j] = alpha*acc                    if beta == 0 (c is not read)
//		c[i*ldc+j] = alpha*acc + beta*c[i*ldc+j]  otherwise
//
// where A(i,p) is a[p*aStride+i] for a strip kernel (a packed sliver, or a transposed A read in
// place) and a[i*aStride+p] for a rows kernel (a row-major A read in place).
type kernel[T float32 | float64] func(k int, a *T, aStride int, b *T, bStep int, c *T, ldc int, alpha, beta T)

// columnKernel computes tiles tiles stacked down a column strip of C with the strip kernel's
// contract: tile t reads the packed A sliver at a + t*k*mr (aStride = mr) and writes the C
// tile at c + t*mr*ldc, all with the same B sliver. Before each tile it prefetches pfLines
// cache lines from pf on, continuing where the previous tile stopped (the driver points it at
// the next B sliver). tiles must be at least 1.
type columnKernel[T float32 | float64] func(k int, a *T, tiles int, b *T, bStep int, c *T, ldc int, alpha, beta T, pf *T, pfLines int)

// impl is one element type's micro-kernels on one path, with the cache blocking that suits them.
type impl[T float32 | float64] struct {
	mr, nr int       // tile of C computed by one kernel call
	strip  kernel[T] // A(i,p) at a[p*aStride+i]
	rows   kernel[T] // A(i,p) at a[i*aStride+p]
	// column, if not nil, runs the strip kernel down a column of full tiles in one call
	// (the driver's column walk); without it the driver calls strip once per tile.
	column columnKernel[T]
	// transpose packs an operand stored across the sliver: dst[p*width+r] = src[r*ld+p] for
	// r < count, p < kc.
	transpose func(dst []T, width int, src []T, ld, count, kc int)
	// deal packs an operand stored along the slivers; see dealRows.
	deal func(dst []T, w int, src []T, ld, width, kc int)
	// prefetch, if not nil, asks for lines cache lines of buf from line first on (see tiles).
	prefetch func(buf []T, first, lines int)
	// edge, if not nil, are kernels of smaller tiles with the same contract, for the ragged
	// tiles of C that they cover with fewer multiply-adds than one mr×nr call (see edgeTile).
	edge *edgeKernels[T]

	// tuning is the blocking for this machine's caches and the driver's strategy switches
	// (embedded: im.mc, im.kc, ...).
	tuning

	work sync.Pool // of *workspace[T]; each grows to fit the products it serves
}

// edgeKernels are a strip and a rows kernel of emr×enr tiles, each reading A and B with the
// strides of the impl they serve (the packed A sliver is mr tall, the packed B sliver nr wide).
type edgeKernels[T float32 | float64] struct {
	emr, enr    int
	strip, rows kernel[T]
}

// path is one implementation of the package: a set of kernels that needs a CPU level.
type path struct {
	name  string
	level cpu.Level
	s     *impl[float32]
	d     *impl[float64]
	// peak runs iterations of 12 independent FMAs of peakBytes-wide vectors; nil for generic.
	peak      func(iterations int)
	peakBytes int
}

// paths lists every path compiled into this binary, best first; generic is always last.
var paths = append(asmPaths(), genericPath)

// active is the path Sgemm and Dgemm use: the best path that cpu.Active allows.
var active = cpu.Best(paths, (*path).cpuLevel, genericPath)

func (p *path) cpuLevel() cpu.Level { return p.level }

// Path returns the name of the active path: "avx512", "avx2" or "generic".
func Path() string { return active.name }

func (p *path) pathName() string { return p.name }

// Paths returns the names of the paths this binary contains and this CPU can run, best first.
func Paths() []string { return cpu.Names(paths, (*path).cpuLevel, (*path).pathName) }

// findPath returns the named path, or nil where this CPU cannot run it.
func findPath(name string) *path {
	p, _ := cpu.Find(paths, (*path).cpuLevel, (*path).pathName, name)
	return p
}

// SgemmPath is Sgemm on the named path (one of Paths), for benchmarks and tools that compare
// paths in one process. It panics if the path is not available.
func SgemmPath(name string, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	p := findPath(name)
	if p == nil {
		panic("gemm: SgemmPath: path " + name + " is not available on this CPU")
	}
	checkArgs("Sgemm", transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemm(p.s, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// FMALoop runs the named path's peak loop: iterations of 12 independent fused multiply-adds on
// full vectors. It returns the float32 FLOPs executed, or 0 if the path has no such loop.
// cmd/zebra-bench times it to measure the machine's peak.
func FMALoop(name string, iterations int) float64 {
	p := findPath(name)
	if p == nil || p.peak == nil {
		return 0
	}
	p.peak(iterations)
	return float64(iterations) * 12 * float64(p.peakBytes/4) * 2
}

// cpuMissing names the CPU feature path p needs and this machine lacks, or returns "".
func cpuMissing(p *path) string { return cpu.Missing(p.level) }
