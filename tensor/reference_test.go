package tensor

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
)

// The conformance suite (backendtest) compares other backends with the CPU; these tests compare
// the CPU kernels, through the package's ops, with independent references written as plainly as
// possible: explicit multi-index loops, textbook formulas, adjoint identities and finite
// differences. They are the reason the CPU may be called the specification.

// unravel returns the multi-index of flat position i in a row-major tensor of the given shape.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

// ravel returns the flat position of a multi-index.
func ravel(idx, shape []int) int {
	i := 0
	for d := range shape {
		i = i*shape[d] + idx[d]
	}
	return i
}

// at reads element idx of a row-major array of shape, broadcasting: an index into a dimension of
// size 1 reads position 0, and missing leading dimensions are ignored.
func at(data []float64, shape, idx []int) float64 {
	off := len(idx) - len(shape)
	j := make([]int, len(shape))
	for d := range shape {
		if shape[d] != 1 {
			j[d] = idx[off+d]
		}
	}
	return data[ravel(j, shape)]
}

func randomData(rng *RNG, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
		if i%4 == 0 {
			v[i] = float64(rng.IntN(5) - 2) // ties and zeros
		}
	}
	return v
}

var dtypes = []DType{Float64, Float32}

// tolFor returns a float64 tolerance or a float32 one.
func tolFor(dt DType, t64, t32 tolerance) tolerance {
	if dt == Float64 {
		return t64
	}
	return t32
}

// roundTo rounds values to what dtype dt holds.
func roundTo(dt DType, v []float64) []float64 {
	return Cast(Cast(FromFloat64(v, len(v)), dt), Float64).Float64s()
}

func TestBinaryMatchesNaiveBroadcast(t *testing.T) {
	rng := NewRNG(1)
	pairs := [][2][]int{{{2, 3}, {2, 3}}, {{2, 3, 4}, {4}}, {{3, 1}, {1, 4}}, {{2, 1, 3}, {4, 1}}, {{}, {2, 2}},
		{{5}, {}}, {{0, 3}, {1, 3}}, {{2, 3, 1, 2}, {3, 4, 1}}, {{1, 1, 1}, {1}}, {{6, 1, 5}, {6, 7, 1}}}
	ops := map[string]struct {
		f     func(a, b *Tensor) *Tensor
		naive func(a, b float64) float64
	}{
		"Add":     {Add, func(a, b float64) float64 { return a + b }},
		"Sub":     {Sub, func(a, b float64) float64 { return a - b }},
		"Mul":     {Mul, func(a, b float64) float64 { return a * b }},
		"Div":     {Div, func(a, b float64) float64 { return a / b }},
		"Maximum": {Maximum, math.Max},
		"Minimum": {Minimum, math.Min},
		"Greater": {Greater, func(a, b float64) float64 { return boolTo[float64](a > b) }},
		"Equal":   {Equal, func(a, b float64) float64 { return boolTo[float64](a == b) }},
		"LeakyReluBackward 0.25": {func(a, b *Tensor) *Tensor { return LeakyReluBackward(a, b, 0.25) },
			func(g, x float64) float64 {
				if x > 0 {
					return g
				}
				return 0.25 * g
			}},
	}
	for name, op := range ops {
		for _, p := range pairs {
			as, bs := p[0], p[1]
			if name == "LeakyReluBackward 0.25" {
				bs = as // same shapes only
			}
			out := BroadcastShapes("test", as, bs)
			for _, dt := range dtypes {
				a := roundTo(dt, randomData(rng, Numel(as)))
				b := roundTo(dt, randomData(rng, Numel(bs)))
				got := op.f(Cast(FromFloat64(a, as...), dt), Cast(FromFloat64(b, bs...), dt))
				if !sameShape(got.Shape(), out) {
					t.Fatalf("%s %v %v: shape %v, want %v", name, as, bs, got.Shape(), out)
				}
				want := make([]float64, Numel(out))
				for i := range want {
					idx := unravel(i, out)
					want[i] = op.naive(at(a, as, idx), at(b, bs, idx))
				}
				want = roundTo(dt, want)
				checkClose(t, fmt.Sprintf("%s %v %v %s", name, as, bs, dt), got.Float64s(), want, tolerance{})
			}
		}
	}
}

func TestUnaryMatchesMath(t *testing.T) {
	xs := []float64{-3.5, -1, -0.25, 0, 0.5, 1, 2.75, 40}
	ops := []struct {
		name  string
		f     func(*Tensor) *Tensor
		naive func(float64) float64
	}{
		{"Neg", Neg, func(x float64) float64 { return -x }},
		{"Abs", Abs, math.Abs},
		{"Sign", Sign, func(x float64) float64 { return boolTo[float64](x > 0) - boolTo[float64](x < 0) }},
		{"Exp", Exp, math.Exp},
		{"Log", Log, math.Log},
		{"Sqrt", Sqrt, math.Sqrt},
		{"Square", Square, func(x float64) float64 { return x * x }},
		{"Tanh", Tanh, math.Tanh},
		{"Sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{"Relu", Relu, func(x float64) float64 { return math.Max(x, 0) }},
		{"LeakyRelu", func(x *Tensor) *Tensor { return LeakyRelu(x, 0.1) }, func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 0.1 * x
		}},
		{"PowScalar 1.5", func(x *Tensor) *Tensor { return PowScalar(x, 1.5) }, func(x float64) float64 { return math.Pow(x, 1.5) }},
		{"PowScalar -2", func(x *Tensor) *Tensor { return PowScalar(x, -2) }, func(x float64) float64 { return 1 / (x * x) }},
		{"Scale", func(x *Tensor) *Tensor { return Scale(x, -0.5) }, func(x float64) float64 { return -0.5 * x }},
		{"AddScalar", func(x *Tensor) *Tensor { return AddScalar(x, 1.25) }, func(x float64) float64 { return x + 1.25 }},
	}
	for _, op := range ops {
		got := op.f(FromFloat64(xs, 2, 4))
		if !sameShape(got.Shape(), []int{2, 4}) || got.DType() != Float64 {
			t.Errorf("%s: shape %v dtype %s", op.name, got.Shape(), got.DType())
		}
		want := make([]float64, len(xs))
		for i, x := range xs {
			want[i] = op.naive(x)
		}
		checkClose(t, op.name, got.Float64s(), want, tolerance{rtol: 1e-15})
		// float32 is within one rounding (2^-24 relative) of the exact result for its input.
		xs32 := roundTo(Float32, xs)
		want32 := make([]float64, len(xs))
		for i, x := range xs32 {
			want32[i] = op.naive(x)
		}
		got32 := op.f(Cast(FromFloat64(xs32, 8), Float32))
		checkClose(t, op.name+" float32", got32.Float64s(), want32, tolerance{rtol: 0x1p-24})
	}
	// Sigmoid does not overflow at large |x|.
	s := Sigmoid(FromFloat64([]float64{-800, 800}, 2)).Float64s()
	if s[0] != 0 || s[1] != 1 {
		t.Errorf("Sigmoid(±800) = %v, want [0 1]", s)
	}
}

// naiveReduce reduces data of shape over axes (sorted, distinct) with f, starting from init,
// returning the keepdim-shaped result.
func naiveReduce(data []float64, shape, axes []int, init float64, f func(acc, x float64) float64) ([]float64, []int) {
	outShape := slices.Clone(shape)
	for _, a := range axes {
		outShape[a] = 1
	}
	out := make([]float64, Numel(outShape))
	for i := range out {
		out[i] = init
	}
	for i, x := range data {
		idx := unravel(i, shape)
		for _, a := range axes {
			idx[a] = 0
		}
		j := ravel(idx, outShape)
		out[j] = f(out[j], x)
	}
	return out, outShape
}

func TestReductionsMatchNaive(t *testing.T) {
	rng := NewRNG(2)
	for _, shape := range [][]int{{3, 1, 4, 5}, {2, 3, 4}, {7}, {2, 0, 3}} {
		nd := len(shape)
		data := randomData(rng, Numel(shape))
		for mask := range 1 << nd {
			var axes []int
			count := 1
			for d := range nd {
				if mask&(1<<d) != 0 {
					axes = append(axes, d)
					count *= shape[d]
				}
			}
			all := axes
			if len(axes) == 0 {
				all = []int{} // no axes means all axes
				count = Numel(shape)
				for d := range nd {
					all = append(all, d)
				}
			}
			for _, dt := range dtypes {
				data := roundTo(dt, data)
				sum, keptShape := naiveReduce(data, shape, all, 0, func(a, x float64) float64 { return a + x })
				mean := make([]float64, len(sum))
				for i := range sum {
					mean[i] = sum[i] / float64(count)
				}
				sq, _ := naiveReduce(data, shape, all, 0, func(acc, x float64) float64 { return acc + x*x })
				var var0, var1 []float64
				for i := range sum {
					// Σ(x-μ)² = Σx² - nμ², fine in float64 for these small, well-scaled inputs.
					ss := sq[i] - float64(count)*mean[i]*mean[i]
					var0 = append(var0, ss/float64(count))
					var1 = append(var1, ss/float64(count-1))
				}
				maxv, _ := naiveReduce(data, shape, all, math.Inf(-1), math.Max)
				minv, _ := naiveReduce(data, shape, all, math.Inf(1), math.Min)
				x := Cast(FromFloat64(data, shape...), dt)
				tl := tolFor(dt, tolerance{atol: 1e-13, rtol: 1e-13}, tolerance{atol: 1e-6, rtol: 1e-6})
				for _, keepdim := range []bool{false, true} {
					what := fmt.Sprintf("%v over %v keepdim=%v %s", shape, axes, keepdim, dt)
					wantShape := keptShape
					if !keepdim {
						wantShape = nil
						for d := range nd {
							if !slices.Contains(all, d) {
								wantShape = append(wantShape, shape[d])
							}
						}
					}
					check := func(op string, got *Tensor, want []float64, tl tolerance) {
						t.Helper()
						if !sameShape(got.Shape(), wantShape) || got.DType() != dt {
							t.Errorf("%s %s: shape %v dtype %s, want %v", op, what, got.Shape(), got.DType(), wantShape)
							return
						}
						checkClose(t, op+" "+what, got.Float64s(), want, tl)
					}
					check("Sum", Sum(x, axes, keepdim), sum, tl)
					check("Mean", Mean(x, axes, keepdim), mean, tl)
					check("Var(0)", Var(x, axes, keepdim, 0), var0, tl)
					check("Var(1)", Var(x, axes, keepdim, 1), var1, tl)
					if count > 0 {
						check("Max", Max(x, axes, keepdim), maxv, tolerance{})
						check("Min", Min(x, axes, keepdim), minv, tolerance{})
					}
				}
			}
		}
	}
}

func TestSumAccumulatesFloat32InFloat64(t *testing.T) {
	// 2^24 + 1 is not a float32; a float32 running sum of 2^24 ones followed by more ones stalls
	// at 2^24. Accumulating in float64 gives the exact count.
	n := 1<<24 + 8
	x := Ones(Float32, n)
	if got := Sum(x, nil, false).Item(); got != float64(n) {
		t.Errorf("Sum of %d float32 ones = %v", n, got)
	}
}

func TestShapeOpsMatchNaive(t *testing.T) {
	rng := NewRNG(3)
	shape := []int{2, 3, 4}
	data := randomData(rng, 24)
	x := FromFloat64(data, shape...)
	// Every permutation of three axes.
	for _, perm := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		got := Permute(x, perm...)
		outShape := []int{shape[perm[0]], shape[perm[1]], shape[perm[2]]}
		want := make([]float64, 24)
		for i := range want {
			o := unravel(i, outShape)
			in := make([]int, 3)
			for k, p := range perm {
				in[p] = o[k]
			}
			want[i] = data[ravel(in, shape)]
		}
		if !sameShape(got.Shape(), outShape) {
			t.Errorf("Permute %v: shape %v, want %v", perm, got.Shape(), outShape)
		}
		checkClose(t, fmt.Sprint("Permute ", perm), got.Float64s(), want, tolerance{})
	}
	// Narrow along each axis.
	for dim := range 3 {
		for start := range shape[dim] {
			for length := 0; start+length <= shape[dim]; length++ {
				got := Narrow(x, dim, start, length)
				outShape := slices.Clone(shape)
				outShape[dim] = length
				want := make([]float64, Numel(outShape))
				for i := range want {
					idx := unravel(i, outShape)
					idx[dim] += start
					want[i] = data[ravel(idx, shape)]
				}
				checkClose(t, fmt.Sprintf("Narrow(%d, %d, %d)", dim, start, length), got.Float64s(), want, tolerance{})
			}
		}
	}
	// Concat along each axis of three parts of different sizes.
	for dim := range 3 {
		var parts []*Tensor
		var datas [][]float64
		var sizes []int
		for k := range 3 {
			s := slices.Clone(shape)
			s[dim] = k // 0, 1 and 2
			d := randomData(rng, Numel(s))
			parts, datas, sizes = append(parts, FromFloat64(d, s...)), append(datas, d), append(sizes, k)
		}
		got := Concat(parts, dim)
		outShape := slices.Clone(shape)
		outShape[dim] = 3
		want := make([]float64, Numel(outShape))
		for i := range want {
			idx := unravel(i, outShape)
			k, j := 0, idx[dim]
			for j >= sizes[k] {
				j -= sizes[k]
				k++
			}
			s := slices.Clone(shape)
			s[dim] = sizes[k]
			idx[dim] = j
			want[i] = datas[k][ravel(idx, s)]
		}
		checkClose(t, fmt.Sprint("Concat dim ", dim), got.Float64s(), want, tolerance{})
	}
	// Pad with a constant: (left, right) of the last axis, (top, bottom) of the middle one.
	pads := []int{1, 2, 0, 3}
	got := Pad(x, pads, -7)
	outShape := []int{2, 3 + 0 + 3, 4 + 1 + 2}
	want := make([]float64, Numel(outShape))
	for i := range want {
		idx := unravel(i, outShape)
		h, w := idx[1]-0, idx[2]-1
		if h < 0 || h >= 3 || w < 0 || w >= 4 {
			want[i] = -7
		} else {
			want[i] = data[ravel([]int{idx[0], h, w}, shape)]
		}
	}
	if !sameShape(got.Shape(), outShape) {
		t.Errorf("Pad: shape %v, want %v", got.Shape(), outShape)
	}
	checkClose(t, "Pad", got.Float64s(), want, tolerance{})
	// Expand a [3, 1] column to [2, 3, 4].
	col := randomData(rng, 3)
	got = Expand(FromFloat64(col, 3, 1), 2, 3, 4)
	want = make([]float64, 24)
	for i := range want {
		want[i] = col[unravel(i, shape)[1]]
	}
	checkClose(t, "Expand", got.Float64s(), want, tolerance{})
}

// naiveGemm is the textbook definition of GemmArgs on host slices.
func naiveGemm(g GemmArgs, a, b, c []float64) {
	for i := range g.Batch {
		ao, bo, co := g.OffA+i*g.StrideA, g.OffB+i*g.StrideB, g.OffC+i*g.StrideC
		for r := range g.M {
			for col := range g.N {
				var s float64
				for k := range g.K {
					var av, bv float64
					if g.TransA {
						av = a[ao+k*g.LDA+r]
					} else {
						av = a[ao+r*g.LDA+k]
					}
					if g.TransB {
						bv = b[bo+col*g.LDB+k]
					} else {
						bv = b[bo+k*g.LDB+col]
					}
					s += av * bv
				}
				v := g.Alpha * s
				if g.Beta != 0 {
					v += g.Beta * c[co+r*g.LDC+col]
				}
				c[co+r*g.LDC+col] = v
			}
		}
	}
}

func TestGemmMatchesNaive(t *testing.T) {
	rng := NewRNG(4)
	for _, dt := range dtypes {
		n := 0
		// Sizes around register-block edges, empty products, and one large enough for a blocked
		// GEMM to take several panels in every dimension.
		for _, mnk := range [][3]int{{1, 1, 1}, {3, 5, 7}, {8, 3, 16}, {17, 19, 13}, {0, 2, 3}, {2, 3, 0}, {67, 129, 93}} {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					n++
					m, nn, k := mnk[0], mnk[1], mnk[2]
					g := GemmArgs{TransA: ta, TransB: tb, M: m, N: nn, K: k, Batch: 1 + n%3,
						Alpha: []float64{1, -0.5, 2}[n%3], Beta: []float64{0, 1, 0.5}[n%3]}
					ra, ca := m, k
					if ta {
						ra, ca = k, m
					}
					rb, cb := k, nn
					if tb {
						rb, cb = nn, k
					}
					g.LDA, g.LDB, g.LDC = max(1, ca)+n%2, cb+1, max(1, nn)+n%3
					g.OffA, g.OffB, g.OffC = n%3, 1, n%2
					g.StrideA, g.StrideB, g.StrideC = ra*g.LDA+1, rb*g.LDB, m*g.LDC+2
					if n%4 == 0 {
						g.StrideA = 0 // one A for the whole batch
					}
					if n%4 == 1 {
						g.StrideB = 0
					}
					a := roundTo(dt, randomData(rng, g.OffA+g.Batch*g.StrideA+ra*g.LDA+1))
					b := roundTo(dt, randomData(rng, g.OffB+g.Batch*g.StrideB+rb*g.LDB+1))
					c := roundTo(dt, randomData(rng, g.OffC+g.Batch*g.StrideC+m*g.LDC+1))
					want := slices.Clone(c)
					naiveGemm(g, a, b, want)
					// Errors are measured against |α|·Σ|a·b| + |β|·|c|, the scale of a sum's
					// rounding error, so that float32 accumulation in any order passes.
					scale := absValues(c)
					mg := g
					mg.Alpha, mg.Beta = math.Abs(g.Alpha), math.Abs(g.Beta)
					naiveGemm(mg, absValues(a), absValues(b), scale)
					ga := g
					A, B, C := Cast(FromFloat64(a, len(a)), dt), Cast(FromFloat64(b, len(b)), dt), Cast(FromFloat64(c, len(c)), dt)
					ga.A, ga.B, ga.C = A.storage, B.storage, C.storage
					CPU.Gemm(ga)
					tl := tolFor(dt, tolerance{rtol: 1e-13}, tolerance{rtol: 1e-5})
					checkScaled(t, fmt.Sprintf("Gemm %+v transA=%v transB=%v %s", mnk, ta, tb, dt), C.Float64s(), want, scale, tl)
				}
			}
		}
	}
}

func absValues(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Abs(x)
	}
	return out
}

func TestMatmulMatchesNaive(t *testing.T) {
	rng := NewRNG(5)
	a := randomData(rng, 2*3*4)
	b := randomData(rng, 2*4*5)
	w := randomData(rng, 4*5)
	// naive [2,3,4] x [2,4,5] and x [4,5] (shared).
	mm := func(bData []float64, shared bool) []float64 {
		out := make([]float64, 2*3*5)
		for n := range 2 {
			for i := range 3 {
				for j := range 5 {
					var s float64
					for k := range 4 {
						bo := n * 20
						if shared {
							bo = 0
						}
						s += a[n*12+i*4+k] * bData[bo+k*5+j]
					}
					out[n*15+i*5+j] = s
				}
			}
		}
		return out
	}
	A, B, W := FromFloat64(a, 2, 3, 4), FromFloat64(b, 2, 4, 5), FromFloat64(w, 4, 5)
	tl := tolerance{atol: 1e-14, rtol: 1e-14}
	checkClose(t, "Matmul batched", Matmul(A, B).Float64s(), mm(b, false), tl)
	checkClose(t, "Matmul shared", Matmul(A, W).Float64s(), mm(w, true), tl)
	// The transposed forms read the same products from transposed storage.
	At, Bt := Transpose(A, 1, 2), Transpose(B, 1, 2)
	checkClose(t, "MatmulT(aᵀ, b)", MatmulT(At, B, true, false).Float64s(), mm(b, false), tl)
	checkClose(t, "MatmulT(a, bᵀ)", MatmulT(A, Bt, false, true).Float64s(), mm(b, false), tl)
	checkClose(t, "MatmulT(aᵀ, bᵀ)", MatmulT(At, Bt, true, true).Float64s(), mm(b, false), tl)
	if got := MatmulT(A, Bt, false, true).Shape(); !sameShape(got, []int{2, 3, 5}) {
		t.Errorf("MatmulT shape %v", got)
	}
}

// cycleGANGeoms are the convolutions of the reference model at small sizes, plus dilation.
func cycleGANGeoms() []ConvGeom {
	var gs []ConvGeom
	for _, k := range []int{3, 4, 7} {
		for _, s := range []int{1, 2} {
			for _, p := range []int{0, 1} {
				for _, d := range []int{1, 2} {
					if 9+2*p-d*(k-1)-1 < 0 {
						continue
					}
					gs = append(gs, NewConvGeom(2, 3, 9, 10, k, k, s, s, p, p, d, d))
				}
			}
		}
	}
	return append(gs, NewConvGeom(1, 2, 7, 9, 3, 4, 2, 1, 1, 0, 1, 2))
}

func TestConvThroughIm2colMatchesNaiveConv(t *testing.T) {
	rng := NewRNG(6)
	const cout = 4
	for _, g := range cycleGANGeoms() {
		x := randomData(rng, g.N*g.C*g.H*g.W)
		w := randomData(rng, cout*g.C*g.KH*g.KW)
		want := naiveConvForward(x, w, nil, g, cout) // the definition (conv_test.go)
		for _, dt := range dtypes {
			X, W := Cast(FromFloat64(x, g.N, g.C, g.H, g.W), dt), Cast(FromFloat64(w, cout, g.C*g.KH*g.KW), dt)
			conv := Matmul(W, Im2col(X, g)) // [Cout, C·KH·KW] × [N, C·KH·KW, OH·OW], W shared
			tl := tolFor(dt, tolerance{atol: 1e-12, rtol: 1e-12}, tolerance{atol: 1e-4, rtol: 1e-5})
			checkClose(t, fmt.Sprintf("conv %+v %s", g, dt), conv.Float64s(), roundTo(dt, want), tl)
		}
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestCol2imIsTheAdjointOfIm2col(t *testing.T) {
	rng := NewRNG(7)
	for _, g := range cycleGANGeoms() {
		x := randomData(rng, g.N*g.C*g.H*g.W)
		c := randomData(rng, g.N*g.C*g.KH*g.KW*g.OH*g.OW)
		X, C := FromFloat64(x, g.N, g.C, g.H, g.W), FromFloat64(c, g.N, g.C*g.KH*g.KW, g.OH*g.OW)
		lhs := dot(Im2col(X, g).Float64s(), c) // <Im2col x, c>
		rhs := dot(x, Col2im(C, g).Float64s()) // <x, Col2im c>
		if math.Abs(lhs-rhs) > 1e-12*(math.Abs(lhs)+1) {
			t.Errorf("%+v: <im2col x, c> = %.17g, <x, col2im c> = %.17g", g, lhs, rhs)
		}
		// And col2im from its definition: each column entry goes back to the pixel it came from.
		want := make([]float64, len(x))
		for i, v := range c {
			idx := unravel(i, []int{g.N, g.C, g.KH, g.KW, g.OH, g.OW})
			n, ch, kh, kw, oh, ow := idx[0], idx[1], idx[2], idx[3], idx[4], idx[5]
			ih, iw := oh*g.StrideH-g.PadH+kh*g.DilH, ow*g.StrideW-g.PadW+kw*g.DilW
			if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
				want[((n*g.C+ch)*g.H+ih)*g.W+iw] += v
			}
		}
		checkClose(t, fmt.Sprintf("col2im %+v", g), Col2im(C, g).Float64s(), want, tolerance{atol: 1e-13, rtol: 1e-13})
	}
}

// mirror is reflection as a triangle wave of period 2(n-1): ..., 2, 1, [0, 1, ..., n-1], n-2, ...
// It is a different formula from the kernel's (one reflection at each edge) and valid for any i.
func mirror(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	r := ((i % period) + period) % period
	if r < n {
		return r
	}
	return period - r
}

func TestReflectPadMatchesMirrorFormula(t *testing.T) {
	rng := NewRNG(8)
	cases := []struct {
		shape []int
		p     Pad2d
	}{
		{[]int{1, 2, 5, 5}, Pad2d{1, 1, 1, 1}},
		{[]int{2, 3, 8, 9}, Pad2d{3, 3, 3, 3}},
		{[]int{4, 4}, Pad2d{3, 3, 3, 3}}, // pads of size-1, the largest allowed
		{[]int{2, 3, 4}, Pad2d{0, 2, 1, 0}},
		{[]int{1, 1, 2, 2}, Pad2d{1, 1, 1, 1}},
		{[]int{3, 1, 6}, Pad2d{5, 2, 0, 0}},
	}
	for _, c := range cases {
		x := randomData(rng, Numel(c.shape))
		nd := len(c.shape)
		h, w := c.shape[nd-2], c.shape[nd-1]
		outShape := slices.Clone(c.shape)
		outShape[nd-2] += c.p.Top + c.p.Bottom
		outShape[nd-1] += c.p.Left + c.p.Right
		want := make([]float64, Numel(outShape))
		for i := range want {
			idx := unravel(i, outShape)
			idx[nd-2] = mirror(idx[nd-2]-c.p.Top, h)
			idx[nd-1] = mirror(idx[nd-1]-c.p.Left, w)
			want[i] = x[ravel(idx, c.shape)]
		}
		X := FromFloat64(x, c.shape...)
		y := ReflectPad2d(X, c.p)
		if !sameShape(y.Shape(), outShape) {
			t.Errorf("%v %+v: shape %v, want %v", c.shape, c.p, y.Shape(), outShape)
			continue
		}
		checkClose(t, fmt.Sprintf("ReflectPad2d %v %+v", c.shape, c.p), y.Float64s(), want, tolerance{})
		// The backward is the adjoint: <pad x, dy> = <x, padᵀ dy>.
		dy := randomData(rng, len(want))
		dx := ReflectPad2dBackward(FromFloat64(dy, outShape...), c.shape, c.p)
		lhs, rhs := dot(want, dy), dot(x, dx.Float64s())
		if math.Abs(lhs-rhs) > 1e-12*(math.Abs(lhs)+1) {
			t.Errorf("ReflectPad2dBackward %v %+v: <pad x, dy> = %.17g, <x, dx> = %.17g", c.shape, c.p, lhs, rhs)
		}
	}
}

// planeStats returns the mean and biased variance of each plane, in float64, two-pass.
func planeStats(x []float64, size int) (mean, variance []float64) {
	for p := 0; p < len(x); p += size {
		var s float64
		for _, v := range x[p : p+size] {
			s += v
		}
		mu := s / float64(size)
		var ss float64
		for _, v := range x[p : p+size] {
			ss += (v - mu) * (v - mu)
		}
		mean, variance = append(mean, mu), append(variance, ss/float64(size))
	}
	return mean, variance
}

func TestInstanceNormMatchesFormula(t *testing.T) {
	rng := NewRNG(9)
	const eps = 1e-5
	for _, shape := range [][]int{{2, 3, 4, 5}, {3, 1, 7}, {1, 2, 16, 16}} {
		size := shape[len(shape)-2] * shape[len(shape)-1]
		// A large mean against the spread: a one-pass E[x²]-E[x]² would lose digits here.
		x := make([]float64, Numel(shape))
		for i := range x {
			x[i] = 1000 + rng.NormFloat64()
		}
		for _, dt := range dtypes {
			xr := roundTo(dt, x)
			mean, variance := planeStats(xr, size)
			wantY := make([]float64, len(xr))
			wantR := make([]float64, len(mean))
			for p := range mean {
				wantR[p] = 1 / math.Sqrt(variance[p]+eps)
				for i := range size {
					wantY[p*size+i] = (xr[p*size+i] - mean[p]) * wantR[p]
				}
			}
			y, m, r := InstanceNorm(Cast(FromFloat64(xr, shape...), dt), eps)
			tl := tolFor(dt, tolerance{atol: 1e-12, rtol: 1e-12}, tolerance{atol: 1e-6, rtol: 1e-6})
			what := fmt.Sprintf("InstanceNorm %v %s", shape, dt)
			checkClose(t, what+" y", y.Float64s(), wantY, tl)
			checkClose(t, what+" mean", m.Float64s(), mean, tl)
			checkClose(t, what+" rstd", r.Float64s(), wantR, tl)
		}
	}
}

func TestInstanceNormBackwardMatchesFiniteDifferences(t *testing.T) {
	rng := NewRNG(10)
	const eps = 1e-5
	shape := []int{2, 2, 3, 3}
	x := randomData(rng, Numel(shape))
	for i := range x {
		x[i] += rng.NormFloat64() // break the ties of randomData
	}
	dy := randomData(rng, len(x))
	// loss(x) = <dy, InstanceNorm(x)>, so dloss/dx is the backward of dy.
	loss := func(x []float64) float64 {
		y, _, _ := InstanceNorm(FromFloat64(x, shape...), eps)
		return dot(dy, y.Float64s())
	}
	X := FromFloat64(x, shape...)
	_, m, r := InstanceNorm(X, eps)
	got := InstanceNormBackward(FromFloat64(dy, shape...), X, m, r).Float64s()
	const h = 1e-6
	for i := range x {
		xp, xm := slices.Clone(x), slices.Clone(x)
		xp[i] += h
		xm[i] -= h
		num := (loss(xp) - loss(xm)) / (2 * h)
		if math.Abs(num-got[i]) > 1e-7+1e-6*math.Abs(num) {
			t.Errorf("dx[%d] = %.12g, central difference %.12g", i, got[i], num)
		}
	}
}

func TestAdamStepMatchesTextbook(t *testing.T) {
	rng := NewRNG(11)
	const n, steps = 50, 5
	lr, b1, b2, eps, wd := 2e-3, 0.5, 0.999, 1e-8, 0.01
	p0 := randomData(rng, n)
	grads := make([][]float64, steps)
	for s := range grads {
		grads[s] = randomData(rng, n)
	}
	// Kingma & Ba, Algorithm 1, with L2 weight decay added to the gradient (torch.optim.Adam).
	want := slices.Clone(p0)
	m, v := make([]float64, n), make([]float64, n)
	for s := range steps {
		tt := float64(s + 1)
		for i := range want {
			g := grads[s][i] + wd*want[i]
			m[i] = b1*m[i] + (1-b1)*g
			v[i] = b2*v[i] + (1-b2)*g*g
			mhat := m[i] / (1 - math.Pow(b1, tt))
			vhat := v[i] / (1 - math.Pow(b2, tt))
			want[i] -= lr * mhat / (math.Sqrt(vhat) + eps)
		}
	}
	for _, dt := range dtypes {
		P := Cast(FromFloat64(p0, n), dt)
		M, V := Zeros(dt, n), Zeros(dt, n)
		for s := range steps {
			tt := float64(s + 1)
			AdamStep(P, Cast(FromFloat64(grads[s], n), dt), M, V, AdamHyper{LR: lr, Beta1: b1, Beta2: b2, Eps: eps,
				WeightDecay: wd, BiasCorrection1: 1 - math.Pow(b1, tt), BiasCorrection2: 1 - math.Pow(b2, tt)})
		}
		tl := tolFor(dt, tolerance{atol: 1e-14, rtol: 1e-13}, tolerance{atol: 1e-6, rtol: 1e-6})
		checkClose(t, "Adam param "+dt.String(), P.Float64s(), roundTo(dt, want), tl)
		checkClose(t, "Adam m "+dt.String(), M.Float64s(), roundTo(dt, m), tl)
		checkClose(t, "Adam v "+dt.String(), V.Float64s(), roundTo(dt, v), tl)
	}
}

func TestCopyMatchesNaive(t *testing.T) {
	rng := NewRNG(12)
	for trial := range 30 {
		nd := 1 + rng.IntN(4)
		shape := make([]int, nd)
		for d := range shape {
			shape[d] = rng.IntN(4) + 1
		}
		// Destination: a permuted, padded layout; source: the same with a broadcast axis sometimes.
		dstStrides, dstLen := randomLayout(rng, shape)
		srcStrides, srcLen := randomLayout(rng, shape)
		if trial%3 == 0 {
			srcStrides[rng.IntN(nd)] = 0
		}
		dstOff, srcOff := rng.IntN(3), rng.IntN(3)
		src := randomData(rng, srcOff+srcLen)
		if trial%4 == 1 { // read one axis backwards: the same elements, from its far end
			d := rng.IntN(nd)
			srcOff += (shape[d] - 1) * srcStrides[d]
			srcStrides[d] = -srcStrides[d]
		}
		dst := randomData(rng, dstOff+dstLen)
		want := slices.Clone(dst)
		for i := range Numel(shape) {
			idx := unravel(i, shape)
			do, so := dstOff, srcOff
			for d := range idx {
				do += idx[d] * dstStrides[d]
				so += idx[d] * srcStrides[d]
			}
			want[do] = src[so]
		}
		for _, dt := range dtypes {
			D, S := Cast(FromFloat64(dst, len(dst)), dt), Cast(FromFloat64(src, len(src)), dt)
			CPU.Copy(D.storage, dstOff, dstStrides, S.storage, srcOff, srcStrides, shape)
			checkClose(t, fmt.Sprintf("Copy %v dst %v src %v %s", shape, dstStrides, srcStrides, dt),
				D.Float64s(), roundTo(dt, want), tolerance{})
		}
	}
}

// randomLayout returns strides placing a view of shape inside a larger buffer with its dimensions
// permuted and padded, and the buffer's length.
func randomLayout(rng *RNG, shape []int) ([]int, int) {
	nd := len(shape)
	perm := rng.Perm(nd)
	stored := make([]int, nd)
	for i, p := range perm {
		stored[i] = shape[p] + rng.IntN(2)
	}
	st := ContiguousStrides(stored)
	out := make([]int, nd)
	for i, p := range perm {
		out[p] = st[i]
	}
	return out, Numel(stored)
}

func TestValidRangeMatchesBruteForce(t *testing.T) {
	for out := 0; out <= 9; out++ {
		for in := 0; in <= 9; in++ {
			for stride := 1; stride <= 3; stride++ {
				for off := -8; off <= 8; off++ {
					lo, hi := validRange(out, in, stride, off)
					for o := range out {
						inside := o*stride+off >= 0 && o*stride+off < in
						if inside != (o >= lo && o < hi) {
							t.Fatalf("validRange(out %d, in %d, stride %d, off %d) = [%d, %d), wrong at %d",
								out, in, stride, off, lo, hi, o)
						}
					}
					if lo > hi || lo < 0 || hi > out {
						t.Fatalf("validRange(out %d, in %d, stride %d, off %d) = [%d, %d)", out, in, stride, off, lo, hi)
					}
				}
			}
		}
	}
}

// TestParallelPathsMatchNaive runs kernels on sizes above twice their parallel grain, with four
// workers whatever the machine, against the same naive references: the conformance suite compares
// the CPU only with itself, so a wrong split (a row offset, a chunk boundary) would pass there.
func TestParallelPathsMatchNaive(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	rng := NewRNG(13)

	// Binary: odometer positioning of each chunk's first row, with broadcasting.
	as, bs := []int{3, 200, 130}, []int{200, 1}
	a, b := randomData(rng, Numel(as)), randomData(rng, Numel(bs))
	out := BroadcastShapes("test", as, bs)
	want := make([]float64, Numel(out))
	for i := range want {
		idx := unravel(i, out)
		want[i] = at(a, as, idx) * at(b, bs, idx)
	}
	checkClose(t, "parallel Mul", Mul(FromFloat64(a, as...), FromFloat64(b, bs...)).Float64s(), want, tolerance{})

	// Unary.
	got := Exp(FromFloat64(a, as...)).Float64s()
	for i := range want {
		want[i] = math.Exp(a[i])
	}
	checkClose(t, "parallel Exp", got, want, tolerance{rtol: 1e-15})

	// Reduce, split over outer, with inner 1 and inner > 1.
	x := randomData(rng, 300*700)
	for _, axis := range []int{0, 1} {
		shape := []int{300, 700}
		sum, _ := naiveReduce(x, shape, []int{axis}, 0, func(acc, v float64) float64 { return acc + v })
		maxv, _ := naiveReduce(x, shape, []int{axis}, math.Inf(-1), math.Max)
		X := FromFloat64(x, shape...)
		checkClose(t, fmt.Sprint("parallel Sum over ", axis), Sum(X, []int{axis}, true).Float64s(), sum, tolerance{atol: 1e-12, rtol: 1e-12})
		checkClose(t, fmt.Sprint("parallel Max over ", axis), Max(X, []int{axis}, true).Float64s(), maxv, tolerance{})
	}
	x3 := randomData(rng, 200*30*20)
	sum, _ := naiveReduce(x3, []int{200, 30, 20}, []int{1}, 0, func(acc, v float64) float64 { return acc + v })
	checkClose(t, "parallel Sum over the middle", Sum(FromFloat64(x3, 200, 30, 20), []int{1}, true).Float64s(), sum, tolerance{atol: 1e-12, rtol: 1e-12})

	// Im2col and Col2im, split over images and channels.
	g := NewConvGeom(2, 8, 40, 40, 3, 3, 1, 1, 1, 1, 1, 1)
	img := randomData(rng, g.N*g.C*g.H*g.W)
	cols := Im2col(FromFloat64(img, g.N, g.C, g.H, g.W), g).Float64s()
	bad := 0
	for i, v := range cols {
		idx := unravel(i, []int{g.N, g.C, g.KH, g.KW, g.OH, g.OW})
		ih, iw := idx[4]-g.PadH+idx[2], idx[5]-g.PadW+idx[3]
		w := 0.0
		if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
			w = img[((idx[0]*g.C+idx[1])*g.H+ih)*g.W+iw]
		}
		if v != w {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("parallel Im2col: %d of %d entries wrong", bad, len(cols))
	}
	c := randomData(rng, len(cols))
	lhs := dot(cols, c)
	rhs := dot(img, Col2im(FromFloat64(c, g.N, g.C*g.KH*g.KW, g.OH*g.OW), g).Float64s())
	if math.Abs(lhs-rhs) > 1e-10*(math.Abs(lhs)+1) {
		t.Errorf("parallel Col2im is not Im2col's adjoint: %v vs %v", lhs, rhs)
	}

	// InstanceNorm, split over planes.
	shape := []int{4, 16, 32, 32}
	xn := randomData(rng, Numel(shape))
	y, _, _ := InstanceNorm(FromFloat64(xn, shape...), 1e-5)
	mean, variance := planeStats(xn, 32*32)
	want = make([]float64, len(xn))
	for i := range xn {
		p := i / (32 * 32)
		want[i] = (xn[i] - mean[p]) / math.Sqrt(variance[p]+1e-5)
	}
	checkClose(t, "parallel InstanceNorm", y.Float64s(), want, tolerance{atol: 1e-12, rtol: 1e-12})
}

func TestBinaryKernelWithPermutedStrides(t *testing.T) {
	rng := NewRNG(14)
	for range 10 {
		shape := []int{1 + rng.IntN(5), 1 + rng.IntN(5), 1 + rng.IntN(5)}
		aStrides, aLen := randomLayout(rng, shape)
		bStrides, bLen := randomLayout(rng, shape)
		bStrides[rng.IntN(3)] = 0
		a, b := randomData(rng, aLen), randomData(rng, bLen)
		want := make([]float64, Numel(shape))
		for i := range want {
			idx := unravel(i, shape)
			ao, bo := 0, 0
			for d := range idx {
				ao += idx[d] * aStrides[d]
				bo += idx[d] * bStrides[d]
			}
			want[i] = a[ao] - b[bo]
		}
		dst := CPU.Alloc(Float64, len(want))
		CPU.Binary(OpSub, dst, FromFloat64(a, aLen).storage, FromFloat64(b, bLen).storage, shape, aStrides, bStrides, 0)
		checkClose(t, fmt.Sprintf("Binary sub %v a %v b %v", shape, aStrides, bStrides), FromStorage(dst, len(want)).Float64s(), want, tolerance{})
	}
}
