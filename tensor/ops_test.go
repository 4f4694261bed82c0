package tensor

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestCreation(t *testing.T) {
	for _, dt := range dtypes {
		z := Zeros(dt, 2, 3)
		if !sameShape(z.Shape(), []int{2, 3}) || z.NDim() != 2 || z.Numel() != 6 || z.DType() != dt || z.Backend() != CPU {
			t.Errorf("Zeros(%s, 2, 3): shape %v ndim %d numel %d dtype %s", dt, z.Shape(), z.NDim(), z.Numel(), z.DType())
		}
		if z.Dim(0) != 2 || z.Dim(-1) != 3 || z.Dim(-2) != 2 {
			t.Errorf("Dim: %d %d %d", z.Dim(0), z.Dim(-1), z.Dim(-2))
		}
		checkClose(t, "Zeros", z.Float64s(), make([]float64, 6), tolerance{})
		checkClose(t, "Ones", Ones(dt, 3).Float64s(), []float64{1, 1, 1}, tolerance{})
		checkClose(t, "Full", Full(dt, -2.5, 2).Float64s(), []float64{-2.5, -2.5}, tolerance{})
		checkClose(t, "FullLike", FullLike(z, 4).Float64s(), []float64{4, 4, 4, 4, 4, 4}, tolerance{})
		if l := ZerosLike(Full(dt, 3, 4, 1)); !sameShape(l.Shape(), []int{4, 1}) || l.DType() != dt || l.Float64s()[0] != 0 {
			t.Errorf("ZerosLike: %v", l)
		}
		s := Scalar(dt, 7)
		if s.NDim() != 0 || s.Numel() != 1 || s.Item() != 7 {
			t.Errorf("Scalar: ndim %d numel %d item %v", s.NDim(), s.Numel(), s.Item())
		}
		if e := Zeros(dt, 3, 0); e.Numel() != 0 || len(e.Float64s()) != 0 {
			t.Errorf("empty tensor has %d elements", e.Numel())
		}
	}
	// FromFloat32 and FromFloat64 copy their input.
	src := []float32{1, 2, 3, 4}
	x := FromFloat32(src, 2, 2)
	src[0] = 99
	if x.Float32s()[0] != 1 {
		t.Error("FromFloat32 shares the caller's slice")
	}
	src64 := []float64{1, 2}
	y := FromFloat64(src64, 2)
	src64[0] = 99
	if y.Float64s()[0] != 1 {
		t.Error("FromFloat64 shares the caller's slice")
	}
	// Shape returns a copy.
	x.Shape()[0] = 5
	if x.Dim(0) != 2 {
		t.Error("Shape() exposes the tensor's shape")
	}
	// Float32s and Float64s convert.
	if got := FromFloat64([]float64{0.1}, 1).Float32s()[0]; got != float32(0.1) {
		t.Errorf("Float32s of float64 0.1 = %v", got)
	}
	if got := FromFloat32([]float32{0.1}, 1).Float64s()[0]; got != float64(float32(0.1)) {
		t.Errorf("Float64s of float32 0.1 = %v", got)
	}
	// CPUFloat32s is zero-copy.
	CPUFloat32s(x)[1] = 42
	if x.Float32s()[1] != 42 {
		t.Error("CPUFloat32s is not the tensor's storage")
	}
	CPUFloat64s(y)[1] = 43
	if y.Float64s()[1] != 43 {
		t.Error("CPUFloat64s is not the tensor's storage")
	}
}

func TestCreationPanics(t *testing.T) {
	expectPanic(t, func() { Zeros(Float32, 2, -1) }, "tensor.New", "[2 -1]")
	expectPanic(t, func() { FromFloat32([]float32{1, 2, 3}, 2, 2) }, "tensor.FromFloat32", "3 values", "[2 2]")
	expectPanic(t, func() { FromFloat64([]float64{1}, 2) }, "tensor.FromFloat64", "[2]")
	expectPanic(t, func() { Zeros(Float32, 2, 3).Item() }, "Tensor.Item", "[2 3]")
	expectPanic(t, func() { Zeros(Float32, 2, 3).Dim(2) }, "Tensor.Dim", "axis 2")
	expectPanic(t, func() { CPUFloat32s(Zeros(Float64, 2)) }, "float64")
	expectPanic(t, func() { FromStorage(CPU.Alloc(Float32, 5), 2, 2) }, "tensor.FromStorage", "[2 2]", "5")
	expectPanic(t, func() { New(CPU, DType(9), 2) }, "DType(9)")
}

func TestDType(t *testing.T) {
	for _, dt := range dtypes {
		back, err := ParseDType(dt.String())
		if err != nil || back != dt {
			t.Errorf("ParseDType(%q) = %v, %v", dt.String(), back, err)
		}
	}
	if Float32.Size() != 4 || Float64.Size() != 8 {
		t.Errorf("sizes %d %d", Float32.Size(), Float64.Size())
	}
	if _, err := ParseDType("int8"); err == nil || !strings.Contains(err.Error(), "int8") {
		t.Errorf("ParseDType(int8) error %v", err)
	}
	expectPanic(t, func() { DType(0).Size() }, "invalid dtype")
}

func TestArange(t *testing.T) {
	cases := []struct {
		start, stop, step float64
		want              []float64
	}{
		{0, 5, 1, []float64{0, 1, 2, 3, 4}},
		{0.5, 2, 0.5, []float64{0.5, 1, 1.5}},
		{3, 0, -1, []float64{3, 2, 1}},
		{2, 2, 1, []float64{}},
		{0, 1, 0.3, []float64{0, 0.3, 0.6, 0.8999999999999999}},
	}
	for _, c := range cases {
		for _, dt := range dtypes {
			got := Arange(dt, c.start, c.stop, c.step)
			if got.DType() != dt || !sameShape(got.Shape(), []int{len(c.want)}) {
				t.Errorf("Arange(%v, %v, %v): %s %v", c.start, c.stop, c.step, got.DType(), got.Shape())
				continue
			}
			checkClose(t, "Arange", got.Float64s(), roundTo(dt, c.want), tolerance{})
		}
	}
	expectPanic(t, func() { Arange(Float32, 0, 1, 0) }, "tensor.Arange", "step 0")
	expectPanic(t, func() { Arange(Float32, 0, 1, -1) }, "tensor.Arange", "step -1")
	// Before the check, NaN made int(NaN) elements and an unnamed panic in make.
	expectPanic(t, func() { Arange(Float32, 0, math.NaN(), 1) }, "tensor.Arange", "NaN")
	expectPanic(t, func() { Arange(Float32, 0, math.Inf(1), 1) }, "tensor.Arange", "+Inf")
}

func TestRNGReproducibleAndRestorable(t *testing.T) {
	a, b := NewRNG(42), NewRNG(42)
	ua, ub := Uniform(a, Float32, -1, 2, 100), Uniform(b, Float32, -1, 2, 100)
	checkClose(t, "same seed Uniform", ua.Float64s(), ub.Float64s(), tolerance{})
	na, nb := Normal(a, Float64, 3, 0.5, 10, 10), Normal(b, Float64, 3, 0.5, 10, 10)
	checkClose(t, "same seed Normal", na.Float64s(), nb.Float64s(), tolerance{})
	for _, v := range ua.Float64s() {
		if v < -1 || v >= 2 {
			t.Fatalf("Uniform(-1, 2) gave %v", v)
		}
	}
	if slices.Equal(Uniform(NewRNG(1), Float64, 0, 1, 8).Float64s(), Uniform(NewRNG(2), Float64, 0, 1, 8).Float64s()) {
		t.Error("seeds 1 and 2 give the same numbers")
	}
	// Save the state, draw, restore into a fresh generator, draw again: the same numbers.
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	first := Normal(a, Float64, 0, 1, 20).Float64s()
	restored := NewRNG(999)
	if err := restored.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	checkClose(t, "restored RNG", Normal(restored, Float64, 0, 1, 20).Float64s(), first, tolerance{})
	if again, _ := a.MarshalBinary(); bytes.Equal(again, state) {
		t.Error("drawing did not change the saved state")
	}
	if err := restored.UnmarshalBinary([]byte("garbage")); err == nil {
		t.Error("UnmarshalBinary accepted garbage")
	}
	// The sample moments of a large normal draw are close to the parameters (5 standard errors).
	const n = 100000
	x := Normal(NewRNG(7), Float64, 3, 2, n)
	mean, std := Mean(x, nil, false).Item(), math.Sqrt(Var(x, nil, false, 1).Item())
	if math.Abs(mean-3) > 5*2/math.Sqrt(n) || math.Abs(std-2) > 5*2/math.Sqrt(2*n) {
		t.Errorf("Normal(3, 2): sample mean %v, std %v", mean, std)
	}
}

func TestBroadcastShapes(t *testing.T) {
	ok := []struct{ a, b, want []int }{
		{[]int{2, 3}, []int{2, 3}, []int{2, 3}},
		{[]int{2, 3}, []int{3}, []int{2, 3}},
		{[]int{2, 1}, []int{1, 3}, []int{2, 3}},
		{[]int{}, []int{4, 5}, []int{4, 5}},
		{[]int{5, 1, 4}, []int{3, 1}, []int{5, 3, 4}},
		{[]int{0, 3}, []int{1, 3}, []int{0, 3}},
		{[]int{1}, []int{0}, []int{0}},
	}
	for _, c := range ok {
		if got := BroadcastShapes("op", c.a, c.b); !sameShape(got, c.want) {
			t.Errorf("BroadcastShapes(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := BroadcastShapes("op", c.b, c.a); !sameShape(got, c.want) {
			t.Errorf("BroadcastShapes(%v, %v) = %v, want %v", c.b, c.a, got, c.want)
		}
	}
	expectPanic(t, func() { BroadcastShapes("tensor.Add", []int{2, 3}, []int{4}) }, "tensor.Add", "[2 3]", "[4]")
	expectPanic(t, func() { BroadcastShapes("tensor.Mul", []int{2, 3}, []int{3, 2}) }, "tensor.Mul", "[2 3]", "[3 2]")
	expectPanic(t, func() { BroadcastShapes("x", []int{2}, []int{0}) }, "[2]", "[0]")
}

func TestElementwiseErrorsNameOpAndShapes(t *testing.T) {
	a, b := Zeros(Float32, 2, 3), Zeros(Float32, 4)
	for name, f := range map[string]func(a, b *Tensor) *Tensor{
		"tensor.Add": Add, "tensor.Sub": Sub, "tensor.Mul": Mul, "tensor.Div": Div, "tensor.Maximum": Maximum,
		"tensor.Minimum": Minimum, "tensor.Greater": Greater, "tensor.Equal": Equal,
	} {
		expectPanic(t, func() { f(a, b) }, name, "[2 3]", "[4]")
		expectPanic(t, func() { f(a, Zeros(Float64, 2, 3)) }, name, "float32", "float64", "[2 3]")
	}
	expectPanic(t, func() { LeakyReluBackward(a, Zeros(Float32, 3), 0.1) }, "tensor.LeakyReluBackward", "[2 3]", "[3]")
	expectPanic(t, func() { AddInPlace(Zeros(Float32, 3), a) }, "tensor.AddInPlace", "[2 3]", "[3]")
	expectPanic(t, func() { AddInPlace(a, Zeros(Float64, 3)) }, "tensor.AddInPlace", "float64")
	other := onOtherDevice(Zeros(Float32, 2, 3))
	expectPanic(t, func() { Add(a, other) }, "tensor.Add", "two devices", "other", "[2 3]")
}

// otherBackend is the CPU under another name, to test the device checks.
type otherBackend struct{ Backend }

func (otherBackend) Name() string { return "other" }

type otherStorage struct{ Storage }

func (otherStorage) Backend() Backend { return otherBackend{CPU} }

func onOtherDevice(t *Tensor) *Tensor { return FromStorage(otherStorage{t.storage}, t.shape...) }

func TestBroadcastingValues(t *testing.T) {
	col := FromFloat64([]float64{1, 2}, 2, 1)
	row := FromFloat64([]float64{10, 20, 30}, 3)
	checkClose(t, "col+row", Add(col, row).Float64s(), []float64{11, 21, 31, 12, 22, 32}, tolerance{})
	checkClose(t, "row-col", Sub(row, col).Float64s(), []float64{9, 19, 29, 8, 18, 28}, tolerance{})
	s := Scalar(Float64, 2)
	checkClose(t, "row/scalar", Div(row, s).Float64s(), []float64{5, 10, 15}, tolerance{})
	// AddInPlace accumulates a broadcast source into the destination's own storage.
	acc := Zeros(Float64, 2, 3)
	AddInPlace(acc, row)
	AddInPlace(acc, col)
	checkClose(t, "AddInPlace", acc.Float64s(), []float64{11, 21, 31, 12, 22, 32}, tolerance{})
}

func TestReductionShapesAndErrors(t *testing.T) {
	x := Arange(Float64, 0, 24, 1)
	x = Reshape(x, 2, 3, 4)
	shapes := []struct {
		axes    []int
		keepdim bool
		want    []int
	}{
		{nil, false, []int{}},
		{nil, true, []int{1, 1, 1}},
		{[]int{0}, false, []int{3, 4}},
		{[]int{-1}, true, []int{2, 3, 1}},
		{[]int{2, 0}, false, []int{3}},
		{[]int{0, 1, 2}, true, []int{1, 1, 1}},
	}
	for _, c := range shapes {
		for name, f := range map[string]func(*Tensor, []int, bool) *Tensor{"Sum": Sum, "Mean": Mean, "Max": Max, "Min": Min} {
			if got := f(x, c.axes, c.keepdim).Shape(); !sameShape(got, c.want) {
				t.Errorf("%s(%v, keepdim %v) shape %v, want %v", name, c.axes, c.keepdim, got, c.want)
			}
		}
	}
	if got := Sum(x, []int{1, 2}, false).Float64s(); !slices.Equal(got, []float64{66, 210}) {
		t.Errorf("Sum over [1 2] = %v", got)
	}
	if got := Max(x, []int{0, 2}, false).Float64s(); !slices.Equal(got, []float64{15, 19, 23}) {
		t.Errorf("Max over [0 2] = %v", got)
	}
	expectPanic(t, func() { Sum(x, []int{3}, false) }, "tensor.Sum", "axis 3")
	expectPanic(t, func() { Mean(x, []int{-4}, false) }, "axis -4")
	expectPanic(t, func() { Sum(x, []int{1, -2}, false) }, "tensor.Sum", "repeated axis")
	expectPanic(t, func() { Max(Zeros(Float32, 2, 0), []int{1}, false) }, "tensor.Max", "empty", "[2 0]")
	expectPanic(t, func() { Min(Zeros(Float32, 0), nil, false) }, "tensor.Min", "empty")
	// A sum over nothing is zero.
	if got := Sum(Zeros(Float32, 2, 0), []int{1}, false).Float64s(); !slices.Equal(got, []float64{0, 0}) {
		t.Errorf("empty sum = %v", got)
	}
}

func TestReductionOfScalarIsANewTensor(t *testing.T) {
	// Before the fix, Sum of a 0-d tensor returned the tensor itself, so that filling the "sum"
	// (as gradient accumulation does in place) changed the input.
	for name, f := range map[string]func(*Tensor, []int, bool) *Tensor{"Sum": Sum, "Max": Max, "Min": Min} {
		x := Scalar(Float64, 3)
		s := f(x, nil, false)
		s.Fill(5)
		if x.Item() != 3 {
			t.Errorf("%s of a scalar shares its storage", name)
		}
	}
}

func TestVarEdgeCases(t *testing.T) {
	// Like torch.var: one element and correction 1 is NaN, as is an empty reduction.
	if v := Var(FromFloat64([]float64{2}, 1), nil, false, 1).Item(); !math.IsNaN(v) {
		t.Errorf("unbiased variance of one element = %v, want NaN", v)
	}
	if v := Var(Zeros(Float64, 0), nil, false, 1).Item(); !math.IsNaN(v) {
		t.Errorf("variance of nothing = %v, want NaN", v)
	}
	if v := Var(FromFloat64([]float64{1, 2, 3, 4}, 4), nil, false, 0).Item(); v != 1.25 {
		t.Errorf("biased variance of 1..4 = %v, want 1.25", v)
	}
}

func TestSumTo(t *testing.T) {
	x := Reshape(Arange(Float64, 0, 24, 1), 2, 3, 4)
	cases := []struct {
		shape []int
		want  []float64
	}{
		{[]int{2, 3, 4}, x.Float64s()},
		{[]int{4}, []float64{60, 66, 72, 78}},
		{[]int{3, 1}, []float64{60, 92, 124}},
		{[]int{1, 3, 1}, []float64{60, 92, 124}},
		{[]int{2, 1, 1}, []float64{66, 210}},
		{[]int{}, []float64{276}},
		{[]int{1}, []float64{276}},
	}
	for _, c := range cases {
		got := SumTo(x, c.shape)
		if !sameShape(got.Shape(), c.shape) {
			t.Errorf("SumTo(%v) shape %v", c.shape, got.Shape())
		}
		checkClose(t, "SumTo", got.Float64s(), c.want, tolerance{})
	}
	expectPanic(t, func() { SumTo(x, []int{3}) }, "tensor.SumTo", "[2 3 4]", "[3]")
	expectPanic(t, func() { SumTo(x, []int{5, 2, 3, 4}) }, "tensor.SumTo", "[2 3 4]", "[5 2 3 4]")
}

func TestReshape(t *testing.T) {
	x := Arange(Float32, 0, 24, 1)
	for _, c := range []struct{ in, want []int }{
		{[]int{2, 3, 4}, []int{2, 3, 4}}, {[]int{-1, 4}, []int{6, 4}}, {[]int{2, -1, 3}, []int{2, 4, 3}},
		{[]int{-1}, []int{24}}, {[]int{1, 24, 1}, []int{1, 24, 1}},
	} {
		r := Reshape(x, c.in...)
		if !sameShape(r.Shape(), c.want) {
			t.Errorf("Reshape(%v) = %v, want %v", c.in, r.Shape(), c.want)
		}
	}
	// Reshape shares storage, like a PyTorch view of a contiguous tensor.
	r := Reshape(x, 4, 6)
	CPUFloat32s(r)[0] = 100
	if x.Float32s()[0] != 100 {
		t.Error("Reshape copied")
	}
	if got := Reshape(Zeros(Float32, 0, 3), 3, 0).Shape(); !sameShape(got, []int{3, 0}) {
		t.Errorf("Reshape of empty: %v", got)
	}
	if got := Reshape(Scalar(Float32, 1), 1, 1).Shape(); !sameShape(got, []int{1, 1}) {
		t.Errorf("Reshape of scalar: %v", got)
	}
	expectPanic(t, func() { Reshape(x, 5, -1) }, "tensor.Reshape", "[5 -1]", "[24]")
	expectPanic(t, func() { Reshape(x, 5, 5) }, "tensor.Reshape", "[5 5]", "[24]")
	expectPanic(t, func() { Reshape(x, -1, -1) }, "tensor.Reshape", "[-1 -1]")
	expectPanic(t, func() { Reshape(x, 2, -3) }, "tensor.Reshape", "[2 -3]")
	expectPanic(t, func() { Reshape(Zeros(Float32, 0, 3), 0, -1) }, "tensor.Reshape", "[0 -1]")
}

func TestPermuteTransposeNarrowErrors(t *testing.T) {
	x := Zeros(Float32, 2, 3, 4)
	if got := Permute(x, 2, 0, 1).Shape(); !sameShape(got, []int{4, 2, 3}) {
		t.Errorf("Permute shape %v", got)
	}
	if got := Permute(x, -1, 0, 1).Shape(); !sameShape(got, []int{4, 2, 3}) {
		t.Errorf("Permute with -1 shape %v", got)
	}
	if got := Transpose(x, 0, -1).Shape(); !sameShape(got, []int{4, 3, 2}) {
		t.Errorf("Transpose shape %v", got)
	}
	expectPanic(t, func() { Permute(x, 0, 1) }, "tensor.Permute", "[0 1]", "[2 3 4]")
	expectPanic(t, func() { Permute(x, 0, 1, 1) }, "tensor.Permute", "[0 1 1]")
	expectPanic(t, func() { Permute(x, 0, 1, 3) }, "tensor.Permute", "axis 3")
	expectPanic(t, func() { Transpose(x, 0, 3) }, "tensor.Transpose", "axis 3")
	expectPanic(t, func() { Narrow(x, 1, 2, 2) }, "tensor.Narrow", "[2, 4)", "[2 3 4]")
	expectPanic(t, func() { Narrow(x, 1, -1, 1) }, "tensor.Narrow", "[2 3 4]")
	expectPanic(t, func() { Narrow(x, 3, 0, 1) }, "tensor.Narrow", "axis 3")
}

func TestConcatPadExpandErrors(t *testing.T) {
	a, b := Zeros(Float32, 2, 3), Zeros(Float32, 2, 4)
	if got := Concat([]*Tensor{a, b}, 1).Shape(); !sameShape(got, []int{2, 7}) {
		t.Errorf("Concat shape %v", got)
	}
	if got := Concat([]*Tensor{a}, 0); !slices.Equal(got.Float64s(), a.Float64s()) || got == a {
		t.Error("Concat of one tensor is not a copy of it")
	}
	expectPanic(t, func() { Concat([]*Tensor{a, b}, 0) }, "tensor.Concat", "[2 3]", "[2 4]")
	expectPanic(t, func() { Concat([]*Tensor{a, Zeros(Float32, 2, 3, 1)}, 0) }, "tensor.Concat", "[2 3]", "[2 3 1]")
	expectPanic(t, func() { Concat([]*Tensor{a, Zeros(Float64, 2, 3)}, 0) }, "tensor.Concat", "float32", "float64")
	expectPanic(t, func() { Concat(nil, 0) }, "tensor.Concat", "no tensors")
	expectPanic(t, func() { Concat([]*Tensor{a}, 2) }, "tensor.Concat", "axis 2")

	if got := Pad(a, []int{1, 2}, 0).Shape(); !sameShape(got, []int{2, 6}) {
		t.Errorf("Pad shape %v", got)
	}
	expectPanic(t, func() { Pad(a, []int{1}, 0) }, "tensor.Pad", "[1]", "[2 3]")
	expectPanic(t, func() { Pad(a, []int{1, 1, 1, 1, 1, 1}, 0) }, "tensor.Pad", "[2 3]")
	expectPanic(t, func() { Pad(a, []int{1, -1}, 0) }, "tensor.Pad", "negative", "[1 -1]")

	if got := Expand(Zeros(Float32, 3, 1), 2, 3, 5).Shape(); !sameShape(got, []int{2, 3, 5}) {
		t.Errorf("Expand shape %v", got)
	}
	expectPanic(t, func() { Expand(a, 2, 4) }, "tensor.Expand", "[2 3]", "[2 4]")
	expectPanic(t, func() { Expand(a, 3) }, "tensor.Expand", "[2 3]", "[3]")
}

func TestMatmulShapesAndErrors(t *testing.T) {
	a, b := Zeros(Float32, 5, 2, 3), Zeros(Float32, 5, 3, 4)
	for _, c := range []struct {
		a, b   *Tensor
		ta, tb bool
		want   []int
	}{
		{a, b, false, false, []int{5, 2, 4}},
		{a, Zeros(Float32, 3, 4), false, false, []int{5, 2, 4}},
		{Zeros(Float32, 2, 3), b, false, false, []int{5, 2, 4}},
		{Zeros(Float32, 3, 2), Zeros(Float32, 4, 3), true, true, []int{2, 4}},
		{Zeros(Float32, 2, 0), Zeros(Float32, 0, 4), false, false, []int{2, 4}},
	} {
		if got := MatmulT(c.a, c.b, c.ta, c.tb).Shape(); !sameShape(got, c.want) {
			t.Errorf("Matmul %v %v: %v, want %v", c.a.Shape(), c.b.Shape(), got, c.want)
		}
	}
	// An empty inner dimension gives zeros, not garbage.
	if got := Matmul(Zeros(Float32, 2, 0), Zeros(Float32, 0, 2)).Float64s(); !slices.Equal(got, []float64{0, 0, 0, 0}) {
		t.Errorf("Matmul with K = 0: %v", got)
	}
	expectPanic(t, func() { Matmul(a, a) }, "tensor.Matmul", "[5 2 3]")
	expectPanic(t, func() { Matmul(a, Zeros(Float32, 4, 3, 4)) }, "tensor.Matmul", "[5 2 3]", "[4 3 4]")
	expectPanic(t, func() { Matmul(Zeros(Float32, 3), b) }, "tensor.Matmul", "[3]", "at least 2")
	expectPanic(t, func() { Matmul(a, Zeros(Float64, 3, 4)) }, "tensor.Matmul", "float32", "float64")
}

func TestCastCloneFillCopyInto(t *testing.T) {
	x := FromFloat64([]float64{0.1, 1e40, -2}, 3)
	if Cast(x, Float64) != x {
		t.Error("Cast to the same dtype copies")
	}
	y := Cast(x, Float32)
	if y.DType() != Float32 || !slices.Equal(y.Float32s(), []float32{0.1, float32(math.Inf(1)), -2}) {
		t.Errorf("Cast to float32: %v", y.Float32s())
	}
	c := x.Clone()
	c.Fill(7)
	if x.Float64s()[0] != 0.1 || c.Float64s()[2] != 7 {
		t.Error("Clone shares storage or Fill did not fill")
	}
	dst := Zeros(Float64, 1, 3)
	CopyInto(dst, x)
	checkClose(t, "CopyInto", dst.Float64s(), x.Float64s(), tolerance{})
	expectPanic(t, func() { CopyInto(Zeros(Float64, 2), x) }, "tensor.CopyInto", "[2]", "[3]")
	expectPanic(t, func() { CopyInto(Zeros(Float32, 3), x) }, "tensor.CopyInto", "float32", "float64")
	if x.To(CPU) != x {
		t.Error("To(CPU) of a CPU tensor copies")
	}
}

func TestNNOpErrors(t *testing.T) {
	g := NewConvGeom(1, 3, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1)
	if g.OH != 4 || g.OW != 4 {
		t.Errorf("NewConvGeom: %dx%d, want 4x4", g.OH, g.OW)
	}
	if g := NewConvGeom(1, 1, 256, 256, 4, 4, 1, 1, 1, 1, 1, 1); g.OH != 255 {
		t.Errorf("4x4 stride 1 padding 1 on 256: %d, want 255", g.OH)
	}
	if g := NewConvGeom(1, 1, 9, 9, 3, 3, 1, 1, 0, 0, 2, 2); g.OH != 5 {
		t.Errorf("dilation 2: %d, want 5", g.OH)
	}
	expectPanic(t, func() { NewConvGeom(1, 1, 2, 2, 3, 3, 1, 1, 0, 0, 1, 1) }, "tensor.ConvGeom", "[2 2]")
	expectPanic(t, func() { NewConvGeom(1, 1, 8, 8, 3, 3, 0, 1, 0, 0, 1, 1) }, "tensor.ConvGeom")
	expectPanic(t, func() { Im2col(Zeros(Float32, 1, 3, 8, 9), g) }, "tensor.Im2col", "[1 3 8 9]", "[1 3 8 8]")
	expectPanic(t, func() { Col2im(Zeros(Float32, 1, 27, 15), g) }, "tensor.Col2im", "[1 27 15]", "[1 27 16]")

	x := Zeros(Float32, 1, 2, 3, 4)
	expectPanic(t, func() { ReflectPad2d(x, Pad2d{Top: 3}) }, "tensor.ReflectPad2d", "[1 2 3 4]")
	expectPanic(t, func() { ReflectPad2d(x, Pad2d{Left: -1}) }, "tensor.ReflectPad2d", "[1 2 3 4]")
	expectPanic(t, func() { ReflectPad2d(Zeros(Float32, 4), Pad2d{}) }, "tensor.ReflectPad2d", "[4]")
	expectPanic(t, func() { ReflectPad2dBackward(Zeros(Float32, 1, 2, 5, 5), []int{1, 2, 3, 4}, Pad2d{1, 1, 1, 1}) },
		"tensor.ReflectPad2dBackward", "[1 2 5 5]", "[1 2 5 6]")

	expectPanic(t, func() { InstanceNorm(Zeros(Float32, 3, 4), 1e-5) }, "tensor.InstanceNorm", "[3 4]")
	y, m, r := InstanceNorm(x, 1e-5)
	if !sameShape(y.Shape(), x.Shape()) || !sameShape(m.Shape(), []int{2}) || !sameShape(r.Shape(), []int{2}) {
		t.Errorf("InstanceNorm shapes %v %v %v", y.Shape(), m.Shape(), r.Shape())
	}
	expectPanic(t, func() { InstanceNormBackward(Zeros(Float32, 1, 2, 3, 5), x, m, r) }, "tensor.InstanceNormBackward", "[1 2 3 5]", "[1 2 3 4]")
	expectPanic(t, func() { InstanceNormBackward(Zeros(Float64, 1, 2, 3, 4), x, m, r) }, "tensor.InstanceNormBackward", "float64", "float32")
	expectPanic(t, func() { InstanceNormBackward(y, x, Zeros(Float32, 3), r) }, "tensor.InstanceNormBackward", "[3]")

	p := Zeros(Float32, 4)
	expectPanic(t, func() { AdamStep(p, Zeros(Float32, 5), Zeros(Float32, 4), Zeros(Float32, 4), AdamHyper{}) }, "tensor.AdamStep", "[4]", "[5]")
	expectPanic(t, func() { AdamStep(p, Zeros(Float64, 4), Zeros(Float32, 4), Zeros(Float32, 4), AdamHyper{}) }, "tensor.AdamStep", "float64")
}

func TestKernelErrorsNameTheKernel(t *testing.T) {
	expectPanic(t, func() { CPU.Unary(UnaryOp(99), CPU.Alloc(Float32, 1), CPU.Alloc(Float32, 1), 0) }, "cpu.Unary", "99")
	expectPanic(t, func() { CPU.Unary(OpNeg, CPU.Alloc(Float32, 2), CPU.Alloc(Float32, 1), 0) }, "cpu.Unary", "neg")
	expectPanic(t, func() { CPU.Reduce(ReduceOp(9), CPU.Alloc(Float32, 1), CPU.Alloc(Float32, 1), 1, 1, 1) }, "cpu.Reduce", "9")
	expectPanic(t, func() { CPU.Cast(CPU.Alloc(Float32, 2), CPU.Alloc(Float64, 3)) }, "cpu.Cast")
	expectPanic(t, func() { CPU.Upload(CPU.Alloc(Float32, 2), []float64{1, 2}) }, "float64")
	if UnaryOp(99).String() != "UnaryOp(99)" || BinaryOp(99).String() != "BinaryOp(99)" || ReduceOp(9).String() != "ReduceOp(9)" {
		t.Error("String of an unknown op")
	}
}
