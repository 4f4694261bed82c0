package tensor

import (
	"bytes"
	"fmt"
	"math"
	"testing"
)

// allFiniteNaive is the obviously correct twin of the CPU's AllFinite.
func allFiniteNaive(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// finiteSizes are ragged sizes around the kernel's edges: a float32 pair (2), a block of
// finiteBlock words (1024 float32s, 512 float64s), and the split into two goroutines
// (2*finiteGrain), including sizes whose second chunk starts at an odd index.
var finiteSizes = []int{0, 1, 2, 3, 5, 511, 512, 513, 1023, 1024, 1025, 2047,
	2*finiteGrain - 1, 2 * finiteGrain, 2*finiteGrain + 1, 3*finiteGrain + 3, 4*finiteGrain + 7}

// notFinite are the values AllFinite must find, with NaNs of other payloads and signs than
// math.NaN's: the bit test must look at the exponent only.
var notFinite = []struct {
	name string
	f64  float64
	f32  float32
}{
	{"NaN", math.NaN(), float32(math.NaN())},
	{"+Inf", math.Inf(1), float32(math.Inf(1))},
	{"-Inf", math.Inf(-1), float32(math.Inf(-1))},
	{"-NaN", math.Float64frombits(0xffffffffffffffff), math.Float32frombits(0xffffffff)},
	{"sNaN", math.Float64frombits(0x7ff0000000000001), math.Float32frombits(0x7f800001)},
}

// finiteEdges are finite values whose bits lie next to the non-finite ones, or are otherwise odd.
func finiteEdges(dt DType) []float64 {
	if dt == Float32 {
		return []float64{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
			-math.SmallestNonzeroFloat32, math.Copysign(0, -1), 0}
	}
	return []float64{math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, math.Copysign(0, -1), 0}
}

// finiteInput is n finite values of dt, the edge values among normal ones.
func finiteInput(dt DType, n int) *Tensor {
	x := Normal(NewRNG(uint64(n)), Float64, 0, 1e3, n)
	v := x.Float64s()
	for i, e := range finiteEdges(dt) {
		if j := 7 * i; j < n {
			v[j] = e
		}
	}
	return Cast(FromFloat64(v, n), dt)
}

// withValue returns a copy of x with element i set to v (f32 for float32 tensors, so that a
// NaN's payload is kept as written).
func withValue(x *Tensor, i int, f64 float64, f32 float32) *Tensor {
	if x.DType() == Float32 {
		v := x.Float32s()
		v[i] = f32
		return FromFloat32(v, len(v))
	}
	v := x.Float64s()
	v[i] = f64
	return FromFloat64(v, len(v))
}

// TestAllFiniteAgainstComposed compares the CPU's FiniteChecker with the composed path
// (Σ x·0, what every other backend runs) and the naive loop, on ragged sizes, with each kind
// of non-finite value at the first, a middle and the last position.
func TestAllFiniteAgainstComposed(t *testing.T) {
	for _, dt := range []DType{Float32, Float64} {
		for _, n := range finiteSizes {
			x := finiteInput(dt, n)
			check := func(what string, x *Tensor, want bool) {
				t.Helper()
				composed := !math.IsNaN(sumTimesZero(x).Item())
				naive := allFiniteNaive(x.Float64s())
				if got := CPU.(FiniteChecker).AllFinite(x.Storage()); got != want || composed != want || naive != want {
					t.Errorf("%s[%d] %s: CPU AllFinite %v, composed %v, naive %v; want %v", dt, n, what, got, composed, naive, want)
				}
				if got := AllFinite(x); got != want {
					t.Errorf("%s[%d] %s: tensor.AllFinite %v, want %v", dt, n, what, got, want)
				}
			}
			check("finite", x, true)
			if n == 0 {
				continue
			}
			for _, at := range []int{0, n / 2, n - 1} {
				for _, nf := range notFinite {
					check(fmt.Sprintf("%s at %d", nf.name, at), withValue(x, at, nf.f64, nf.f32), false)
				}
			}
		}
	}
}

// TestAllFiniteKernelAlignment runs the float32 kernel on slices starting at every offset modulo
// 8 bytes and ending at every length modulo 2, with a NaN at each position: the first element of
// a misaligned slice and the last of an odd one are tested apart from the pairs.
func TestAllFiniteKernelAlignment(t *testing.T) {
	base := make([]float32, 2100)
	for i := range base {
		base[i] = float32(i) - 1000
	}
	for off := range 4 {
		for _, n := range []int{0, 1, 2, 3, 4, 1024, 1025, 1026, 2049} {
			xs := base[off : off+n]
			if !allFinite32(xs) {
				t.Errorf("allFinite32(base[%d:%d]) of finite values = false", off, off+n)
			}
			for i := range xs {
				xs[i] = float32(math.NaN())
				if allFinite32(xs) {
					t.Errorf("allFinite32(base[%d:%d]) with a NaN at %d = true", off, off+n, i)
				}
				xs[i] = float32(i+off) - 1000
			}
		}
	}
}

// TestAllFiniteOfManyTensors: AllFinite over several tensors is false when one of them is not
// finite, whichever it is, and true for none.
func TestAllFiniteOfManyTensors(t *testing.T) {
	if !AllFinite() {
		t.Error("AllFinite() = false, want true")
	}
	a, b, c := finiteInput(Float32, 7), finiteInput(Float64, 1), Zeros(Float32, 0, 3)
	if !AllFinite(a, b, c, Scalar(Float32, 2)) {
		t.Error("AllFinite of finite tensors = false")
	}
	bad := withValue(b, 0, math.Inf(1), 0)
	for i, ts := range [][]*Tensor{{bad, a, c}, {a, bad, c}, {a, c, bad}} {
		if AllFinite(ts...) {
			t.Errorf("AllFinite with an infinity in tensor %d = true", i)
		}
	}
}

// finiteBenchLen is about the size of the official CycleGAN generator (11.4M parameters): the
// trainer checks every weight and both Adam moments of four networks, 84M float32s, per step.
const finiteBenchLen = 11 << 20

// BenchmarkAllFinite compares the composed check (Σ x·0, what the trainer ran before, with its
// temporary) with the CPU's FiniteChecker, and with readPeak: bytes.IndexByte (AVX2 assembly)
// over as many bytes, split the same way, as the machine's read bandwidth. 11M float32s (46 MB)
// partly fit the 32 MB L3 of the EPYC this was written on; 64M (268 MB, about what the trainer
// checks per step) come from DRAM. The sizes from 65536 to 262144 are for finiteGrain (compare
// -cpu 1, which never splits, with -cpu 2).
//
//	go test ./tensor -run '^$' -bench AllFinite -cpu 1,2
func BenchmarkAllFinite(b *testing.B) {
	x := finiteInput(Float32, finiteBenchLen)
	b.Run("composed/11M", func(b *testing.B) {
		b.SetBytes(int64(4 * x.Numel()))
		for b.Loop() {
			if math.IsNaN(Sum(Scale(x, 0), nil, false).Item()) {
				b.Fatal("not finite")
			}
		}
	})
	sizeName := map[int]string{finiteBenchLen: "11M", 64 << 20: "64M"}
	for _, n := range []int{1 << 16, 1 << 17, 1 << 18, finiteBenchLen, 64 << 20} {
		name, ok := sizeName[n]
		if !ok {
			name = fmt.Sprint(n)
		}
		y := x
		if n != finiteBenchLen {
			y = finiteInput(Float32, n)
		}
		b.Run("cpu/"+name, func(b *testing.B) {
			b.SetBytes(int64(4 * n))
			b.ReportAllocs()
			for b.Loop() {
				if !AllFinite(y) {
					b.Fatal("not finite")
				}
			}
		})
	}
	for _, n := range []int{finiteBenchLen, 64 << 20} {
		buf := bytes.Repeat([]byte{2}, 4*n) // written, so that it is not the kernel's zero page
		b.Run("readPeak/"+sizeName[n], func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				parallelFor(len(buf), 4*finiteGrain, func(lo, hi int) {
					if bytes.IndexByte(buf[lo:hi], 1) >= 0 {
						panic("found")
					}
				})
			}
		})
	}
}
