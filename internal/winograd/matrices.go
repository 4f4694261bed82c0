package winograd

// The transform matrices of Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"
// (2016). F(m×m, 3×3) computes an m×m block of outputs from an α×α input tile d, α = m+2:
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// for a 3×3 filter g. The matrices come from the Chinese remainder theorem applied to the
// polynomial product of the filter and the data, evaluated at α-1 points and at infinity.
// F(2×2,3×3) uses the points 0, ±1, ∞; F(4×4,3×3) uses 0, ±1, ±2, ∞. The set 0, ±1, ±1/2, ∞
// (often said to be better conditioned) was measured by TestTunePoints over the test shapes
// and is not more accurate here: worst relative errors of 7.7e-6, 8.6e-6, 1.3e-5 (Conv,
// ConvInput, ConvWeight) for ±2 against 1.1e-5, 7.6e-6, 9.6e-6 for ±1/2.
//
// The AVX-512 and AVX2 kernels are generated from the literals in this file: _asm/winograd
// type-checks it and reads every &matrix{...} with constant fields, so keep the tables as such
// literals (and run make asm after changing one).

// A matrix is a small constant row-major matrix of a transform.
type matrix struct {
	name       string // the kernels' name for it
	rows, cols int
	v          []float32
}

func (p *matrix) at(i, j int) float32 { return p.v[i*p.cols+j] }

// transposed returns pᵀ.
func (p *matrix) transposed(name string) *matrix {
	t := &matrix{name: name, rows: p.cols, cols: p.rows, v: make([]float32, len(p.v))}
	for i := 0; i < p.rows; i++ {
		for j := 0; j < p.cols; j++ {
			t.v[j*p.rows+i] = p.at(i, j)
		}
	}
	return t
}

// transforms are the five sandwiches X ↦ P X Pᵀ that one tile size needs:
//
//	input       P = Bᵀ (α×α): data tile d ↦ V = Bᵀ d B
//	filter      P = G  (α×3): filter g ↦ U = G g Gᵀ
//	output      P = Aᵀ (m×α): product M ↦ Y = Aᵀ M A
//	gradOutput  P = A  (α×m): output-gradient tile dY ↦ A dY Aᵀ
//	gradFilter  P = Gᵀ (3×α): summed product S ↦ dg = Gᵀ S G
//
// The last two are the transposes of the first three's bilinear form (see ConvWeight).
type transforms struct {
	input, filter, output, gradOutput, gradFilter *matrix
}

func newTransforms(tag string, bt, g, at *matrix) *transforms {
	return &transforms{
		input:      bt,
		filter:     g,
		output:     at,
		gradOutput: at.transposed("gradOutput" + tag),
		gradFilter: g.transposed("gradFilter" + tag),
	}
}

var f2 = newTransforms("F2",
	&matrix{name: "inputF2", rows: 4, cols: 4, v: []float32{
		1, 0, -1, 0,
		0, 1, 1, 0,
		0, -1, 1, 0,
		0, 1, 0, -1,
	}},
	&matrix{name: "filterF2", rows: 4, cols: 3, v: []float32{
		1, 0, 0,
		0.5, 0.5, 0.5,
		0.5, -0.5, 0.5,
		0, 0, 1,
	}},
	&matrix{name: "outputF2", rows: 2, cols: 4, v: []float32{
		1, 1, 1, 0,
		0, 1, -1, -1,
	}},
)

var f4 = newTransforms("F4",
	&matrix{name: "inputF4", rows: 6, cols: 6, v: []float32{
		4, 0, -5, 0, 1, 0,
		0, -4, -4, 1, 1, 0,
		0, 4, -4, -1, 1, 0,
		0, -2, -1, 2, 1, 0,
		0, 2, -1, -2, 1, 0,
		0, 4, 0, -5, 0, 1,
	}},
	&matrix{name: "filterF4", rows: 6, cols: 3, v: []float32{
		1.0 / 4, 0, 0,
		-1.0 / 6, -1.0 / 6, -1.0 / 6,
		-1.0 / 6, 1.0 / 6, -1.0 / 6,
		1.0 / 24, 1.0 / 12, 1.0 / 6,
		1.0 / 24, -1.0 / 12, 1.0 / 6,
		0, 0, 1,
	}},
	&matrix{name: "outputF4", rows: 4, cols: 6, v: []float32{
		1, 1, 1, 1, 1, 0,
		0, 1, -1, 2, -2, 0,
		0, 1, 1, 4, 4, 0,
		0, 1, -1, 8, -8, 1,
	}},
)

// allMatrices lists every matrix a kernel exists for, for the path registry and its tests.
var allMatrices = []*matrix{
	f2.input, f2.filter, f2.output, f2.gradOutput, f2.gradFilter,
	f4.input, f4.filter, f4.output, f4.gradOutput, f4.gradFilter,
}
