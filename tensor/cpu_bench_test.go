package tensor

import "testing"

// Benchmarks of the CPU kernels at CycleGAN activation sizes (the 128×128 generator's 64-channel
// and 256-channel stages). SetBytes counts the bytes a kernel must read and write once, so the
// MB/s column compares with the machine's memory bandwidth. Run with
//
//	go test ./tensor -run '^$' -bench . -benchtime 20x
func benchInput(shape ...int) *Tensor { return Normal(NewRNG(1), Float32, 0, 1, shape...) }

func BenchmarkUnaryRelu(b *testing.B) {
	x := benchInput(1, 64, 128, 128)
	b.SetBytes(int64(2 * 4 * x.Numel()))
	for b.Loop() {
		Relu(x)
	}
}

func BenchmarkBinaryAddBias(b *testing.B) {
	x, bias := benchInput(1, 64, 128, 128), benchInput(64, 1, 1)
	b.SetBytes(int64(2 * 4 * x.Numel()))
	for b.Loop() {
		Add(x, bias)
	}
}

// BenchmarkSum reduces over each 64×64 plane (InstanceNorm's statistics done with ops), over
// everything (a loss), and over all but the channels (a bias gradient).
func BenchmarkSum(b *testing.B) {
	x := benchInput(4, 64, 64, 64)
	for _, c := range []struct {
		name string
		axes []int
	}{{"planes", []int{2, 3}}, {"all", nil}, {"channels", []int{0, 2, 3}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * x.Numel()))
			for b.Loop() {
				Sum(x, c.axes, false)
			}
		})
	}
}

// benchConvGeoms are the convolutions the im2col and col2im benchmarks run: a residual-style 3×3
// at 64×64, and the generator's first downsampling 3×3 at 128×128, whose rows are gathered and
// scattered at stride 2 (64 channels each).
var benchConvGeoms = map[string]ConvGeom{
	"3x3":        NewConvGeom(1, 64, 64, 64, 3, 3, 1, 1, 1, 1, 1, 1),
	"3x3Stride2": NewConvGeom(1, 64, 128, 128, 3, 3, 2, 2, 1, 1, 1, 1),
}

// The im2col and col2im benchmarks call the kernels on preallocated buffers: they measure the
// kernel, not the allocation of a 9 MB result.
func BenchmarkIm2col(b *testing.B) {
	for name, g := range benchConvGeoms {
		b.Run(name, func(b *testing.B) {
			x := benchInput(1, g.C, g.H, g.W)
			cols := New(CPU, Float32, 1, g.C*g.KH*g.KW, g.OH*g.OW)
			b.SetBytes(int64(4 * (x.Numel() + cols.Numel())))
			for b.Loop() {
				CPU.Im2col(cols.storage, x.storage, g)
			}
		})
	}
}

func BenchmarkCol2im(b *testing.B) {
	for name, g := range benchConvGeoms {
		b.Run(name, func(b *testing.B) {
			cols, x := benchInput(1, g.C*g.KH*g.KW, g.OH*g.OW), New(CPU, Float32, 1, g.C, g.H, g.W)
			b.SetBytes(int64(4 * (cols.Numel() + x.Numel())))
			for b.Loop() {
				CPU.Col2im(x.storage, cols.storage, g)
			}
		})
	}
}

func BenchmarkReflectPad(b *testing.B) {
	x := benchInput(1, 256, 32, 32)
	p := Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}
	b.Run("forward", func(b *testing.B) {
		b.SetBytes(int64(4 * (x.Numel() + 256*34*34)))
		for b.Loop() {
			ReflectPad2d(x, p)
		}
	})
	dy := benchInput(1, 256, 34, 34)
	b.Run("backward", func(b *testing.B) {
		b.SetBytes(int64(4 * (x.Numel() + dy.Numel())))
		for b.Loop() {
			ReflectPad2dBackward(dy, x.Shape(), p)
		}
	})
}

func BenchmarkInstanceNorm(b *testing.B) {
	x, dy := benchInput(1, 256, 32, 32), benchInput(1, 256, 32, 32)
	b.Run("forward", func(b *testing.B) {
		b.SetBytes(int64(2 * 4 * x.Numel()))
		for b.Loop() {
			InstanceNorm(x, 1e-5)
		}
	})
	_, mean, rstd := InstanceNorm(x, 1e-5)
	b.Run("backward", func(b *testing.B) {
		b.SetBytes(int64(3 * 4 * x.Numel()))
		for b.Loop() {
			InstanceNormBackward(dy, x, mean, rstd)
		}
	})
}

func BenchmarkAdamStep(b *testing.B) {
	const n = 1 << 20
	p, g, m, v := benchInput(n), benchInput(n), Zeros(Float32, n), Zeros(Float32, n)
	h := AdamHyper{LR: 2e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, BiasCorrection1: 0.5, BiasCorrection2: 0.001}
	b.SetBytes(int64(7 * 4 * n)) // read p, g, m, v; write p, m, v
	for b.Loop() {
		AdamStep(p, g, m, v, h)
	}
}

// BenchmarkReluBackward is ReLU's gradient (LeakyReluBackward with slope 0) on random signs, the
// case where a branch per element mispredicts half the time.
func BenchmarkReluBackward(b *testing.B) {
	g, x := benchInput(1, 64, 128, 128), benchInput(1, 64, 128, 128)
	b.SetBytes(int64(3 * 4 * x.Numel()))
	for b.Loop() {
		LeakyReluBackward(g, x, 0)
	}
}

func BenchmarkBinaryAdd(b *testing.B) {
	x, y := benchInput(1, 64, 128, 128), benchInput(1, 64, 128, 128)
	b.SetBytes(int64(3 * 4 * x.Numel()))
	for b.Loop() {
		Add(x, y)
	}
}
