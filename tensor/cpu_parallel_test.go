package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// The CPU kernels split their work across GOMAXPROCS goroutines, in chunks of at least
// elementwiseGrain elements (or whole planes and whole outputs, so that no sum changes order).
// These tests run each kernel on one goroutine (GOMAXPROCS 1, where parallelFor runs the whole
// range inline: the serial loop) and split two, three and four ways, on sizes one under and one
// over the multiples of the grain where the number of chunks changes, and require the same bits
// everywhere (NaN, ±0 and infinities mixed into the inputs), including the NaN guard bands
// around the region a strided Copy writes.

// splitSizes are element counts around the points where parallelFor's chunk count changes.
var splitSizes = []int{1, elementwiseGrain, 2*elementwiseGrain - 1, 2 * elementwiseGrain, 2*elementwiseGrain + 1, 3*elementwiseGrain + 7, 4*elementwiseGrain + 13}

// guard is the number of NaN elements before and after the region a Copy writes.
const guard = 5

// sameBitsAcrossProcs runs kernel under GOMAXPROCS 1 (the serial reference) and 2 to 4, and
// fails when any run's outputs differ from the serial ones in any bit.
func sameBitsAcrossProcs(t *testing.T, name string, kernel func() [][]float64) {
	t.Helper()
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	want := kernel()
	for _, procs := range []int{2, 3, 4} {
		runtime.GOMAXPROCS(procs)
		got := kernel()
		for o := range want {
			for i := range want[o] {
				if math.Float64bits(got[o][i]) != math.Float64bits(want[o][i]) {
					t.Fatalf("%s, GOMAXPROCS %d: output %d element %d = %v, serial %v", name, procs, o, i, got[o][i], want[o][i])
				}
			}
		}
	}
}

// guarded returns storage of dt holding data between guard NaNs on either side.
func guarded(dt DType, data []float64) Storage {
	whole := make([]float64, len(data)+2*guard)
	for i := range whole {
		whole[i] = math.NaN()
	}
	copy(whole[guard:], data)
	return stored(dt, whole)
}

// stored returns storage of dt holding data.
func stored(dt DType, data []float64) Storage {
	s := CPU.Alloc(dt, len(data))
	if dt == Float32 {
		f := make([]float32, len(data))
		for i, v := range data {
			f[i] = float32(v)
		}
		CPU.Upload(s, f)
		return s
	}
	CPU.Upload(s, data)
	return s
}

// download returns all of s as float64.
func download(s Storage) []float64 {
	out := make([]float64, s.Len())
	if s.DType() == Float32 {
		f := make([]float32, s.Len())
		CPU.Download(f, s)
		for i, v := range f {
			out[i] = float64(v)
		}
		return out
	}
	CPU.Download(out, s)
	return out
}

func randomValues(rng *rand.Rand, n int) []float64 {
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN()}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = rng.NormFloat64()
		if rng.IntN(50) == 0 {
			xs[i] = special[rng.IntN(len(special))]
		}
	}
	return xs
}

func positiveValues(rng *rand.Rand, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = rng.Float64() + 0.01
	}
	return xs
}

func TestParallelElementwiseMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dt := range []DType{Float32, Float64} {
		for _, n := range splitSizes {
			x, y := randomValues(rng, n), randomValues(rng, n)
			for _, op := range []UnaryOp{OpRelu, OpLeakyRelu, OpExp, OpTanh, OpScale} {
				sameBitsAcrossProcs(t, fmt.Sprintf("Unary %s %s n=%d", op, dt, n), func() [][]float64 {
					dst := CPU.Alloc(dt, n)
					CPU.Unary(op, dst, stored(dt, x), 0.2)
					return [][]float64{download(dst)}
				})
			}
			for _, op := range []BinaryOp{OpAdd, OpMul, OpDiv, OpMaximum, OpLeakyReluBackward} {
				// Contiguous: the shape collapses to one row, which is split.
				shape := []int{n}
				sameBitsAcrossProcs(t, fmt.Sprintf("Binary %s %s n=%d", op, dt, n), func() [][]float64 {
					dst := CPU.Alloc(dt, n)
					CPU.Binary(op, dst, stored(dt, x), stored(dt, y), shape, []int{1}, []int{1}, 0.2)
					return [][]float64{download(dst)}
				})
			}
			// Broadcast: a [rows, cols] tensor plus a column [rows, 1] and a row [1, cols], with the
			// rows ragged so that chunks start and end inside rows.
			cols := 37
			rows := max(1, n/cols)
			col, row := randomValues(rng, rows), randomValues(rng, cols)
			sameBitsAcrossProcs(t, fmt.Sprintf("Binary broadcast %s %dx%d", dt, rows, cols), func() [][]float64 {
				dst := CPU.Alloc(dt, rows*cols)
				CPU.Binary(OpSub, dst, stored(dt, col), stored(dt, row), []int{rows, cols}, []int{1, 0}, []int{0, 1}, 0)
				return [][]float64{download(dst)}
			})
		}
	}
}

func TestParallelFillCastCopyMatchSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range splitSizes {
		x := randomValues(rng, n)
		for _, dt := range []DType{Float32, Float64} {
			sameBitsAcrossProcs(t, fmt.Sprintf("Fill %s n=%d", dt, n), func() [][]float64 {
				dst := CPU.Alloc(dt, n)
				CPU.Fill(dst, -1.5)
				return [][]float64{download(dst)}
			})
			other := Float64
			if dt == Float64 {
				other = Float32
			}
			for _, to := range []DType{dt, other} {
				sameBitsAcrossProcs(t, fmt.Sprintf("Cast %s to %s n=%d", dt, to, n), func() [][]float64 {
					dst := CPU.Alloc(to, n)
					CPU.Cast(dst, stored(dt, x))
					return [][]float64{download(dst)}
				})
			}
			// A transpose of [rows, cols] into the middle of a NaN-guarded destination, and a
			// contiguous copy to an offset.
			cols := 29
			rows := max(1, n/cols)
			src := stored(dt, randomValues(rng, rows*cols))
			sameBitsAcrossProcs(t, fmt.Sprintf("Copy transpose %s %dx%d", dt, rows, cols), func() [][]float64 {
				dst := guarded(dt, make([]float64, rows*cols))
				CPU.Copy(dst, guard, []int{1, rows}, src, 0, []int{cols, 1}, []int{rows, cols})
				return [][]float64{download(dst)}
			})
			sameBitsAcrossProcs(t, fmt.Sprintf("Copy contiguous %s n=%d", dt, n), func() [][]float64 {
				dst := guarded(dt, make([]float64, rows*cols))
				CPU.Copy(dst, guard, []int{cols, 1}, src, 0, []int{cols, 1}, []int{rows, cols})
				return [][]float64{download(dst)}
			})
		}
	}
}

func TestParallelReduceMatchesSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := elementwiseGrain
	// [outer, mid, inner]: over the last axis (inner 1) with few and many outputs, over the
	// first (outer 1, split along inner), and over a middle one, each around the grain.
	shapes := [][3]int{
		{1, 2*g + 1, 1}, {7, g/3 + 1, 1}, {2*g/5 + 3, 5, 1}, {3, 1, 2*g - 1},
		{1, 3, 2*g + 1}, {1, 17, g/8 + 3}, {3, 4, g/2 + 1}, {5, 0, 7}, {2*g + 3, 1, 1},
	}
	for _, dt := range []DType{Float32, Float64} {
		for _, s := range shapes {
			outer, mid, in := s[0], s[1], s[2]
			x := randomValues(rng, outer*mid*in)
			for _, op := range []ReduceOp{ReduceSum, ReduceMax, ReduceMin} {
				sameBitsAcrossProcs(t, fmt.Sprintf("Reduce %s %s %v", op, dt, s), func() [][]float64 {
					dst := CPU.Alloc(dt, outer*in)
					CPU.Reduce(op, dst, stored(dt, x), outer, mid, in)
					return [][]float64{download(dst)}
				})
			}
		}
	}
}

func TestParallelNormAdamMatchSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	g := elementwiseGrain
	// [planes, size]: many small planes around the grain, few large ones, one plane.
	for _, ps := range [][2]int{{2*g/64 - 1, 64}, {2*g/64 + 1, 64}, {3, g + 5}, {1, 2*g + 1}, {65, 255}} {
		planes, size := ps[0], ps[1]
		n := planes * size
		x, dy := randomValues(rng, n), randomValues(rng, n)
		for _, dt := range []DType{Float32, Float64} {
			sameBitsAcrossProcs(t, fmt.Sprintf("InstanceNorm %s %d planes of %d", dt, planes, size), func() [][]float64 {
				y, mean, rstd := CPU.Alloc(dt, n), CPU.Alloc(dt, planes), CPU.Alloc(dt, planes)
				xs := stored(dt, x)
				CPU.InstanceNormForward(y, mean, rstd, xs, planes, size, 1e-5)
				dx := CPU.Alloc(dt, n)
				CPU.InstanceNormBackward(dx, stored(dt, dy), xs, mean, rstd, planes, size)
				return [][]float64{download(y), download(mean), download(rstd), download(dx)}
			})
		}
	}
	for _, n := range splitSizes {
		p, grad, m, v := randomValues(rng, n), randomValues(rng, n), randomValues(rng, n), positiveValues(rng, n)
		for _, dt := range []DType{Float32, Float64} {
			for _, wd := range []float64{0, 0.01} {
				h := AdamHyper{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd, BiasCorrection1: 0.75, BiasCorrection2: 0.002}
				sameBitsAcrossProcs(t, fmt.Sprintf("AdamStep %s n=%d wd=%v", dt, n, wd), func() [][]float64 {
					ps, ms, vs := stored(dt, p), stored(dt, m), stored(dt, v)
					CPU.AdamStep(ps, stored(dt, grad), ms, vs, h)
					return [][]float64{download(ps), download(ms), download(vs)}
				})
			}
		}
	}
}
