package gemm

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// matrixSource is a stored matrix seen through MatrixSource, counting the elements it hands out.
type matrixSource[T float32 | float64] struct {
	data     []T
	ld       int
	rows     int
	cols     int
	supplied atomic.Int64
}

func (s *matrixSource[T]) Block(dst []T, ld, i, rows, j, cols int) {
	if i < 0 || j < 0 || i+rows > s.rows || j+cols > s.cols {
		panic(fmt.Sprintf("Block(i=%d, rows=%d, j=%d, cols=%d) outside the %dx%d matrix", i, rows, j, cols, s.rows, s.cols))
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*ld:r*ld+cols], s.data[(i+r)*s.ld+j:])
	}
	s.supplied.Add(int64(rows * cols))
}

// TestSource checks that a product reading B through a MatrixSource gives the bits of the same
// product reading B stored: every transpose, ragged sizes and block edges, one to three threads
// (splitting C, or k for a long k), C padded or not, on each path with its own and with tiny
// blocks.
func TestSource(t *testing.T) {
	forEachPath(t, func(t *testing.T, p *path) {
		checkSource(t, p.s, 12)
		checkSource(t, smallBlocks(p.s), 13)
		checkSource(t, p.d, 14)
		checkSource(t, smallBlocks(p.d), 15)
	})
}

func checkSource[T float32 | float64](t *testing.T, im *impl[T], seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	ms, ns, ks := blockEdges(im)
	dims := [][3]int{{1, 1, 1}, {7, 33, 17}, {65, 129, 31}, {im.mr + 1, ns[3], ks[1]}, {ms[3], 17, ks[3]},
		{9, 7, 5000}, {3*im.mc + 1, 37, padCMinBlocks*im.kc + 2}, {im.mc + 7, 40 * im.nr, padCMinBlocks*im.kc + 2}}
	for _, d := range dims {
		m, n, k := d[0], d[1], d[2]
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, threads := range []int{1, 2, 3} {
				for _, ldc := range []int{n + 3, 1024} {
					if ldc < n {
						continue
					}
					lda, rowsB, colsB := k, k, n
					if tr[0] {
						lda = m
					}
					if tr[1] {
						rowsB, colsB = n, k
					}
					a := randSlice[T](rng, max(m*k, 1))
					b := randSlice[T](rng, max(rowsB*colsB, 1))
					c := randSlice[T](rng, m*ldc)
					want := append([]T(nil), c...)
					gemm(im, threads, tr[0], tr[1], m, n, k, 1.5, a, lda, b, colsB, -0.5, want, ldc)
					src := &matrixSource[T]{data: b, ld: colsB, rows: rowsB, cols: colsB}
					gemmFrom(im, threads, tr[0], tr[1], m, n, k, 1.5, a, lda, nil, 0, src, -0.5, c, ldc)
					if !sameBits(c, want) {
						t.Fatalf("m=%d n=%d k=%d trans=%v threads=%d ldc=%d: the product from a source differs from the stored one", m, n, k, tr, threads, ldc)
					}
					if src.supplied.Load() < int64(rowsB*colsB) {
						t.Fatalf("m=%d n=%d k=%d: the source supplied %d elements of %d", m, n, k, src.supplied.Load(), rowsB*colsB)
					}
				}
			}
		}
	}
}
