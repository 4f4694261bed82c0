package gradtest

import (
	"math"
	"slices"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

func TestDrawsKeepTheirPromises(t *testing.T) {
	rng := tensor.NewRNG(1)
	for _, v := range AwayFromZero(rng, 1000).Float64s() {
		if math.Abs(v) < 0.1 || math.Abs(v) >= 2 {
			t.Fatalf("AwayFromZero drew %g", v)
		}
	}
	for _, v := range Positive(rng, 1000).Float64s() {
		if v < 0.2 || v >= 3 {
			t.Fatalf("Positive drew %g", v)
		}
	}
	a, b := Grid(rng, 0, 1000).Float64s(), Grid(rng, 0.5, 1000).Float64s()
	for _, x := range a {
		for _, y := range b {
			if math.Abs(x-y) < 0.1 {
				t.Fatalf("grids with offsets 0 and 0.5 drew %g and %g", x, y)
			}
		}
	}
	d := Distinct(rng, 7, 9).Float64s()
	if x := Distinct(rng, 0); x.Numel() != 0 {
		t.Fatalf("Distinct of no elements has %d", x.Numel())
	}
	slices.Sort(d)
	for i := 1; i < len(d); i++ {
		if d[i]-d[i-1] < 0.15 {
			t.Fatalf("Distinct drew %g and %g", d[i-1], d[i])
		}
	}
}

func TestDrawsAreSeeded(t *testing.T) {
	x := Normal(tensor.NewRNG(3), 4).Float64s()
	y := Normal(tensor.NewRNG(3), 4).Float64s()
	if !slices.Equal(x, y) {
		t.Fatalf("same seed, different values: %v, %v", x, y)
	}
	if d := Normal(tensor.NewRNG(3), 2, 3); d.DType() != tensor.Float64 || !slices.Equal(d.Shape(), []int{2, 3}) {
		t.Fatalf("Normal gave %s %v", d.DType(), d.Shape())
	}
}
