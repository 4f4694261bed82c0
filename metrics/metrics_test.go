package metrics

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zebra-go/zebra/internal/torchfile"
	"gonum.org/v1/gonum/mat"
)

// The references come from numpy and scipy through scripts/golden/fid_metrics.py, which
// documents them.

func reference(t *testing.T) *torchfile.File {
	t.Helper()
	f, err := torchfile.ReadFile(filepath.Join("testdata", "reference.pth"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func refRows(t *testing.T, f *torchfile.File, name string) [][]float64 {
	t.Helper()
	data, shape, err := f.Float64s(name)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float64, shape[0])
	for i := range rows {
		rows[i] = data[i*shape[1] : (i+1)*shape[1]]
	}
	return rows
}

func refValue(t *testing.T, f *torchfile.File, name string) float64 {
	t.Helper()
	data, _, err := f.Float64s(name)
	if err != nil {
		t.Fatal(err)
	}
	return data[0]
}

func refIndices(t *testing.T, f *torchfile.File, name string) []int {
	t.Helper()
	data, _, err := f.Int64s(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(data))
	for i, v := range data {
		out[i] = int(v)
	}
	return out
}

func closeTo(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

// FID against numpy: the exact SVD form to 1e-12 in both regimes (it is exact in both, and FID
// computes it or the covariance form), and pytorch-fid's scipy sqrtm route to 1e-7 with few
// images, where sqrtm of the singular product loses digits (measured: 2.1e-8), 1e-12 with many.
func TestFIDMatchesNumpy(t *testing.T) {
	f := reference(t)
	for _, c := range []struct {
		name     string
		scipyTol float64
	}{{"few", 1e-7}, {"many", 1e-12}} {
		got, err := FID(refRows(t, f, c.name+".x"), refRows(t, f, c.name+".y"))
		if err != nil {
			t.Fatal(err)
		}
		exact, scipy := refValue(t, f, c.name+".fid_svd"), refValue(t, f, c.name+".fid_scipy")
		t.Logf("%s: FID %.15g, numpy's exact %.15g, pytorch-fid's scipy route %.15g (%.2g apart)", c.name, got, exact, scipy, math.Abs(got-scipy)/scipy)
		if !closeTo(got, exact, 1e-12) {
			t.Errorf("%s: FID %.15g, want %.15g", c.name, got, exact)
		}
		if !closeTo(got, scipy, c.scipyTol) {
			t.Errorf("%s: FID %.15g, pytorch-fid's %.15g", c.name, got, scipy)
		}
	}
}

// The two routes of FID agree where both apply, and FID of a set with itself is 0.
func TestFIDRoutesAgree(t *testing.T) {
	f := reference(t)
	a1, a2, err := featureMatrices("test", refRows(t, f, "many.x"), refRows(t, f, "many.y"))
	if err != nil {
		t.Fatal(err)
	}
	centre(a1)
	centre(a2)
	bySVD, err := traceSqrtFromFeatures(a1, a2)
	if err != nil {
		t.Fatal(err)
	}
	byCov, err := traceSqrtFromCovariances(a1, a2)
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(byCov, bySVD, 1e-12) {
		t.Errorf("Tr sqrt: %.15g from covariances, %.15g from features", byCov, bySVD)
	}
	for _, name := range []string{"few.x", "many.x"} {
		x := refRows(t, f, name)
		if got, err := FID(x, x); err != nil || math.Abs(got) > 1e-9 {
			t.Errorf("FID of %s with itself: %g, %v", name, got, err)
		}
	}
}

func TestKIDMatchesNumpy(t *testing.T) {
	f := reference(t)
	for _, name := range []string{"few", "many"} {
		x, y := refRows(t, f, name+".x"), refRows(t, f, name+".y")
		full, err := KID(x, y, KIDOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := refValue(t, f, name+".kid_full"); !closeTo(full.Mean, want, 1e-12) || full.Std != 0 || full.Subsets != 1 {
			t.Errorf("%s: KID on the full sets %+v, want %.15g", name, full, want)
		}
		k := newKernels(mustMatrices(t, x, y))
		for s := range 3 {
			key := name + ".subset." + strconv.Itoa(s)
			got := k.mmd2(refIndices(t, f, key+".x"), refIndices(t, f, key+".y"))
			if want := refValue(t, f, name+".kid_subset."+strconv.Itoa(s)); !closeTo(got, want, 1e-12) {
				t.Errorf("%s: MMD² %.15g, want %.15g", key, got, want)
			}
		}
	}
}

func mustMatrices(t *testing.T, x, y [][]float64) (a, b *mat.Dense) {
	t.Helper()
	a, b, err := featureMatrices("test", x, y)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// Subsets: seeded; subsets as large as both sets are the full sets in another order, so every
// estimate is the full one; a smaller size spreads the estimates.
func TestKIDSubsets(t *testing.T) {
	f := reference(t)
	x, y := refRows(t, f, "few.x"), refRows(t, f, "few.y")
	y30 := y[:30]
	full, err := KID(x, y30, KIDOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := KID(x, y30, KIDOptions{Subsets: 5, SubsetSize: 30, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(all.Mean, full.Mean, 1e-12) || all.Std > 1e-12 || all.Subsets != 5 {
		t.Errorf("subsets of the whole sets: %+v, want mean %.15g and std 0", all, full.Mean)
	}
	a, err := KID(x, y, KIDOptions{Subsets: 20, SubsetSize: 10, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := KID(x, y, KIDOptions{Subsets: 20, SubsetSize: 10, Seed: 7})
	c, _ := KID(x, y, KIDOptions{Subsets: 20, SubsetSize: 10, Seed: 8})
	if a != b || a == c || !(a.Std > 0) {
		t.Errorf("seed 7 twice: %+v and %+v; seed 8: %+v", a, b, c)
	}
	if _, err := KID(x, y, KIDOptions{Subsets: 3, SubsetSize: 31}); err == nil || !strings.Contains(err.Error(), "want 2 to 30") {
		t.Errorf("subsets larger than a set: %v", err)
	}
}

func TestFeatureErrors(t *testing.T) {
	ok := [][]float64{{1, 2}, {3, 4}, {5, 7}}
	for _, c := range []struct {
		name string
		x, y [][]float64
		want string
	}{
		{"empty", nil, ok, "the first set has no features"},
		{"one row", ok, ok[:1], "the second set has 1 feature vectors"},
		{"ragged", ok, [][]float64{{1, 2}, {3}}, "second feature vector 1 has 1 values"},
		{"NaN", [][]float64{{1, 2}, {math.NaN(), 4}}, ok, "first feature vector 1 has NaN at 0"},
	} {
		if _, err := FID(c.x, c.y); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: FID error %v, want %q", c.name, err, c.want)
		}
		if _, err := KID(c.x, c.y, KIDOptions{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: KID error %v, want %q", c.name, err, c.want)
		}
	}
}
