package tensor

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// TestTuneConvCrossover measures where Winograd pays, pass by pass, against the direct
// implicit-GEMM path: 3×3 stride-1 convolutions of C = Cout channels at output sizes 16, 32
// and 64 (pad 0 on an input 2 larger, as after CycleGAN's explicit reflection pads), batch 1.
// All three run through Conv2d, Conv2dInput and Conv2dWeight under SetConvAlgorithm: ConvDirect,
// ConvWinograd (F2) and ConvWinograd4 (F4). They run interleaved, best of 5 rounds of enough repetitions to last a few ms each, so
// that a shared machine's noise hits them alike. It prints one line per shape and pass, with
// autoTile's choice, and skips unless ZEBRA_TUNE=1 (go test ./tensor -run TuneConvCrossover -v).
func TestTuneConvCrossover(t *testing.T) {
	if testing.Short() || os.Getenv("ZEBRA_TUNE") != "1" {
		t.Skip("tuning experiment: set ZEBRA_TUNE=1")
	}
	saved := SetConvAlgorithm(ConvAuto)
	defer SetConvAlgorithm(saved)
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(shape ...int) *Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return FromFloat32(v, shape...)
	}
	passes := []string{"Conv", "ConvInput", "ConvWeight"}
	for _, c := range []int{32, 64, 128, 256} {
		for _, out := range []int{16, 32, 64} {
			g := NewConvGeom(1, c, out+2, out+2, 3, 3, 1, 1, 0, 0, 1, 1)
			x, w, dy := randn(1, c, out+2, out+2), randn(c, c, 3, 3), randn(1, c, out, out)
			flops := 2 * float64(c) * float64(c) * 9 * float64(out*out)
			for p, name := range passes {
				tensorPass := func(algo ConvAlgorithm) func() {
					return func() {
						SetConvAlgorithm(algo)
						var r *Tensor
						switch p {
						case 0:
							r = Conv2d(x, w, nil, g)
						case 1:
							r = Conv2dInput(dy, w, g)
						default:
							r = Conv2dWeight(dy, x, g)
						}
						Release(r)
					}
				}
				fs := []func(){tensorPass(ConvDirect), tensorPass(ConvWinograd), tensorPass(ConvWinograd4)}
				best := interleaveConv(fs)
				pick := "direct"
				if tile := autoTile(g, c, convPass(p)); tile != 0 {
					pick = fmt.Sprintf("F%d", tile)
				}
				t.Logf("C=%3d %2dx%-2d %-10s direct %7.3f ms (%5.1f GFLOP/s)  F2 %7.3f ms (%.2fx)  F4 %7.3f ms (%.2fx)  auto %s",
					c, out, out, name, best[0]*1e3, flops/best[0]/1e9,
					best[1]*1e3, best[0]/best[1], best[2]*1e3, best[0]/best[2], pick)
			}
		}
	}
}

// interleaveConv runs fs round-robin, 5 rounds after a warm-up, each call repeated so that it
// lasts about 5 ms, and returns each one's best time per call in seconds.
func interleaveConv(fs []func()) []float64 {
	reps := make([]int, len(fs))
	for i, f := range fs {
		start := time.Now()
		f()
		reps[i] = max(1, int(5*time.Millisecond/max(time.Since(start), time.Microsecond)))
	}
	best := make([]float64, len(fs))
	for r := 0; r < 5; r++ {
		for i, f := range fs {
			start := time.Now()
			for range reps[i] {
				f()
			}
			s := time.Since(start).Seconds() / float64(reps[i])
			if best[i] == 0 || s < best[i] {
				best[i] = s
			}
		}
	}
	return best
}

// TestTuneReflectInput measures reflectInputTile's choice: the input gradient of a 3×3
// convolution behind a one-pixel reflection pad (a CycleGAN residual block's) for C = Cout
// channels at 16x16, 32x32 and 64x64, through ReflectPad2dConv2dInput (winograd.ConvInputReflect
// under F2 and F4) against its definition, Conv2dInput of the padded image then the pad's
// adjoint, under direct, F2 and F4, interleaved as in TestTuneConvCrossover. It skips unless
// ZEBRA_TUNE=1 (go test ./tensor -run TuneReflectInput -v).
func TestTuneReflectInput(t *testing.T) {
	if testing.Short() || os.Getenv("ZEBRA_TUNE") != "1" {
		t.Skip("tuning experiment: set ZEBRA_TUNE=1")
	}
	saved := SetConvAlgorithm(ConvAuto)
	defer SetConvAlgorithm(saved)
	rng := NewRNG(3)
	one := Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}
	for _, c := range []int{64, 128, 256} {
		for _, out := range []int{16, 32, 64} {
			g := NewConvGeom(1, c, out+2, out+2, 3, 3, 1, 1, 0, 0, 1, 1)
			w, dy := Normal(rng, Float32, 0, 1, c, c, 3, 3), Normal(rng, Float32, 0, 1, 1, c, out, out)
			run := func(algo ConvAlgorithm, oneCall bool) func() {
				return func() {
					SetConvAlgorithm(algo)
					if oneCall {
						Release(ReflectPad2dConv2dInput(dy, w, g, one))
						return
					}
					padded := Conv2dInput(dy, w, g)
					Release(ReflectPad2dBackward(padded, []int{1, c, out, out}, one))
					Release(padded)
				}
			}
			best := interleaveConv([]func(){run(ConvDirect, false), run(ConvWinograd, false), run(ConvWinograd4, false),
				run(ConvWinograd, true), run(ConvWinograd4, true)})
			SetConvAlgorithm(ConvAuto)
			pick := "direct"
			if tile := reflectInputTile(NewConvGeom(1, c, out, out, 3, 3, 1, 1, 1, 1, 1, 1), c); tile != 0 {
				pick = fmt.Sprintf("F%d", tile)
			}
			t.Logf("C=%3d %2dx%-2d  padded: direct %7.3f  F2 %7.3f  F4 %7.3f ms   one call: F2 %7.3f  F4 %7.3f ms   auto %s",
				c, out, out, best[0]*1e3, best[1]*1e3, best[2]*1e3, best[3]*1e3, best[4]*1e3, pick)
		}
	}
}

// TestTuneShiftCrossover measures shiftApplies's choice: the three passes of stride-1
// convolutions with few channels on one side (narrow) and more on the other (wide), both ways
// round, through Conv2d, Conv2dInput and Conv2dWeight under ConvDirect (the implicit GEMM, or
// its swapped form where prefersSwapped picks it) against internal/shiftconv (shiftForward,
// shiftInput, shiftWeight, into a fresh result as Conv2d's), interleaved as in
// TestTuneConvCrossover. The image is padded by (K−1)/2, as after CycleGAN's reflection pads
// or as PatchGAN's last layer (4×4, padding 1). It skips unless ZEBRA_TUNE=1 (go test ./tensor
// -run TuneShiftCrossover -v).
func TestTuneShiftCrossover(t *testing.T) {
	if testing.Short() || os.Getenv("ZEBRA_TUNE") != "1" {
		t.Skip("tuning experiment: set ZEBRA_TUNE=1")
	}
	saved := SetConvAlgorithm(ConvAuto)
	defer SetConvAlgorithm(saved)
	rng := NewRNG(4)
	type shape struct{ narrow, wide, k, size int }
	var shapes []shape
	for _, size := range []int{64, 256} {
		for _, k := range []int{3, 4, 7} {
			for _, wide := range []int{16, 32, 64} {
				for _, narrow := range []int{1, 3, 4, 8} {
					shapes = append(shapes, shape{narrow, wide, k, size})
				}
			}
		}
	}
	for _, s := range shapes {
		for _, narrowIn := range []bool{true, false} {
			c, cout := s.wide, s.narrow
			if narrowIn {
				c, cout = s.narrow, s.wide
			}
			pad := (s.k - 1) / 2
			g := NewConvGeom(1, c, s.size, s.size, s.k, s.k, 1, 1, pad, pad, 1, 1)
			x := Normal(rng, Float32, 0, 1, 1, c, s.size, s.size)
			w := Normal(rng, Float32, 0, 1, cout, c, s.k, s.k)
			dy := Normal(rng, Float32, 0, 1, 1, cout, g.OH, g.OW)
			flops := 2 * float64(c*cout*s.k*s.k*g.OH*g.OW)
			for p, name := range []string{"Conv", "ConvInput", "ConvWeight"} {
				direct := func() {
					SetConvAlgorithm(ConvDirect)
					switch p {
					case 0:
						Release(Conv2d(x, w, nil, g))
					case 1:
						Release(Conv2dInput(dy, w, g))
					default:
						Release(Conv2dWeight(dy, x, g))
					}
				}
				shift := func() {
					SetConvAlgorithm(ConvAuto)
					var r *Tensor
					switch p {
					case 0:
						r = Empty(CPU, Float32, 1, cout, g.OH, g.OW)
						shiftForward(r.storage, x.storage, w.storage, nil, g, cout)
					case 1:
						r = Empty(CPU, Float32, 1, c, s.size, s.size)
						shiftInput(r.storage, dy.storage, w.storage, g, cout)
					default:
						r = Empty(CPU, Float32, cout, c, s.k, s.k)
						shiftWeight(r.storage, dy.storage, x.storage, g, cout)
					}
					Release(r)
				}
				best := interleaveConv([]func(){direct, shift})
				SetConvAlgorithm(ConvAuto)
				pick := "direct"
				if shiftApplies(g, cout, Float32) {
					pick = "shift"
				}
				t.Logf("%3d->%-3d %dx%d %3dx%-3d %-10s direct %8.3f ms (%5.1f GFLOP/s)  shift %8.3f ms (%5.1f GFLOP/s) %5.2fx  auto %s",
					c, cout, s.k, s.k, s.size, s.size, name, best[0]*1e3, flops/best[0]/1e9, best[1]*1e3, flops/best[1]/1e9, best[0]/best[1], pick)
			}
		}
	}
}
