package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The stride-2 kernels against their definitions, bit for bit: every packed length in sizes,
// with the strided side exactly as long as needed (2n-1), one longer and a few longer, inside NaN
// guard bands and at unaligned offsets. ScatterAddEven must leave the odd elements untouched,
// -0 included.
func TestStride2(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 9))
		for _, n := range sizes {
			for _, extra := range []int{0, 1, 4} {
				m := max(2*n-1, 0) + extra
				src, srcWhole := buffer(rng, m, rng.IntN(8), true)
				srcCopy := append([]float32(nil), srcWhole...)
				dst, dstWhole := buffer(rng, n, rng.IntN(8), false)
				GatherEven(dst, src)
				for i := range dst {
					if !sameBits(dst[i:i+1], src[2*i:2*i+1]) {
						t.Fatalf("GatherEven n=%d m=%d: dst[%d] = %v, src[%d] = %v", n, m, i, dst[i], 2*i, src[2*i])
					}
				}
				checkGuards(t, "GatherEven", dstWhole, len(dstWhole)-n-2*guard, n)
				if !sameBits(srcWhole, srcCopy) {
					t.Fatalf("GatherEven n=%d: src modified", n)
				}

				vals, _ := buffer(rng, n, rng.IntN(8), false)
				row, rowWhole := buffer(rng, m, rng.IntN(8), true)
				for i := 1; i < m; i += 4 {
					row[i] = float32(math.Copysign(0, -1))
				}
				want := append([]float32(nil), row...)
				for i, v := range vals {
					want[2*i] += v
				}
				ScatterAddEven(row, vals)
				for i := range row {
					if !sameBits(row[i:i+1], want[i:i+1]) && !(math.IsNaN(float64(row[i])) && math.IsNaN(float64(want[i]))) {
						t.Fatalf("ScatterAddEven n=%d m=%d: row[%d] = %v, want %v", n, m, i, row[i], want[i])
					}
				}
				checkGuards(t, "ScatterAddEven", rowWhole, len(rowWhole)-m-2*guard, m)
			}
		}
	})
}

func TestStride2LengthPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("GatherEven of 4 elements from 6 did not panic")
		}
	}()
	GatherEven(make([]float32, 4), make([]float32, 6))
}
