package parallel

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/zebra-go/zebra/internal/vec"
)

// TestTuneGrain times a contiguous float32 add of n elements on one goroutine and split in two
// by For, interleaved round by round (the machine is shared), and prints the medians: the
// smallest n where the split wins is the grain's order. It skips unless ZEBRA_TUNE=1.
func TestTuneGrain(t *testing.T) {
	if os.Getenv("ZEBRA_TUNE") != "1" {
		t.Skip("set ZEBRA_TUNE=1 to run the tuning experiment")
	}
	for _, n := range []int{1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 18} {
		x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
		const reps = 50
		var serial, split []float64
		for range 200 {
			start := time.Now()
			for range reps {
				vec.Add(z, x, y)
			}
			serial = append(serial, float64(time.Since(start).Nanoseconds())/reps)
			start = time.Now()
			for range reps {
				For(n, n/2, func(lo, hi int) { vec.Add(z[lo:hi], x[lo:hi], y[lo:hi]) })
			}
			split = append(split, float64(time.Since(start).Nanoseconds())/reps)
		}
		slices.Sort(serial)
		slices.Sort(split)
		fmt.Printf("n=%7d  serial %8.0f ns  split %8.0f ns  (medians of 200 rounds; p10 %6.0f / %6.0f)\n", n, serial[100], split[100], serial[20], split[20])
	}
}
