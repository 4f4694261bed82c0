package backendtest

import (
	"fmt"
	"math"

	"github.com/zebra-go/zebra/tensor"
)

// convGeoms are the CycleGAN convolutions at small sizes: every combination of kernel 3, 4 and 7,
// stride 1 and 2, padding 0 and 1, and dilation 1 and 2 on a 9×10 image (7×7 stride 1 after a
// reflection pad, 3×3 stride 2 padding 1 for downsampling and the transposed convolutions'
// col2im, 3×3 stride 1 in the residual blocks, 4×4 stride 2 and 1 in the discriminator), plus an
// asymmetric kernel, a 1×1 kernel, an empty batch and one large enough to split across goroutines.
func convGeoms() []tensor.ConvGeom {
	var gs []tensor.ConvGeom
	for _, k := range []int{3, 4, 7} {
		for _, s := range []int{1, 2} {
			for _, p := range []int{0, 1} {
				for _, d := range []int{1, 2} {
					if 9+2*p < d*(k-1)+1 {
						continue // the kernel does not fit
					}
					gs = append(gs, tensor.NewConvGeom(2, 3, 9, 10, k, k, s, s, p, p, d, d))
				}
			}
		}
	}
	return append(gs,
		tensor.NewConvGeom(1, 3, 9, 8, 3, 4, 1, 2, 0, 1, 2, 1),
		tensor.NewConvGeom(2, 5, 4, 3, 1, 1, 1, 1, 0, 0, 1, 1),
		tensor.NewConvGeom(0, 3, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1),
		tensor.NewConvGeom(1, 8, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1),
	)
}

// manyPlanes has more planes (N·C) than a CUDA grid's dimension holds, for the column kernels.
var manyPlanes = tensor.NewConvGeom(2, 32769, 1, 2, 1, 1, 1, 1, 0, 0, 1, 1)

func geomString(g tensor.ConvGeom) string {
	return fmt.Sprintf("N%d C%d %dx%d k%dx%d s%d,%d p%d,%d d%d,%d -> %dx%d",
		g.N, g.C, g.H, g.W, g.KH, g.KW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.DilH, g.DilW, g.OH, g.OW)
}

func colsLen(g tensor.ConvGeom) int  { return g.N * g.C * g.KH * g.KW * g.OH * g.OW }
func imageLen(g tensor.ConvGeom) int { return g.N * g.C * g.H * g.W }

func testIm2col(h *harness) {
	for _, g := range append(convGeoms(), manyPlanes) {
		x := h.pair(h.normal(imageLen(g), 0, 1))
		cols := h.pair(h.normal(colsLen(g), 0, 1)) // garbage, padding taps included, must be overwritten
		tensor.CPU.Im2col(cols.ref, x.ref, g)
		h.b.Im2col(cols.got, x.got, g)
		h.check("Im2col "+geomString(g), cols, exact, nil)
		h.intact("Im2col "+geomString(g), x)
	}
}

// testGemmIm2col checks the optional Im2colGemmer against Im2col followed by Gemm on the
// reference backend, for every convolution geometry and two larger ones, the forward product (W·cols) and the
// weight gradient's (dY·colsᵀ), with a batch offset into the images, alpha, beta and a NaN C
// under beta = 0. The CPU backend must match bit for bit: its columns are the same numbers,
// packed by the same code.
func testGemmIm2col(h *harness) {
	ig, ok := h.b.(tensor.Im2colGemmer)
	if !ok {
		h.t.Skipf("%s does not implement tensor.Im2colGemmer (convolutions use Im2col and Gemm)", h.b.Name())
	}
	tl := h.pick(tol{rtol: 1e-5}, tol{rtol: 1e-13})
	if h.b == tensor.CPU {
		tl = exact
	}
	// Two more whose products start packing blocks, and splitting work between threads, in
	// the middle of output rows: 2550 columns (more than a panel at k = 27) and k blocks of
	// 255 or 218 columns in the weight-gradient product.
	geoms := append(convGeoms(), tensor.NewConvGeom(1, 3, 51, 50, 3, 3, 1, 1, 1, 1, 1, 1),
		tensor.NewConvGeom(1, 2, 61, 59, 4, 4, 2, 2, 1, 1, 1, 1))
	for i, g := range geoms {
		if g.N == 0 {
			continue // no images, no product
		}
		rows, plane, cout := g.C*g.KH*g.KW, g.OH*g.OW, 4+i%3
		const offX = 3
		x := h.pair(h.normal(offX+imageLen(g), 0, 1))
		colsRef := tensor.CPU.Alloc(h.dt, colsLen(g))
		xRef := upload(tensor.CPU, h.dt, h.normal(imageLen(g), 0, 1))
		tensor.CPU.Copy(xRef, 0, []int{1}, x.ref, offX, []int{1}, []int{imageLen(g)})
		tensor.CPU.Im2col(colsRef, xRef, g)
		for _, transB := range []bool{false, true} {
			args := tensor.GemmArgs{M: cout, N: plane, K: rows, Alpha: 1.5, Beta: 0.5, Batch: g.N,
				LDA: rows, LDB: plane, StrideB: rows * plane, LDC: plane, StrideC: cout * plane}
			if transB { // dW = dY·colsᵀ: [cout, plane]·[plane, rows]
				args = tensor.GemmArgs{TransB: true, M: cout, N: rows, K: plane, Alpha: 1, Beta: 0, Batch: g.N,
					LDA: plane, StrideA: cout * plane, LDB: plane, StrideB: rows * plane, LDC: rows, StrideC: cout * rows}
			}
			a := h.pair(h.normal(args.M*args.K*g.N, 0, 1))
			c := h.normal(args.M*args.N*g.N, 0, 1)
			if args.Beta == 0 {
				for j := range c {
					c[j] = math.NaN()
				}
			}
			pc := h.pair(c)
			ref, got := args, args
			ref.A, ref.B, ref.C = a.ref, colsRef, pc.ref
			got.A, got.C = a.got, pc.got
			tensor.CPU.Gemm(ref)
			ig.GemmIm2col(got, x.got, offX, g)
			what := fmt.Sprintf("GemmIm2col transB=%v %s", transB, geomString(g))
			h.check(what, pc, tl, absAll(download(tensor.CPU, pc.ref)))
			h.intact(what, a, x)
		}
	}
}

func testCol2im(h *harness) {
	tl := h.pick(tol{rtol: 1e-5}, tol{rtol: 1e-13})
	for _, g := range append(convGeoms(), manyPlanes) {
		data := h.normal(colsLen(g), 0, 1)
		cols := h.pair(data)
		x := h.pair(h.normal(imageLen(g), 0, 1)) // garbage the kernel must overwrite
		tensor.CPU.Col2im(x.ref, cols.ref, g)
		h.b.Col2im(x.got, cols.got, g)
		scale := tensor.CPU.Alloc(tensor.Float64, imageLen(g))
		tensor.CPU.Col2im(scale, upload(tensor.CPU, tensor.Float64, absAll(data)), g)
		h.check("Col2im "+geomString(g), x, tl, download(tensor.CPU, scale))
		h.intact("Col2im "+geomString(g), cols)
	}
}

// padCase is planes images of h×w padded by p.
type padCase struct {
	planes, h, w int
	p            tensor.Pad2d
}

// padCases include CycleGAN's pads of 3 and 1, pads as large as allowed (one less than the size),
// asymmetric pads, no pad, and an empty batch.
var padCases = []padCase{
	{1, 1, 1, tensor.Pad2d{}},
	{3, 4, 5, tensor.Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}},
	{2, 8, 7, tensor.Pad2d{Left: 3, Right: 3, Top: 3, Bottom: 3}},
	{2, 4, 4, tensor.Pad2d{Left: 3, Right: 3, Top: 3, Bottom: 3}},
	{5, 6, 9, tensor.Pad2d{Left: 0, Right: 2, Top: 1, Bottom: 0}},
	{2, 2, 2, tensor.Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}},
	{0, 3, 3, tensor.Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}},
	{6, 64, 64, tensor.Pad2d{Left: 3, Right: 3, Top: 3, Bottom: 3}},
}

func (c padCase) paddedLen() int {
	return c.planes * (c.h + c.p.Top + c.p.Bottom) * (c.w + c.p.Left + c.p.Right)
}

func (c padCase) String() string {
	return fmt.Sprintf("%d planes of %dx%d by %+v", c.planes, c.h, c.w, c.p)
}

func testReflectPad(h *harness) {
	for _, c := range padCases {
		x := h.pair(h.normal(c.planes*c.h*c.w, 0, 1))
		y := h.pair(h.normal(c.paddedLen(), 0, 1))
		tensor.CPU.ReflectPad(y.ref, x.ref, c.planes, c.h, c.w, c.p)
		h.b.ReflectPad(y.got, x.got, c.planes, c.h, c.w, c.p)
		h.check("ReflectPad "+c.String(), y, exact, nil)
		h.intact("ReflectPad "+c.String(), x)
	}
}

func testReflectPadBackward(h *harness) {
	tl := h.pick(tol{rtol: 1e-5}, tol{rtol: 1e-13})
	for _, c := range padCases {
		data := h.normal(c.paddedLen(), 0, 1)
		dy := h.pair(data)
		dx := h.pair(h.normal(c.planes*c.h*c.w, 0, 1))
		tensor.CPU.ReflectPadBackward(dx.ref, dy.ref, c.planes, c.h, c.w, c.p)
		h.b.ReflectPadBackward(dx.got, dy.got, c.planes, c.h, c.w, c.p)
		scale := tensor.CPU.Alloc(tensor.Float64, c.planes*c.h*c.w)
		tensor.CPU.ReflectPadBackward(scale, upload(tensor.CPU, tensor.Float64, absAll(data)), c.planes, c.h, c.w, c.p)
		h.check("ReflectPadBackward "+c.String(), dx, tl, download(tensor.CPU, scale))
		h.intact("ReflectPadBackward "+c.String(), dy)
	}
}

// normCases are (planes, size) pairs: a single element (variance 0), odd sizes, both sides of
// typical GPU work-group sizes, a 64×64 plane, one plane too big for one goroutine, and none.
var normCases = [][2]int{{1, 1}, {3, 7}, {2, 255}, {3, 257}, {2, 1025}, {6, 64}, {2, 4096}, {1, 70001}, {0, 5}}

// normInputs are instance norm inputs whose mean is large against their spread (so that a
// one-pass E[x²]−E[x]² variance would lose digits), with one constant plane (variance 0) when
// there are several planes.
func (h *harness) normInputs(planes, size int) []float64 {
	x := h.normal(planes*size, 3, 0.5)
	if planes > 1 {
		for i := range size {
			x[size+i] = 1.25
		}
	}
	return x
}

func (h *harness) normTol() tol {
	return h.pick(tol{atol: 1e-5, rtol: 1e-4}, tol{atol: 1e-12, rtol: 1e-11})
}

func testInstanceNormForward(h *harness) {
	const eps = 1e-5
	for _, c := range normCases {
		planes, size := c[0], c[1]
		x := h.pair(h.normInputs(planes, size))
		y, mean, rstd := h.pair(h.normal(planes*size, 0, 1)), h.pair(h.normal(planes, 0, 1)), h.pair(h.normal(planes, 0, 1))
		tensor.CPU.InstanceNormForward(y.ref, mean.ref, rstd.ref, x.ref, planes, size, eps)
		h.b.InstanceNormForward(y.got, mean.got, rstd.got, x.got, planes, size, eps)
		what := fmt.Sprintf("InstanceNormForward %d planes of %d", planes, size)
		h.check(what+": y", y, h.normTol(), nil)
		h.check(what+": mean", mean, h.normTol(), nil)
		h.check(what+": rstd", rstd, h.normTol(), nil)
		h.intact(what, x)
	}
}

func testInstanceNormBackward(h *harness) {
	const eps = 1e-5
	for _, c := range normCases {
		planes, size := c[0], c[1]
		// The statistics come from the CPU's forward pass, so that only the backward is tested.
		xs := h.normInputs(planes, size)
		x := h.pair(xs)
		y, mean, rstd := tensor.CPU.Alloc(h.dt, planes*size), tensor.CPU.Alloc(h.dt, planes), tensor.CPU.Alloc(h.dt, planes)
		tensor.CPU.InstanceNormForward(y, mean, rstd, x.ref, planes, size, eps)
		ms, rs := h.pair(download(tensor.CPU, mean)), h.pair(download(tensor.CPU, rstd))
		dy := h.pair(h.normal(planes*size, 0, 1))
		dx := h.pair(h.normal(planes*size, 0, 1))
		tensor.CPU.InstanceNormBackward(dx.ref, dy.ref, x.ref, ms.ref, rs.ref, planes, size)
		h.b.InstanceNormBackward(dx.got, dy.got, x.got, ms.got, rs.got, planes, size)
		// dx = rstd·(…) is large where rstd is (a constant plane has rstd = 1/√eps ≈ 316), so
		// errors are measured against rstd·(|dy| + mean|dy| + |x̂|·mean|dy·x̂|) ≤ rstd·(3·max|dy|·…);
		// rstd·max|dy| per plane is a simple, sufficient bound of that size.
		scale := make([]float64, planes*size)
		dys, rstds := download(tensor.CPU, dy.ref), download(tensor.CPU, rs.ref)
		for p := range planes {
			m := 0.0
			for _, v := range dys[p*size : (p+1)*size] {
				m = max(m, math.Abs(v))
			}
			for i := range size {
				scale[p*size+i] = rstds[p] * m
			}
		}
		what := fmt.Sprintf("InstanceNormBackward %d planes of %d", planes, size)
		h.check(what, dx, h.normTol(), scale)
		h.intact(what, dy, x, ms, rs)
	}
}

func testAdamStep(h *harness) {
	hypers := []tensor.AdamHyper{
		adamHyper(2e-4, 0.5, 0.999, 1e-8, 0, 1),
		adamHyper(1e-3, 0.9, 0.999, 1e-8, 0.01, 7),
		adamHyper(0.1, 0.8, 0.99, 1e-3, 0, 1000),
	}
	tl := h.pick(tol{atol: 1e-7, rtol: 1e-6}, tol{atol: 1e-15, rtol: 1e-14})
	for k, hy := range hypers {
		for _, n := range raggedSizes {
			p, g := h.pair(h.normal(n, 0, 1)), h.pair(h.normal(n, 0, 1e-2))
			m, v := h.pair(h.normal(n, 0, 1e-3)), h.pair(h.uniform(n, 0, 1e-4))
			if k == 0 {
				// The first step, from zero moments: v is then (1-β2)·g² alone, so computing
				// 1-β2 in float32 from the rounded β2 (off by about 100 ulps) shows.
				m, v = h.pair(make([]float64, n)), h.pair(make([]float64, n))
			}
			tensor.CPU.AdamStep(p.ref, g.ref, m.ref, v.ref, hy)
			h.b.AdamStep(p.got, g.got, m.got, v.got, hy)
			what := fmt.Sprintf("AdamStep %+v of %d", hy, n)
			h.check(what+": param", p, tl, nil)
			h.check(what+": m", m, tl, nil)
			h.check(what+": v", v, tl, nil)
			h.intact(what, g)
		}
	}
}

// adamHyper returns the hyperparameters of Adam step t (counted from 1).
func adamHyper(lr, beta1, beta2, eps, weightDecay float64, t int) tensor.AdamHyper {
	return tensor.AdamHyper{LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: weightDecay,
		BiasCorrection1: 1 - math.Pow(beta1, float64(t)), BiasCorrection2: 1 - math.Pow(beta2, float64(t))}
}

// testConvolver checks the optional Convolver's three passes against the composed definition on
// the reference backend: Im2col then Gemm for the forward pass (with a bias) and the weight
// gradient (summed over the batch), Gemm then Col2im for the input gradient. The geometries are
// convGeoms() and 3×3 stride-1 layers with enough channels for Winograd's algorithm, under each
// ConvAlgorithm. Every output starts as NaN, which a pass must overwrite. Errors are measured
// against the same passes computed on absolute values, so that cancellation does not make the
// tolerance meaningless: float64 must match to rounding (it always runs the direct path), float32
// to 1e-5 of that scale, which Winograd's F(4×4, 3×3) meets with a margin (see internal/winograd).
func testConvolver(h *harness) {
	cv, ok := h.b.(tensor.Convolver)
	if !ok {
		h.t.Skipf("%s does not implement tensor.Convolver (convolutions use Im2col, Gemm and Col2im)", h.b.Name())
	}
	tl := h.pick(tol{rtol: 1e-5}, tol{rtol: 1e-13})
	geoms := append(convGeoms(), tensor.NewConvGeom(2, 17, 11, 13, 3, 3, 1, 1, 0, 0, 1, 1),
		tensor.NewConvGeom(1, 32, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1), tensor.NewConvGeom(1, 9, 6, 5, 3, 3, 1, 1, 2, 2, 1, 1))
	for _, algo := range []tensor.ConvAlgorithm{tensor.ConvAuto, tensor.ConvDirect, tensor.ConvWinograd, tensor.ConvWinograd4} {
		saved := tensor.SetConvAlgorithm(algo)
		for i, g := range geoms {
			if g.N == 0 {
				continue
			}
			cout := 3 + i%4
			if g.C > 8 {
				cout = g.C + 3
			}
			what := fmt.Sprintf("Convolver %s %s cout %d", algo, geomString(g), cout)
			xd, wd, bd := h.normal(imageLen(g), 0, 1), h.normal(cout*g.C*g.KH*g.KW, 0, 1), h.normal(cout, 0, 1)
			dyd := h.normal(g.N*cout*g.OH*g.OW, 0, 1)
			x, w, b, dy := h.pair(xd), h.pair(wd), h.pair(bd), h.pair(dyd)
			abs := func(v []float64) tensor.Storage { return upload(tensor.CPU, tensor.Float64, absAll(v)) }

			y := h.pair(nanData(g.N * cout * g.OH * g.OW))
			composedForward(h.dt, y.ref, x.ref, w.ref, b.ref, g, cout)
			scale := tensor.CPU.Alloc(tensor.Float64, y.ref.Len())
			composedForward(tensor.Float64, scale, abs(xd), abs(wd), abs(bd), g, cout)
			cv.ConvForward(y.got, x.got, w.got, b.got, g, cout)
			h.check(what+" forward", y, tl, download(tensor.CPU, scale))

			dx := h.pair(nanData(imageLen(g)))
			composedInput(h.dt, dx.ref, dy.ref, w.ref, g, cout)
			scale = tensor.CPU.Alloc(tensor.Float64, dx.ref.Len())
			composedInput(tensor.Float64, scale, abs(dyd), abs(wd), g, cout)
			cv.ConvInput(dx.got, dy.got, w.got, g, cout)
			h.check(what+" input gradient", dx, tl, download(tensor.CPU, scale))

			dw := h.pair(nanData(cout * g.C * g.KH * g.KW))
			composedWeight(h.dt, dw.ref, dy.ref, x.ref, g, cout)
			scale = tensor.CPU.Alloc(tensor.Float64, dw.ref.Len())
			composedWeight(tensor.Float64, scale, abs(dyd), abs(xd), g, cout)
			cv.ConvWeight(dw.got, dy.got, x.got, g, cout)
			h.check(what+" weight gradient", dw, tl, download(tensor.CPU, scale))
			h.intact(what, x, w, b, dy)
		}
		tensor.SetConvAlgorithm(saved)
	}
}

// testReflectConvolver checks the optional ReflectConvolver against its definition on the
// reference backend: the composed input gradient of the padded image (Gemm then Col2im), then
// ReflectPadBackward. The geometries are 3×3 stride-1 convolutions behind a one-pixel pad
// (residual blocks of 64 and 32 channels, a ragged batch of 2, the smallest 2x2 image) and one
// behind a two-pixel pad, under each ConvAlgorithm; tolerances as Convolver's. Where the backend
// declines (returns false) it must have left dx alone.
func testReflectConvolver(h *harness) {
	rc, ok := h.b.(tensor.ReflectConvolver)
	if !ok {
		h.t.Skipf("%s does not implement tensor.ReflectConvolver (the input gradient goes through the padded image's)", h.b.Name())
	}
	tl := h.pick(tol{rtol: 1e-5}, tol{rtol: 1e-13})
	one := tensor.Pad2d{Left: 1, Right: 1, Top: 1, Bottom: 1}
	for _, c := range []struct {
		n, ch, h, w, cout int
		p                 tensor.Pad2d
	}{
		{1, 64, 32, 32, 64, one}, {1, 32, 16, 16, 40, one}, {2, 5, 9, 6, 7, one}, {1, 3, 2, 2, 2, one},
		{1, 4, 6, 7, 3, tensor.Pad2d{Left: 2, Right: 2, Top: 2, Bottom: 2}},
	} {
		ph, pw := c.h+c.p.Top+c.p.Bottom, c.w+c.p.Left+c.p.Right
		g := tensor.NewConvGeom(c.n, c.ch, ph, pw, 3, 3, 1, 1, 0, 0, 1, 1)
		for _, algo := range []tensor.ConvAlgorithm{tensor.ConvAuto, tensor.ConvDirect, tensor.ConvWinograd, tensor.ConvWinograd4} {
			saved := tensor.SetConvAlgorithm(algo)
			what := fmt.Sprintf("ReflectConvolver %s %s pad %+v cout %d", algo, geomString(g), c.p, c.cout)
			wd, dyd := h.normal(c.cout*c.ch*9, 0, 1), h.normal(c.n*c.cout*g.OH*g.OW, 0, 1)
			w, dy := h.pair(wd), h.pair(dyd)
			planes, xLen := c.n*c.ch, c.n*c.ch*c.h*c.w
			definition := func(dt tensor.DType, dx, dy, w tensor.Storage) {
				padded := tensor.CPU.Alloc(dt, imageLen(g))
				composedInput(dt, padded, dy, w, g, c.cout)
				tensor.CPU.ReflectPadBackward(dx, padded, planes, c.h, c.w, c.p)
			}
			dx := h.pair(nanData(xLen))
			definition(h.dt, dx.ref, dy.ref, w.ref)
			if rc.ConvInputReflect(dx.got, dy.got, w.got, g, c.cout, c.p) {
				abs := func(v []float64) tensor.Storage { return upload(tensor.CPU, tensor.Float64, absAll(v)) }
				scale := tensor.CPU.Alloc(tensor.Float64, xLen)
				definition(tensor.Float64, scale, abs(dyd), abs(wd))
				h.check(what, dx, tl, download(tensor.CPU, scale))
			} else {
				compare(h.t, what+" (declined: dx untouched)", nanData(xLen), download(h.b, dx.got), exact, nil)
			}
			h.intact(what, w, dy)
			tensor.SetConvAlgorithm(saved)
		}
	}
}

func nanData(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// composedForward is the forward pass on the reference CPU from its kernels: y_n = W·im2col(x_n) + b.
func composedForward(dt tensor.DType, y, x, w, b tensor.Storage, g tensor.ConvGeom, cout int) {
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	cols := tensor.CPU.Alloc(dt, colsLen(g))
	tensor.CPU.Im2col(cols, x, g)
	tensor.CPU.Copy(y, 0, []int{cout * plane, plane, 1}, b, 0, []int{0, 1, 0}, []int{g.N, cout, plane})
	tensor.CPU.Gemm(tensor.GemmArgs{M: cout, N: plane, K: rows, Alpha: 1, Beta: 1, Batch: g.N,
		A: w, LDA: rows, B: cols, LDB: plane, StrideB: rows * plane, C: y, LDC: plane, StrideC: cout * plane})
}

// composedInput is the input gradient on the reference CPU: dx_n = col2im(Wᵀ·dy_n).
func composedInput(dt tensor.DType, dx, dy, w tensor.Storage, g tensor.ConvGeom, cout int) {
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	dcols := tensor.CPU.Alloc(dt, colsLen(g))
	tensor.CPU.Gemm(tensor.GemmArgs{TransA: true, M: rows, N: plane, K: cout, Alpha: 1, Batch: g.N,
		A: w, LDA: rows, B: dy, LDB: plane, StrideB: cout * plane, C: dcols, LDC: plane, StrideC: rows * plane})
	tensor.CPU.Col2im(dx, dcols, g)
}

// composedWeight is the weight gradient on the reference CPU: dW = Σ_n dy_n·im2col(x_n)ᵀ, one
// image at a time.
func composedWeight(dt tensor.DType, dw, dy, x tensor.Storage, g tensor.ConvGeom, cout int) {
	rows, plane := g.C*g.KH*g.KW, g.OH*g.OW
	cols := tensor.CPU.Alloc(dt, colsLen(g))
	tensor.CPU.Im2col(cols, x, g)
	tensor.CPU.Fill(dw, 0)
	for n := range g.N {
		tensor.CPU.Gemm(tensor.GemmArgs{TransB: true, M: cout, N: rows, K: plane, Alpha: 1, Beta: 1, Batch: 1,
			A: dy, OffA: n * cout * plane, LDA: plane, B: cols, OffB: n * rows * plane, LDB: plane, C: dw, LDC: rows})
	}
}
