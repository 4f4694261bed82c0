package vec

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zebra-go/zebra/internal/cpu"
)

// sizes are ragged around the 8-lane vector: every remainder, and lengths with no bulk at all.
var sizes = []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1000, 1023}

// forEachPath runs f with the assembly on (when this build and CPU have it) and off.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	for _, path := range []string{"avx2", "generic"} {
		t.Run(path, func(t *testing.T) {
			if path == "avx2" {
				if !saved {
					t.Skipf("AVX2 path not in use (CPU lacks %q, purego build or ZEBRA_CPU=%s)", cpu.Missing(cpu.AVX2), cpu.Active())
				}
				useAVX2 = true
			} else {
				useAVX2 = false
			}
			f(t)
		})
	}
}

const guard = 4

// buffer returns n values inside NaN guard bands, starting off elements into the backing
// array so that the assembly sees unaligned addresses.
func buffer(rng *rand.Rand, n, off int, specials bool) (inner, whole []float32) {
	whole = make([]float32, off+n+2*guard)
	for i := range whole {
		whole[i] = float32(math.NaN())
	}
	inner = whole[off+guard : off+guard+n]
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40}
	for i := range inner {
		inner[i] = float32(rng.NormFloat64())
		if specials && rng.IntN(8) == 0 {
			inner[i] = special[rng.IntN(len(special))]
		}
	}
	return inner, whole
}

func checkGuards(t *testing.T, name string, whole []float32, off, n int) {
	t.Helper()
	for i, v := range whole {
		inside := i >= off+guard && i < off+guard+n
		if !inside && !math.IsNaN(float64(v)) {
			t.Fatalf("%s n=%d: guard element %d overwritten with %v", name, n, i, v)
		}
	}
}

// close reports whether got matches want to 2 ulps (both NaN counts as a match): the
// assembly repeats the twin's operations, but the compiler may fuse the twin's multiply-adds.
func close(got, want float32) bool {
	if math.IsNaN(float64(got)) || math.IsNaN(float64(want)) {
		return math.IsNaN(float64(got)) && math.IsNaN(float64(want))
	}
	if got == want {
		return math.Signbit(float64(got)) == math.Signbit(float64(want)) || got != 0
	}
	ulp := math.Nextafter32(float32(math.Abs(float64(want))), float32(math.Inf(1))) - float32(math.Abs(float64(want)))
	return math.Abs(float64(got-want)) <= 2*float64(ulp)
}

func TestLeakyRelu(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 1))
		for _, n := range sizes {
			for _, slope := range []float32{0, 0.2} {
				off := rng.IntN(8)
				x, xWhole := buffer(rng, n, off, true)
				xCopy := append([]float32(nil), xWhole...)
				dst, dstWhole := buffer(rng, n, rng.IntN(8), false)
				want := make([]float32, n)
				leakyReluGo(want, x, slope)
				LeakyRelu(dst, x, slope)
				for i := range dst {
					if !close(dst[i], want[i]) {
						t.Fatalf("n=%d slope=%v: dst[%d] = %v for x = %v, want %v", n, slope, i, dst[i], x[i], want[i])
					}
					// The twin itself against the definition.
					if x[i] > 0 && want[i] != x[i] || !(x[i] > 0) && !close(want[i], slope*x[i]) {
						t.Fatalf("twin: x=%v slope=%v gave %v", x[i], slope, want[i])
					}
				}
				if !sameBits(xWhole, xCopy) {
					t.Fatalf("n=%d: x modified", n)
				}
				checkGuards(t, "LeakyRelu", dstWhole, len(dstWhole)-n-2*guard, n)
			}
		}
	})
}

func TestLeakyReluInPlace(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(2, 2))
		x, _ := buffer(rng, 37, 1, true)
		want := make([]float32, len(x))
		leakyReluGo(want, x, 0.2)
		LeakyRelu(x, x, 0.2)
		for i := range x {
			if !close(x[i], want[i]) {
				t.Fatalf("in place: x[%d] = %v, want %v", i, x[i], want[i])
			}
		}
	})
}

func TestLeakyReluBackward(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 3))
		for _, n := range sizes {
			x, _ := buffer(rng, n, rng.IntN(8), true)
			dy, dyWhole := buffer(rng, n, rng.IntN(8), false)
			dyCopy := append([]float32(nil), dyWhole...)
			dx, dxWhole := buffer(rng, n, rng.IntN(8), false)
			want := make([]float32, n)
			leakyReluBackwardGo(want, dy, x, 0.2)
			LeakyReluBackward(dx, dy, x, 0.2)
			for i := range dx {
				if !close(dx[i], want[i]) {
					t.Fatalf("n=%d: dx[%d] = %v for x=%v dy=%v, want %v", n, i, dx[i], x[i], dy[i], want[i])
				}
				if x[i] > 0 && want[i] != dy[i] || !(x[i] > 0) && !close(want[i], 0.2*dy[i]) {
					t.Fatalf("twin: x=%v dy=%v gave %v", x[i], dy[i], want[i])
				}
			}
			if !sameBits(dyWhole, dyCopy) {
				t.Fatalf("n=%d: dy modified", n)
			}
			checkGuards(t, "LeakyReluBackward", dxWhole, len(dxWhole)-n-2*guard, n)
		}
	})
}

func TestAxpy(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(4, 4))
		for _, n := range sizes {
			for _, alpha := range []float32{0, 1, -0.5, 3.25} {
				x, _ := buffer(rng, n, rng.IntN(8), false)
				y, yWhole := buffer(rng, n, rng.IntN(8), false)
				want := append([]float32(nil), y...)
				axpyGo(want, x, alpha)
				Axpy(y, x, alpha)
				for i := range y {
					if !close(y[i], want[i]) {
						t.Fatalf("n=%d alpha=%v: y[%d] = %v, want %v", n, alpha, i, y[i], want[i])
					}
				}
				checkGuards(t, "Axpy", yWhole, len(yWhole)-n-2*guard, n)
			}
		}
	})
}

func TestAdam(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 5))
		const lr, beta1, beta2, eps = 2e-4, 0.5, 0.999, 1e-8
		for _, n := range sizes {
			p, pWhole := buffer(rng, n, rng.IntN(8), false)
			g, _ := buffer(rng, n, rng.IntN(8), false)
			m, mWhole := buffer(rng, n, rng.IntN(8), false)
			v, vWhole := buffer(rng, n, rng.IntN(8), false)
			for i := range v {
				v[i] = v[i] * v[i] // second moments are non-negative
			}
			p0, m0, v0 := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
			for step := 1; step <= 3; step++ {
				Adam(p, g, m, v, lr, beta1, beta2, eps, step)
			}
			// The Go twin, three steps from the same start.
			pw, mw, vw := append([]float32(nil), p0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
			for step := 1; step <= 3; step++ {
				bc1 := 1 - math.Pow(beta1, float64(step))
				bc2 := 1 - math.Pow(beta2, float64(step))
				adamGo(pw, g, mw, vw, newAdamScalars(lr, beta1, beta2, eps, bc1, bc2))
			}
			for i := range p {
				if !close(p[i], pw[i]) || !close(m[i], mw[i]) || !close(v[i], vw[i]) {
					t.Fatalf("n=%d i=%d: p,m,v = %v,%v,%v, want %v,%v,%v", n, i, p[i], m[i], v[i], pw[i], mw[i], vw[i])
				}
			}
			// The formula in float64, one step, as an independent check of the twin.
			if n > 0 {
				i := n / 2
				gi, mi, vi := float64(g[i]), float64(m0[i]), float64(v0[i])
				mi = beta1*mi + (1-beta1)*gi
				vi = beta2*vi + (1-beta2)*gi*gi
				want := float64(p0[i]) - lr*(mi/(1-beta1))/(math.Sqrt(vi/(1-beta2))+eps)
				p1, m1, v1 := []float32{p0[i]}, []float32{m0[i]}, []float32{v0[i]}
				Adam(p1, g[i:i+1], m1, v1, lr, beta1, beta2, eps, 1)
				if math.Abs(float64(p1[0])-want) > 1e-6*(math.Abs(want)+lr) {
					t.Fatalf("one step from p=%v g=%v m=%v v=%v: %v, want %v", p0[i], gi, m0[i], v0[i], p1[0], want)
				}
			}
			checkGuards(t, "Adam p", pWhole, len(pWhole)-n-2*guard, n)
			checkGuards(t, "Adam m", mWhole, len(mWhole)-n-2*guard, n)
			checkGuards(t, "Adam v", vWhole, len(vWhole)-n-2*guard, n)
		}
	})
}

func TestRelu(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(6, 6))
		for _, n := range sizes {
			x, xWhole := buffer(rng, n, rng.IntN(8), true)
			xCopy := append([]float32(nil), xWhole...)
			dst, dstWhole := buffer(rng, n, rng.IntN(8), false)
			Relu(dst, x)
			for i, xi := range x {
				// The definition, bit for bit: NaN stays NaN, negatives and -0 give +0.
				want := xi
				if !(xi > 0) && !math.IsNaN(float64(xi)) {
					want = 0
				}
				if !sameBits(dst[i:i+1], []float32{want}) && !(math.IsNaN(float64(want)) && math.IsNaN(float64(dst[i]))) {
					t.Fatalf("n=%d: Relu(%v) = %v, want %v", n, xi, dst[i], want)
				}
			}
			twin := make([]float32, n)
			reluGo(twin, x)
			for i := range twin {
				if !sameBits(twin[i:i+1], dst[i:i+1]) && !(math.IsNaN(float64(twin[i])) && math.IsNaN(float64(dst[i]))) {
					t.Fatalf("n=%d: twin gives %v for %v, kernel %v", n, twin[i], x[i], dst[i])
				}
			}
			if !sameBits(xWhole, xCopy) {
				t.Fatalf("n=%d: x modified", n)
			}
			checkGuards(t, "Relu", dstWhole, len(dstWhole)-n-2*guard, n)
		}
	})
}

func TestBinary(t *testing.T) {
	ops := []struct {
		name   string
		kernel func(dst, a, b []float32)
		def    func(a, b float32) float32
	}{
		{"Add", Add, func(a, b float32) float32 { return a + b }},
		{"Sub", Sub, func(a, b float32) float32 { return a - b }},
		{"Mul", Mul, func(a, b float32) float32 { return a * b }},
	}
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 7))
		for _, op := range ops {
			for _, n := range sizes {
				a, aWhole := buffer(rng, n, rng.IntN(8), true)
				b, bWhole := buffer(rng, n, rng.IntN(8), true)
				aCopy, bCopy := append([]float32(nil), aWhole...), append([]float32(nil), bWhole...)
				dst, dstWhole := buffer(rng, n, rng.IntN(8), false)
				op.kernel(dst, a, b)
				for i := range dst {
					// One IEEE operation: the result is exact, bit for bit.
					want := op.def(a[i], b[i])
					if !sameBits(dst[i:i+1], []float32{want}) && !(math.IsNaN(float64(want)) && math.IsNaN(float64(dst[i]))) {
						t.Fatalf("%s n=%d: %v, %v gave %v, want %v", op.name, n, a[i], b[i], dst[i], want)
					}
				}
				if !sameBits(aWhole, aCopy) || !sameBits(bWhole, bCopy) {
					t.Fatalf("%s n=%d: an operand was modified", op.name, n)
				}
				checkGuards(t, op.name, dstWhole, len(dstWhole)-n-2*guard, n)
				// In place, dst = a.
				want := make([]float32, n)
				for i := range want {
					want[i] = op.def(a[i], b[i])
				}
				op.kernel(a, a, b)
				for i := range a {
					if !sameBits(a[i:i+1], want[i:i+1]) && !(math.IsNaN(float64(want[i])) && math.IsNaN(float64(a[i]))) {
						t.Fatalf("%s in place n=%d: a[%d] = %v, want %v", op.name, n, i, a[i], want[i])
					}
				}
			}
		}
	})
}

func TestLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Axpy with lengths 3 and 2 did not panic")
		}
	}()
	Axpy(make([]float32, 3), make([]float32, 2), 1)
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// The backend calls these kernels once per row of a convolution or per chunk of a tensor: a call
// must not allocate.
func TestKernelsDoNotAllocate(t *testing.T) {
	x, y, z, w := make([]float32, 37), make([]float32, 37), make([]float32, 37), make([]float32, 37)
	allocs := testing.AllocsPerRun(20, func() {
		Add(z, x, y)
		Relu(z, x)
		LeakyReluBackward(z, x, y, 0.2)
		AdamCorrected(w, x, y, z, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001)
		Normalize64(z, x, 0.5, 2)
		NormGradApply64(z, x, y, 0.5, 2, 0.1, 0.2)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round of kernel calls, want 0", allocs)
	}
}
