package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// featureMatrix checks one set of features (at least two rows of the same width d, every value
// finite) and returns it as an n×d matrix.
func featureMatrix(op, which string, rows [][]float64, d int) (*mat.Dense, error) {
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: the %s set has %d feature vectors, need at least 2", op, which, len(rows))
	}
	m := mat.NewDense(len(rows), d, nil)
	for i, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("%s: %s feature vector %d has %d values, the first has %d", op, which, i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s: %s feature vector %d has %g at %d", op, which, i, v, j)
			}
		}
		m.SetRow(i, r)
	}
	return m, nil
}

// featureMatrices checks both sets and returns them as matrices.
func featureMatrices(op string, x, y [][]float64) (mx, my *mat.Dense, err error) {
	if len(x) == 0 || len(x[0]) == 0 {
		return nil, nil, fmt.Errorf("%s: the first set has no features", op)
	}
	d := len(x[0])
	if mx, err = featureMatrix(op, "first", x, d); err != nil {
		return nil, nil, err
	}
	if my, err = featureMatrix(op, "second", y, d); err != nil {
		return nil, nil, err
	}
	return mx, my, nil
}

// centre subtracts the column means from m in place and returns them.
func centre(m *mat.Dense) []float64 {
	n, d := m.Dims()
	mean := make([]float64, d)
	for j := range d {
		mean[j] = mat.Sum(m.ColView(j)) / float64(n)
		for i := range n {
			m.Set(i, j, m.At(i, j)-mean[j])
		}
	}
	return mean
}
