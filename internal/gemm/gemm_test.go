package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// raggedSizes are the dimensions every path is tried on: around the tile sizes of all paths.
var raggedSizes = []int{0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129}

var scalars = []float64{0, 1, -0.5}

// gemmCase is one product to check; offsets and padding make every operand start unaligned and
// have a leading dimension larger than its width.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float64
	offA, offB     int
	offC           int
	padA, padB     int
	padC           int
	threads        int
}

func (c gemmCase) String() string {
	return fmt.Sprintf("transA=%v,transB=%v,m=%d,n=%d,k=%d,alpha=%v,beta=%v,threads=%d",
		c.transA, c.transB, c.m, c.n, c.k, c.alpha, c.beta, c.threads)
}

// blockEdges returns, for each dimension, one size under and one over each of im's block sizes.
func blockEdges[T float32 | float64](im *impl[T]) (ms, ns, ks []int) {
	ms = []int{im.mr - 1, im.mr + 1, im.mc - 1, im.mc + 1}
	ns = []int{im.nr - 1, im.nr + 1, im.nc - 1, im.nc + 1}
	ks = []int{im.kc - 1, im.kc + 1, im.kcDirect - 1, im.kcDirect + 1}
	return ms, ns, ks
}

// cases samples the cartesian product: every transpose and alpha/beta combination, each with a
// few random ragged sizes and one size at a block edge (the other two dimensions kept small).
func cases[T float32 | float64](im *impl[T], rng *rand.Rand) []gemmCase {
	pick := func(s []int) int { return s[rng.IntN(len(s))] }
	small := raggedSizes[:8]
	ms, ns, ks := blockEdges(im)
	var out []gemmCase
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		for _, alpha := range scalars {
			for _, beta := range scalars {
				base := gemmCase{transA: tr[0], transB: tr[1], alpha: alpha, beta: beta}
				for r := 0; r < 5; r++ {
					c := base
					c.m, c.n, c.k = pick(raggedSizes), pick(raggedSizes), pick(raggedSizes)
					out = append(out, c)
				}
				c := base
				c.m, c.n, c.k = pick(small), pick(small), pick(small)
				switch rng.IntN(3) {
				case 0:
					c.m = pick(ms)
				case 1:
					c.n = pick(ns)
				case 2:
					c.k = pick(ks)
				}
				out = append(out, c)
			}
		}
	}
	for i := range out {
		out[i].offA, out[i].offB, out[i].offC = rng.IntN(4), rng.IntN(4), rng.IntN(4)
		out[i].padA, out[i].padB, out[i].padC = rng.IntN(3), rng.IntN(3), rng.IntN(3)
		out[i].threads = 1 + rng.IntN(3)
	}
	return out
}

// operand is a matrix with NaN everywhere outside its rows×cols region: a kernel that reads
// padding, or a guard band it should not, shows up as NaN in the result.
type operand[T float32 | float64] struct {
	data         []T
	off, ld      int
	rows, cols   int
	withinRegion func(i int) bool
}

func newOperand[T float32 | float64](rng *rand.Rand, rows, cols, pad, off int, fill func() T) operand[T] {
	ld := max(cols, 1) + pad
	guard := 5
	n := off + rows*ld + guard
	data := make([]T, n)
	for i := range data {
		data[i] = T(math.NaN())
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			data[off+i*ld+j] = fill()
		}
	}
	return operand[T]{data: data, off: off, ld: ld, rows: rows, cols: cols}
}

func (o operand[T]) inRegion(idx int) bool {
	idx -= o.off
	if idx < 0 || o.ld == 0 {
		return false
	}
	i, j := idx/o.ld, idx%o.ld
	return i < o.rows && j < o.cols
}

func (o operand[T]) at(i, j int) T { return o.data[o.off+i*o.ld+j] }

// checkPath runs every case on one impl against the reference and reports mismatches.
func checkPath[T float32 | float64](t *testing.T, im *impl[T], unit float64, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	uniform := func() T { return T(rng.Float64()*2 - 1) }
	for _, tc := range cases(im, rng) {
		rowsA, colsA := tc.m, tc.k
		if tc.transA {
			rowsA, colsA = tc.k, tc.m
		}
		rowsB, colsB := tc.k, tc.n
		if tc.transB {
			rowsB, colsB = tc.n, tc.k
		}
		a := newOperand(rng, rowsA, colsA, tc.padA, tc.offA, uniform)
		b := newOperand(rng, rowsB, colsB, tc.padB, tc.offB, uniform)
		cFill := uniform
		if tc.beta == 0 {
			// beta == 0 must overwrite C: NaN already there must not reach the result.
			cFill = func() T { return T(math.NaN()) }
		}
		c := newOperand(rng, tc.m, tc.n, tc.padC, tc.offC, cFill)
		aCopy, bCopy := append([]T(nil), a.data...), append([]T(nil), b.data...)
		want := append([]T(nil), c.data...)
		gemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a.data[a.off:], a.ld,
			b.data[b.off:], b.ld, T(tc.beta), want[c.off:], c.ld)

		got := c.data
		checkArgs("test", tc.transA, tc.transB, tc.m, tc.n, tc.k, len(a.data)-a.off, a.ld,
			len(b.data)-b.off, b.ld, len(got)-c.off, c.ld)
		gemm(im, tc.threads, tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a.data[a.off:], a.ld,
			b.data[b.off:], b.ld, T(tc.beta), got[c.off:], c.ld)

		if !sameBits(a.data, aCopy) || !sameBits(b.data, bCopy) {
			t.Fatalf("%v: an input was modified", tc)
		}
		bad := 0
		for idx := range got {
			if !c.inRegion(idx) {
				if !math.IsNaN(float64(got[idx])) {
					t.Errorf("%v: guard element %d of C overwritten with %v", tc, idx, got[idx])
					bad++
				}
				continue
			}
			i, j := (idx-c.off)/c.ld, (idx-c.off)%c.ld
			// The error bound of any summation order: (k+4) roundings of the absolute terms,
			// for both the path and the reference.
			var absSum float64
			for p := 0; p < tc.k; p++ {
				av, bv := opAt(a, tc.transA, i, p), opAt(b, tc.transB, p, j)
				absSum += math.Abs(float64(av) * float64(bv))
			}
			bound := 2 * float64(tc.k+4) * unit * (math.Abs(tc.alpha)*absSum + math.Abs(tc.beta*float64(want[idx])))
			if diff := math.Abs(float64(got[idx]) - float64(want[idx])); !(diff <= bound) {
				t.Errorf("%v: C[%d,%d] = %v, want %v (|diff| %.3g > bound %.3g)", tc, i, j, got[idx], want[idx], diff, bound)
				bad++
			}
			if bad > 5 {
				t.FailNow()
			}
		}
	}
}

func opAt[T float32 | float64](o operand[T], trans bool, i, j int) T {
	if trans {
		return o.at(j, i)
	}
	return o.at(i, j)
}

func sameBits[T float32 | float64](x, y []T) bool {
	for i := range x {
		if x[i] != y[i] && !(x[i] != x[i] && y[i] != y[i]) {
			return false
		}
	}
	return len(x) == len(y)
}

// forEachPath runs f on every path compiled in, skipping (and saying why) those this CPU lacks.
func forEachPath(t *testing.T, f func(t *testing.T, p *path)) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			if missing := cpuMissing(p); missing != "" {
				t.Skipf("this CPU lacks %s", missing)
			}
			f(t, p)
		})
	}
}

func TestSgemmPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) { checkPath(t, p.s, 0x1p-24, 1) })
}

func TestDgemmPaths(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) { checkPath(t, p.d, 0x1p-53, 2) })
}

// smallBlocks returns im's kernels with tiny cache blocks, so that the ragged sizes of checkPath
// cross many mc, kc and nc block boundaries at the cost of a small product.
func smallBlocks[T float32 | float64](im *impl[T]) *impl[T] {
	t := im.tuning
	t.mc, t.kc, t.kcDirect, t.nc = 2*im.mr, 9, 13, 3*im.nr
	small := im.tuned(t)
	small.column = nil
	return small
}

func TestSgemmSmallBlocks(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) { checkPath(t, smallBlocks(p.s), 0x1p-24, 3) })
}

func TestDgemmSmallBlocks(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) { checkPath(t, smallBlocks(p.d), 0x1p-53, 4) })
}

func randSlice[T float32 | float64](rng *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(rng.Float64()*2 - 1)
	}
	return s
}

// TestConcurrentCalls runs Sgemm from several goroutines at once, sharing the worker pool.
func TestConcurrentCalls(t *testing.T) {
	const m, n, k = 100, 90, 80
	rng := rand.New(rand.NewPCG(4, 4))
	a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
	want := make([]float32, m*n)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	prev := SetThreads(3)
	defer SetThreads(prev)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			c := make([]float32, m*n)
			for rep := 0; rep < 20; rep++ {
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				if !sameBits(c, want) {
					errs <- fmt.Sprintf("goroutine %d, repetition %d: result differs", g, rep)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSplitCoversC checks that the parts given to threads tile C exactly.
func TestSplitCoversC(t *testing.T) {
	for _, d := range [][3]int{{4096, 256, 2304}, {64, 65536, 147}, {7, 3000, 100}, {1000, 1000, 1000}, {5, 5, 5}} {
		for threads := 1; threads <= 5; threads++ {
			m, n, k := d[0], d[1], d[2]
			covered := make([]int, m*n)
			for _, r := range split(m, n, k, 6, 16, threads) {
				for i := r.i0; i < r.i1; i++ {
					for j := r.j0; j < r.j1; j++ {
						covered[i*n+j]++
					}
				}
			}
			for idx, c := range covered {
				if c != 1 {
					t.Fatalf("m=%d n=%d threads=%d: C[%d,%d] covered %d times", m, n, threads, idx/n, idx%n, c)
				}
			}
		}
	}
}

func TestBadArgumentsPanic(t *testing.T) {
	a := make([]float32, 6)
	for name, f := range map[string]func(){
		"short a":  func() { Sgemm(false, false, 2, 2, 4, 1, a, 4, a, 2, 0, a, 2) },
		"small ld": func() { Sgemm(false, false, 2, 2, 2, 1, a, 1, a, 2, 0, a, 2) },
		"negative": func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestActivePathAvailable(t *testing.T) {
	if findPath(Path()) == nil {
		t.Fatalf("active path %q is not available", Path())
	}
	t.Logf("active path %s, available %v, threads %d", Path(), Paths(), Threads())
}

// TestAlongRows covers the flipped tile order, used when A is short and C's rows are a power of
// two apart (ldc*size a multiple of 4 KiB), which the ragged sizes above never produce.
func TestAlongRows(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		rng := rand.New(rand.NewPCG(6, 6))
		for _, tr := range [][2]bool{{false, false}, {true, true}} {
			const m, n, k, ldc = 61, 1100, 37, 2048
			a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
			c := randSlice[float32](rng, m*ldc)
			want := append([]float32(nil), c...)
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			gemmRef(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0.5, want, ldc)
			gemm(p.s, 2, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0.5, c, ldc)
			for idx := range c {
				if d := math.Abs(float64(c[idx] - want[idx])); d > 2*float64(k+4)*0x1p-24*float64(k+1) {
					t.Fatalf("trans=%v: C[%d,%d] = %v, want %v", tr, idx/ldc, idx%ldc, c[idx], want[idx])
				}
			}
		}
	})
}

// TestSplitK covers products with k much longer than m and n, which threads split along k and
// sum (splitK), with every transpose, beta == 0 over a NaN C, and NaN guards beside C's rows.
func TestSplitK(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		rng := rand.New(rand.NewPCG(7, 7))
		for _, d := range [][3]int{{7, 9, 5000}, {33, 17, 4099}} {
			m, n, k := d[0], d[1], d[2]
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, beta := range []float32{0, -0.5} {
					for _, threads := range []int{2, 3} {
						if splitK(m, n, k, threads) < 2 {
							t.Fatalf("m=%d n=%d k=%d threads=%d: not split along k", m, n, k, threads)
						}
						a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
						lda, ldb, ldc := k, n, n+3
						if tr[0] {
							lda = m
						}
						if tr[1] {
							ldb = k
						}
						c := guardedC(rng, m, n, ldc, beta)
						want := append([]float32(nil), c...)
						gemmRef(tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, beta, want, ldc)
						gemm(p.s, threads, tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, beta, c, ldc)
						checkGuardedC(t, c, want, n, ldc, 2*float64(k+4)*0x1p-24*2*float64(k),
							fmt.Sprintf("m=%d n=%d k=%d trans=%v beta=%v threads=%d", m, n, k, tr, beta, threads))
					}
				}
			}
		}
	})
}

// TestKeepPackedA covers products with one block of A rows and several B panels, whose packed A
// is kept across the panels (keepsA): small blocks make the panels and k blocks many, every
// transpose and a NaN C under beta == 0 run, the result must match the reference, and its bits
// must match the same product with A packed again for every panel.
func TestKeepPackedA(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		im := smallBlocks(p.s)
		off := im.tuning
		off.keepPackedA = false
		repacking := im.tuned(off)
		rng := rand.New(rand.NewPCG(8, 8))
		for _, m := range []int{1, im.mr - 1, im.mr + 1, im.mc} {
			// More than directATiles slivers, so that A is packed, in several panels of nc.
			n, k := 20*im.nr+7, 3*im.kc+4
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, beta := range []float32{0, -0.5} {
					a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
					lda, ldb, ldc := k, n, n+5
					if tr[0] {
						lda = m
					}
					if tr[1] {
						ldb = k
					}
					pr := newProduct(im, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, nil, ldc)
					if !pr.keepsA(rect{0, m, 0, n}) {
						t.Fatalf("m=%d n=%d k=%d trans=%v: keepsA is false; the test does not cover it", m, n, k, tr)
					}
					c := guardedC(rng, m, n, ldc, beta)
					want, repacked := append([]float32(nil), c...), append([]float32(nil), c...)
					gemmRef(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, want, ldc)
					gemm(repacking, 1, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, repacked, ldc)
					gemm(im, 1, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
					checkGuardedC(t, c, want, n, ldc, 2*float64(k+4)*0x1p-24*float64(k), fmt.Sprintf("m=%d trans=%v beta=%v", m, tr, beta))
					if !sameBits(c, repacked) {
						t.Fatalf("m=%d trans=%v beta=%v: keeping packed A changed the result", m, tr, beta)
					}
				}
			}
		}
	})
}

// TestPaddedC covers products computed through a padded copy of C (padsC: C's rows 4 KiB
// apart, several blocks of A rows and of k): every transpose, one and two threads, beta == 0
// over a NaN C and beta != 0, NaN guards between C's rows. The result must match the
// reference, and with beta == 0 its bits must match the same product computed in place.
func TestPaddedC(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		im := smallBlocks(p.s)
		off := im.tuning
		off.padC = false
		unpadded := im.tuned(off)
		rng := rand.New(rand.NewPCG(9, 9))
		const ldc = 1024 // 4 KiB of float32
		m, n, k := 3*im.mc+im.mr+1, 2*im.nr+5, padCMinBlocks*im.kc+2
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, beta := range []float32{0, -0.5} {
				for _, threads := range []int{1, 2} {
					a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
					lda, ldb := k, n
					if tr[0] {
						lda = m
					}
					if tr[1] {
						ldb = k
					}
					for _, r := range split(m, n, k, im.mr, im.nr, threads) {
						if pr := newProduct(im, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, nil, ldc); !pr.padsC(r) {
							t.Fatalf("trans=%v threads=%d: padsC(%v) is false; the test does not cover it", tr, threads, r)
						}
					}
					c := guardedC(rng, m, n, ldc, beta)
					want, inPlace := append([]float32(nil), c...), append([]float32(nil), c...)
					gemmRef(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, want, ldc)
					gemm(unpadded, threads, tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, inPlace, ldc)
					gemm(im, threads, tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, c, ldc)
					checkGuardedC(t, c, want, n, ldc, 2*float64(k+4)*0x1p-24*2*float64(k), fmt.Sprintf("trans=%v beta=%v threads=%d", tr, beta, threads))
					if beta == 0 && !sameBits(c, inPlace) {
						t.Fatalf("trans=%v threads=%d: the padded copy changed the result", tr, threads)
					}
				}
			}
		}
	})
}

// guardedC returns an m×n float32 C with rows ldc apart: random, or NaN when beta == 0 (which
// must overwrite C without reading it), with NaN guards between the rows.
func guardedC(rng *rand.Rand, m, n, ldc int, beta float32) []float32 {
	c := randSlice[float32](rng, m*ldc)
	for i := range c {
		if i%ldc >= n || beta == 0 {
			c[i] = float32(math.NaN())
		}
	}
	return c
}

// checkGuardedC fails the test if a guard of a guardedC was overwritten or an element of c
// differs from want by more than tol.
func checkGuardedC(t *testing.T, c, want []float32, n, ldc int, tol float64, context string) {
	t.Helper()
	for idx := range c {
		if idx%ldc >= n {
			if !math.IsNaN(float64(c[idx])) {
				t.Fatalf("%s: guard C[%d] overwritten", context, idx)
			}
			continue
		}
		if d := math.Abs(float64(c[idx] - want[idx])); !(d <= tol) {
			t.Fatalf("%s: C[%d,%d] = %v, want %v", context, idx/ldc, idx%ldc, c[idx], want[idx])
		}
	}
}

// TestColumnKernel compares each path's column kernel with its strip kernel called once per
// tile: the same bits for every tile, for tile counts and depths around the unrolling, alpha
// and beta in scalars (beta == 0 over a NaN C), with NaN guards between the tiles' rows and
// beside them that must stay NaN.
func TestColumnKernel(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		if p.s.column == nil {
			t.Skip("no column kernel on this path: the driver calls the strip kernel per tile")
		}
		checkColumnKernel(t, p.s)
		checkColumnKernel(t, p.d)
	})
}

func checkColumnKernel[T float32 | float64](t *testing.T, im *impl[T]) {
	rng := rand.New(rand.NewPCG(10, 10))
	mr, nr := im.mr, im.nr
	for _, tiles := range []int{1, 2, 5} {
		for _, k := range []int{0, 1, 7, 8, 9, 33} {
			for _, alpha := range scalars {
				for _, beta := range scalars {
					a := randSlice[T](rng, tiles*max(k, 1)*mr)
					b := randSlice[T](rng, max(k, 1)*nr)
					ldc := nr + 3
					c := make([]T, (tiles*mr+1)*ldc)
					for i := range c {
						if i%ldc < nr && i/ldc < tiles*mr && beta != 0 {
							c[i] = T(rng.Float64()*2 - 1)
						} else {
							c[i] = T(math.NaN())
						}
					}
					want := append([]T(nil), c...)
					for tile := 0; tile < tiles; tile++ {
						im.strip(k, &a[tile*max(k, 1)*mr], mr, &b[0], nr, &want[tile*mr*ldc], ldc, T(alpha), T(beta))
					}
					pf := randSlice[T](rng, 64)
					im.column(k, &a[0], tiles, &b[0], nr, &c[0], ldc, T(alpha), T(beta), &pf[0], 3)
					if !sameBits(c, want) {
						t.Fatalf("tiles=%d k=%d alpha=%v beta=%v: the column kernel differs from the strip kernel per tile\ngot  %v\nwant %v",
							tiles, k, alpha, beta, c, want)
					}
				}
			}
		}
	}
}

// TestSgemmThreadsIsSgemm checks that SgemmThreads(n, ...) computes exactly what Sgemm does
// under SetThreads(n): the same splits, so the same bits, for a product large enough to split
// along every dimension.
func TestSgemmThreadsIsSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	m, n, k := 300, 290, 700
	a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
	for _, threads := range []int{1, 2, 3} {
		want, got := make([]float32, m*n), make([]float32, m*n)
		prev := SetThreads(threads)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
		SetThreads(prev)
		SgemmThreads(threads, false, false, m, n, k, 1, a, k, b, n, 0, got, n)
		if !sameBits(got, want) {
			t.Errorf("SgemmThreads(%d) differs from Sgemm under SetThreads(%d)", threads, threads)
		}
	}
}

// TestSplitEvenly checks that split cuts along the dimension that whole tiles share out more
// evenly when the one with more tiles shares out badly (m = 64 is 5 tiles of 14 rows: 28 and 36
// rows, where n = 64 is 32 and 32 columns), and keeps the dimension with more tiles otherwise.
func TestSplitEvenly(t *testing.T) {
	for _, c := range []struct {
		m, n   int
		alongM bool
	}{{64, 64, false}, {64, 256, false}, {576, 256, true}, {4096, 256, true}, {128, 49, true}, {16, 4096, false}} {
		rects := split(c.m, c.n, 512, 14, 32, 2)
		if len(rects) != 2 {
			t.Fatalf("m=%d n=%d: %d parts, want 2", c.m, c.n, len(rects))
		}
		if alongM := rects[0].j1 == c.n; alongM != c.alongM {
			t.Errorf("m=%d n=%d: split %v, want along m %v", c.m, c.n, rects, c.alongM)
		}
	}
}

// TestThreadsSameBits checks that products split across threads along m or n give the bits of
// the single-thread product: the parts cut C at tile boundaries and every element's k blocks
// are the product's, so only where a part ends may change, never an element's sums. It covers
// the demo model's small products around minParallelWork, with alpha 1 and beta 0 and 1 (the
// per-image accumulation of a weight gradient) and a general alpha and beta.
func TestThreadsSameBits(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		rng := rand.New(rand.NewPCG(9, 9))
		for _, d := range [][3]int{{64, 64, 64}, {64, 64, 65}, {63, 65, 72}, {65, 63, 72}, {128, 49, 49}, {16, 1024, 48}, {288, 256, 64}, {29, 97, 131}} {
			m, n, k := d[0], d[1], d[2]
			for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 0.25}} {
				for _, threads := range []int{2, 3} {
					if splitK(m, n, k, threads) > 1 || len(split(m, n, k, p.s.mr, p.s.nr, threads)) < 2 {
						t.Fatalf("m=%d n=%d k=%d threads=%d: not split along m or n; the test does not cover it", m, n, k, threads)
					}
					a, b := randSlice[float32](rng, m*k), randSlice[float32](rng, k*n)
					c := randSlice[float32](rng, m*n)
					want := append([]float32(nil), c...)
					gemm(p.s, 1, false, false, m, n, k, ab[0], a, k, b, n, ab[1], want, n)
					gemm(p.s, threads, false, false, m, n, k, ab[0], a, k, b, n, ab[1], c, n)
					if !sameBits(c, want) {
						t.Fatalf("m=%d n=%d k=%d alpha=%v beta=%v threads=%d: the split product differs from the single-thread one", m, n, k, ab[0], ab[1], threads)
					}
				}
			}
		}
	})
}

// TestEdgeTiles covers the ragged tiles that edgeTile computes with a path's smaller kernels:
// rows left over at every count up to mr (one under and over each edge tile height), columns at
// and around the edge tile width, A and B packed or read in place (few and many column
// slivers), every transpose, beta == 0 over a NaN C. The result must match the reference, and
// its bits must match the same product with every ragged tile on the full kernel.
func TestEdgeTiles(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		checkEdgeTiles(t, p.s, 0x1p-24, 10)
		checkEdgeTiles(t, p.d, 0x1p-53, 11)
	})
}

func checkEdgeTiles[T float32 | float64](t *testing.T, im *impl[T], unit float64, seed uint64) {
	if im.edge == nil {
		t.Skip("this path has no edge kernels")
	}
	off := im.tuning
	off.edgeTiles = false
	fullOnly := im.tuned(off)
	mr, nr, emr, enr := im.mr, im.nr, im.edge.emr, im.edge.enr
	rng := rand.New(rand.NewPCG(seed, 12))
	var ms []int
	for r := 1; r <= mr; r++ {
		ms = append(ms, r, mr+r)
	}
	ns := []int{1, enr - 1, enr, enr + 1, nr - 1, nr, nr + 1, nr + enr, 3*nr + enr + 1, 20*nr + 5}
	for _, m := range ms {
		for _, n := range ns {
			k := 9 + rng.IntN(40)
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, beta := range []T{0, -0.5} {
					a, b := randSlice[T](rng, m*k), randSlice[T](rng, k*n)
					lda, ldb, ldc := k, n, n+3
					if tr[0] {
						lda = m
					}
					if tr[1] {
						ldb = k
					}
					c := randSlice[T](rng, m*ldc)
					for i := range c {
						if i%ldc >= n || beta == 0 {
							c[i] = T(math.NaN())
						}
					}
					want, full := append([]T(nil), c...), append([]T(nil), c...)
					gemmRef(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, want, ldc)
					gemm(fullOnly, 1, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, full, ldc)
					gemm(im, 1, tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
					context := fmt.Sprintf("m=%d n=%d k=%d trans=%v beta=%v (edge tiles %dx%d)", m, n, k, tr, beta, emr, enr)
					for idx := range c {
						if idx%ldc >= n {
							if !math.IsNaN(float64(c[idx])) {
								t.Fatalf("%s: guard C[%d] overwritten", context, idx)
							}
							continue
						}
						if d := math.Abs(float64(c[idx] - want[idx])); !(d <= 2*float64(k+4)*unit*float64(k)) {
							t.Fatalf("%s: C[%d,%d] = %v, want %v", context, idx/ldc, idx%ldc, c[idx], want[idx])
						}
					}
					if !sameBits(c, full) {
						t.Fatalf("%s: the edge kernels changed the result", context)
					}
				}
			}
		}
	}
}
