package winograd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernelsMatchGoTwin runs every matrix's kernel on every assembly path against transformGo
// on ragged lane counts (0, 1, one under and over each vector width and a few multiples), with
// strides larger than n so that the gaps between rows are NaN guard bands that must survive,
// and an input offset so that loads are unaligned.
func TestKernelsMatchGoTwin(t *testing.T) {
	lanes := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 100, 257}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, name := range Paths() {
		if name == "generic" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			prev := SetPath(name)
			defer SetPath(prev)
			for _, p := range allMatrices {
				for _, n := range lanes {
					checkKernel(t, p, n, rng)
				}
			}
		})
	}
}

func checkKernel(t *testing.T, p *matrix, n int, rng *rand.Rand) {
	r, s := p.rows, p.cols
	srcStride, dstStride := n+3, n+5
	src := make([]float32, 1+s*s*srcStride)
	for i := range src {
		src[i] = float32(math.NaN())
	}
	for e := 0; e < s*s; e++ {
		for l := 0; l < n; l++ {
			src[1+e*srcStride+l] = float32(rng.NormFloat64())
		}
	}
	want, got := nanBuffer(r*r*dstStride), nanBuffer(r*r*dstStride)
	transformGo(p, want, dstStride, src[1:], srcStride, n)
	transform(p, got, dstStride, src[1:], srcStride, n)
	compareLaneWise(t, fmt.Sprintf("%s n=%d", p.name, n), got, want, r*r, dstStride, n,
		func(i, l int) float64 { return absSandwich(p, src[1:], srcStride, i/r, i%r, l) })
}

// compareLaneWise checks a kernel's lane-wise output got against its twin's want: elements
// rows of stride floats, lanes n and up NaN guards that must survive. The twin rounds each
// product before adding it and the kernels fuse them, so they may differ by a few ulps of the
// largest term: the bound is ulps of scale(i, l) = Σ|P||X||P|ᵀ for element i of lane l.
func compareLaneWise(t *testing.T, name string, got, want []float32, rows, stride, n int, scale func(i, l int) float64) {
	t.Helper()
	for i := 0; i < rows; i++ {
		for l := 0; l < stride; l++ {
			g, w := got[i*stride+l], want[i*stride+l]
			where := fmt.Sprintf("%s element %d lane %d", name, i, l)
			if l >= n {
				if !math.IsNaN(float64(g)) {
					t.Fatalf("%s: guard overwritten with %v", where, g)
				}
				continue
			}
			if d := math.Abs(float64(g) - float64(w)); !(d <= 1e-6*scale(i, l)) {
				t.Fatalf("%s: kernel %v, Go twin %v (scale %.3g)", where, g, w, scale(i, l))
			}
		}
	}
}

// absSandwich is Σ_{k,q} |P[i][k]|·|X[k][q]|·|P[j][q]| for one lane: the size of the terms of
// output (i,j), against which rounding differences are measured.
func absSandwich(p *matrix, src []float32, stride, i, j, l int) float64 {
	var sum float64
	for k := 0; k < p.cols; k++ {
		for q := 0; q < p.cols; q++ {
			sum += math.Abs(float64(p.at(i, k)) * float64(src[(k*p.cols+q)*stride+l]) * float64(p.at(j, q)))
		}
	}
	return sum
}

func nanBuffer(n int) []float32 {
	b := make([]float32, n)
	for i := range b {
		b[i] = float32(math.NaN())
	}
	return b
}
