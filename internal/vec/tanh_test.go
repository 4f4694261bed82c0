package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTanh checks Tanh against float32(math.Tanh) on ragged lengths with special values, and on
// a sweep of magnitudes across the kernel's branch points (1/256, where the series takes over,
// and 20, where 2|x| is clamped) and the float32 range: within an ulp everywhere, with the sign
// of zero kept, NaN passed through and ±Inf giving ±1; and nearly always exactly.
func TestTanh(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 11))
		for _, n := range sizes {
			x, xWhole := buffer(rng, n, rng.IntN(8), true)
			xCopy := append([]float32(nil), xWhole...)
			dst, dstWhole := buffer(rng, n, rng.IntN(8), false)
			Tanh(dst, x)
			for i, xi := range x {
				checkTanh(t, xi, dst[i])
			}
			if !sameBits(xWhole, xCopy) {
				t.Fatalf("n=%d: x modified", n)
			}
			checkGuards(t, "Tanh", dstWhole, len(dstWhole)-n-2*guard, n)
		}
		var sweep []float32
		for _, edge := range []float64{1.0 / 256, 20, 9.01, 0.5, 1e-20, 1e-40} {
			for d := -64; d <= 64; d++ {
				v := float32(edge) + float32(d)*float32(edge)/4096
				sweep = append(sweep, v, -v)
			}
		}
		for e := -149.0; e <= 127; e += 0.25 {
			v := float32(math.Exp2(e))
			sweep = append(sweep, v, -v)
		}
		for len(sweep)%8 != 0 {
			sweep = append(sweep, 0)
		}
		got := make([]float32, len(sweep))
		Tanh(got, sweep)
		exact := 0
		for i, xi := range sweep {
			checkTanh(t, xi, got[i])
			if got[i] == float32(math.Tanh(float64(xi))) {
				exact++
			}
		}
		if exact < len(sweep)*99/100 {
			t.Errorf("only %d of %d results are the correctly rounded tanh", exact, len(sweep))
		}
		// In place.
		in := []float32{-3, -0.25, 0.001, 2, 7, 0.7, -0.01, 30, 1}
		want := make([]float32, len(in))
		tanhGo(want, in)
		Tanh(in, in)
		for i := range in {
			if math.Abs(float64(in[i]-want[i])) > ulp32(want[i]) {
				t.Fatalf("in place: element %d = %v, want %v", i, in[i], want[i])
			}
		}
	})
}

// checkTanh fails the test unless got is tanh(x) to within an ulp, with tanh's signs, NaN and
// infinities.
func checkTanh(t *testing.T, x, got float32) {
	t.Helper()
	want := float32(math.Tanh(float64(x)))
	switch {
	case math.IsNaN(float64(x)):
		if !math.IsNaN(float64(got)) {
			t.Fatalf("Tanh(NaN) = %v", got)
		}
	case math.Signbit(float64(got)) != math.Signbit(float64(want)):
		t.Fatalf("Tanh(%v) = %v, want %v (sign)", x, got, want)
	case math.Abs(float64(got-want)) > ulp32(want):
		t.Fatalf("Tanh(%v) = %v, want %v (more than an ulp off)", x, got, want)
	}
}

// ulp32 is the spacing of float32 values at |v|.
func ulp32(v float32) float64 {
	a := float32(math.Abs(float64(v)))
	return float64(math.Nextafter32(a, float32(math.Inf(1))) - a)
}
