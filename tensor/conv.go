package tensor

import "fmt"

// The three passes of a 2-D convolution, each planned here so that autograd only states which
// pass is whose derivative. A pass runs in one of two forms (direct, or swapped: see
// prefersSwapped) and then on the backend's own Convolver when it has one, else on the composed
// path of conv_composed.go (Im2col, Gemm and Col2im, in strips when the columns are large).
//
// Notation: x is [N, C, H, W], w is [Cout, C, KH, KW], y and dy are [N, Cout, OH, OW], and cols_n
// is the im2col matrix [C·KH·KW, OH·OW] of image n for the geometry g.

// Conv2d returns the 2-D cross-correlation of x with w plus the bias b (nil for none), as
// PyTorch's torch.nn.functional.conv2d with groups 1:
//
//	y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·sH − padH + p·dH, j·sW − padW + q·dW]
//
// with x read as 0 outside the image: y_n = W · cols_n as matrices. g is the geometry (its N, C,
// H, W, KH and KW must match x and w); the result is [N, Cout, g.OH, g.OW]. g.ForwardOnly lets
// the planner pick a faster, less accurate float32 algorithm where no gradient will follow.
func Conv2d(x, w, b *Tensor, g ConvGeom) *Tensor {
	const op = "tensor.Conv2d"
	cout := checkConv(op, g, w)
	checkImage(op, x, g)
	sameDevice(op, x, w)
	sameDType(op, x, w)
	var bias Storage
	if b != nil {
		if b.NDim() != 1 || b.Dim(0) != cout {
			panic(fmt.Sprintf("%s: bias %v does not match the %d output channels of weight %v", op, b.shape, cout, w.shape))
		}
		sameDevice(op, x, b)
		sameDType(op, x, b)
		bias = b.storage
	}
	y := Empty(x.Backend(), x.dtype, g.N, cout, g.OH, g.OW)
	convForward(y.storage, x.storage, w.storage, bias, g, cout)
	return y
}

// Conv2dInput returns the gradient [N, C, H, W] of Conv2d's input for the output gradient dy
// [N, Cout, OH, OW]: dx_n = col2im(Wᵀ · dy_n). It is a transposed convolution of dy, and so also
// the forward pass of ConvTranspose2d, whose geometry g is then that of the convolution it is
// the adjoint of (its OH×OW the transposed convolution's input size).
func Conv2dInput(dy, w *Tensor, g ConvGeom) *Tensor {
	const op = "tensor.Conv2dInput"
	cout := checkConv(op, g, w)
	checkGrad(op, dy, g, cout)
	sameDevice(op, dy, w)
	sameDType(op, dy, w)
	dx := Empty(dy.Backend(), dy.dtype, g.N, g.C, g.H, g.W)
	convInput(dx.storage, dy.storage, w.storage, g, cout)
	return dx
}

// Conv2dWeight returns the gradient [Cout, C, KH, KW] of Conv2d's weight for the output
// gradient dy and input x, summed over the batch: dW = Σ_n dy_n · cols_nᵀ.
func Conv2dWeight(dy, x *Tensor, g ConvGeom) *Tensor {
	const op = "tensor.Conv2dWeight"
	checkImage(op, x, g)
	if dy.NDim() != 4 {
		panic(fmt.Sprintf("%s: gradient %v must be 4-D", op, dy.shape))
	}
	cout := dy.Dim(1)
	checkGrad(op, dy, g, cout)
	sameDevice(op, dy, x)
	sameDType(op, dy, x)
	if g.N == 0 {
		return New(dy.Backend(), dy.dtype, cout, g.C, g.KH, g.KW) // an empty sum
	}
	dw := Empty(dy.Backend(), dy.dtype, cout, g.C, g.KH, g.KW)
	convWeight(dw.storage, dy.storage, x.storage, g, cout)
	return dw
}

// ReflectPad2dConv2dInput returns the gradient of x for y = Conv2d(ReflectPad2d(x, p), w), the
// input gradient of a convolution whose geometry g is that of the padded image (every
// convolution of a CycleGAN residual block): ReflectPad2dBackward(Conv2dInput(dy, w, g), x's
// shape, p). A backend that is a ReflectConvolver may compute it without the padded gradient
// (the CPU does, for one-pixel pads in front of 3×3 Winograd convolutions); elsewhere it is
// those two calls.
func ReflectPad2dConv2dInput(dy, w *Tensor, g ConvGeom, p Pad2d) *Tensor {
	const op = "tensor.ReflectPad2dConv2dInput"
	cout := checkConv(op, g, w)
	checkGrad(op, dy, g, cout)
	sameDevice(op, dy, w)
	sameDType(op, dy, w)
	shape := []int{g.N, g.C, g.H - p.Top - p.Bottom, g.W - p.Left - p.Right}
	if shape[2] < 1 || shape[3] < 1 || min(p.Top, p.Bottom, p.Left, p.Right) < 0 {
		panic(fmt.Sprintf("%s: pad %+v of a padded image %dx%d leaves no image", op, p, g.H, g.W))
	}
	dx := Empty(dy.Backend(), dy.dtype, shape...) // overwritten by either way below
	planes, h, wd := checkPad(op, dx, p)
	if rc, ok := dy.Backend().(ReflectConvolver); ok && !composedOnly && rc.ConvInputReflect(dx.storage, dy.storage, w.storage, g, cout, p) {
		return dx
	}
	padded := Conv2dInput(dy, w, g)
	dy.Backend().ReflectPadBackward(dx.storage, padded.storage, planes, h, wd, p)
	Release(padded)
	return dx
}

// checkConv panics unless w is [Cout, g.C, g.KH, g.KW], and returns Cout.
func checkConv(op string, g ConvGeom, w *Tensor) int {
	if w.NDim() != 4 || w.Dim(1) != g.C || w.Dim(2) != g.KH || w.Dim(3) != g.KW {
		panic(fmt.Sprintf("%s: weight %v, geometry wants [Cout %d %d %d]", op, w.shape, g.C, g.KH, g.KW))
	}
	return w.Dim(0)
}

// checkGrad panics unless dy is [g.N, cout, g.OH, g.OW].
func checkGrad(op string, dy *Tensor, g ConvGeom, cout int) {
	if want := []int{g.N, cout, g.OH, g.OW}; !sameShape(dy.shape, want) {
		panic(fmt.Sprintf("%s: gradient %v, geometry wants %v", op, dy.shape, want))
	}
}

// Convolver is implemented by backends that run the passes of a convolution in their own way
// rather than through Im2col, Gemm and Col2im: the CPU backend forms the columns inside its GEMM
// and uses Winograd's algorithm for 3×3 kernels. Package tensor's Conv2d, Conv2dInput and
// Conv2dWeight check the shapes and pick the form of each pass, then hand the storages to it.
// The conformance suite (tensor/backendtest) checks it against the composed path.
type Convolver interface {
	// ConvForward overwrites y [N, cout, OH, OW] with conv(x, w) plus bias (nil: none).
	ConvForward(y, x, w, bias Storage, g ConvGeom, cout int)
	// ConvInput overwrites dx [N, C, H, W] with the input gradient for dy [N, cout, OH, OW].
	ConvInput(dx, dy, w Storage, g ConvGeom, cout int)
	// ConvWeight overwrites dw [cout, C, KH, KW] with the weight gradient summed over the batch.
	ConvWeight(dw, dy, x Storage, g ConvGeom, cout int)
}

// ReflectConvolver is implemented by backends that can compute the input gradient of a
// convolution behind a reflection pad in one pass, without the padded image's gradient
// (ReflectPad2dConv2dInput calls it; the CPU backend is one).
type ReflectConvolver interface {
	// ConvInputReflect overwrites dx [N, C, H-p.Top-p.Bottom, W-p.Left-p.Right] with the
	// gradient of x for Conv2d(ReflectPad2d(x, p), w), dy [N, cout, OH, OW] being the
	// convolution's output gradient and g its geometry on the padded image, and returns true;
	// or it returns false, touching nothing, where it has no faster way than Conv2dInput
	// followed by ReflectPad2dBackward.
	ConvInputReflect(dx, dy, w Storage, g ConvGeom, cout int, p Pad2d) bool
}

// convolverOf returns b's Convolver, if it has one and the tests have not set composedOnly.
func convolverOf(b Backend) (Convolver, bool) {
	cv, ok := b.(Convolver)
	return cv, ok && !composedOnly
}

// composedOnly makes every pass take the composed path; the tests set it to compare the two.
var composedOnly = false

func convForward(y, x, w, bias Storage, g ConvGeom, cout int) {
	b := x.Backend()
	if runsSwapped(b, g, cout, x.DType()) {
		// y = conv_transpose(x, w'): the input gradient of the swapped geometry.
		wt := flippedWeight(w, g, cout)
		convInput(y, x, wt.storage, swappedGeom(g, cout), g.C)
		Release(wt)
		if bias != nil {
			shape := []int{g.N, cout, g.OH * g.OW}
			b.Binary(OpAdd, y, y, bias, shape, ContiguousStrides(shape), []int{0, 1, 0}, 0)
		}
		return
	}
	if cv, ok := convolverOf(b); ok {
		cv.ConvForward(y, x, w, bias, g, cout)
		return
	}
	composedForward(b, y, x, w, bias, g, cout)
}

func convInput(dx, dy, w Storage, g ConvGeom, cout int) {
	b := dy.Backend()
	if runsSwapped(b, g, cout, dy.DType()) {
		// dx = conv(dy, w'): the forward pass of the swapped geometry.
		wt := flippedWeight(w, g, cout)
		convForward(dx, dy, wt.storage, nil, swappedGeom(g, cout), g.C)
		Release(wt)
		return
	}
	if cv, ok := convolverOf(b); ok {
		cv.ConvInput(dx, dy, w, g, cout)
		return
	}
	composedInput(b, dx, dy, w, g, cout)
}

func convWeight(dw, dy, x Storage, g ConvGeom, cout int) {
	b := dy.Backend()
	if runsSwapped(b, g, cout, dy.DType()) {
		// dW' = Σ_n x_n · cols'(dy_n)ᵀ, the swapped geometry's weight gradient with the roles of
		// image and gradient exchanged, then flipped back.
		dwt := Empty(b, dw.DType(), g.C, cout, g.KH, g.KW)
		convWeight(dwt.storage, x, dy, swappedGeom(g, cout), g.C)
		flipWeight(dw, dwt.storage, g.C, cout, g.KH, g.KW)
		Release(dwt)
		return
	}
	if cv, ok := convolverOf(b); ok {
		cv.ConvWeight(dw, dy, x, g, cout)
		return
	}
	composedWeight(b, dw, dy, x, g, cout)
}

// directConvolver is implemented by a Convolver that runs some convolutions as they are in
// every pass, where the swapped form would only add weight flips (the CPU backend, with
// internal/shiftconv: see shiftApplies).
type directConvolver interface {
	convolvesDirectly(g ConvGeom, cout int, dt DType) bool
}

// runsSwapped reports whether the passes of g run in the swapped form on b: where
// prefersSwapped says so, unless b's Convolver runs g as it is.
func runsSwapped(b Backend, g ConvGeom, cout int, dt DType) bool {
	if dc, ok := b.(directConvolver); ok && !composedOnly && dc.convolvesDirectly(g, cout, dt) {
		return false
	}
	return prefersSwapped(g, cout)
}

// prefersSwapped reports whether the passes of the stride-1 convolution g with cout output
// channels are cheaper in the swapped form: a stride-1 convolution is the transposed
// convolution of the same input with the kernel flipped in both spatial directions and its two
// channel dimensions exchanged,
//
//	conv2d(x, w, padding p, dilation d) = conv_transpose2d(x, w', padding d·(K−1) − p, dilation d),
//	w'[c, o, i, j] = w[o, c, KH−1−i, KW−1−j]
//
// (substitute the output position into the transposed convolution's scatter to see it), so each
// pass of g is the adjoint pass of the swapped geometry (swappedGeom). Both forms go through one
// column matrix per pass: g's is [C·KH·KW, OH·OW], the swapped one's [Cout·KH·KW, H·W]. A layer
// that maps many channels to few (CycleGAN's last 64→3 7×7 convolution, PatchGAN's last 512→1)
// has columns 20 to 500 times smaller in the swapped form, and its GEMMs get Cout·KH·KW rows
// instead of Cout (3 or 1, which leaves most of a micro-kernel idle). The swapped form has no
// strips, so it is taken only when its columns fit in maxColumns.
func prefersSwapped(g ConvGeom, cout int) bool {
	if g.StrideH != 1 || g.StrideW != 1 || g.PadH > g.DilH*(g.KH-1) || g.PadW > g.DilW*(g.KW-1) {
		return false
	}
	// A transposed convolution's geometry may keep fewer output positions than the formula
	// gives (an output padding of at least the stride); the identity above needs all of them.
	if full := NewConvGeom(g.N, g.C, g.H, g.W, g.KH, g.KW, 1, 1, g.PadH, g.PadW, g.DilH, g.DilW); full.OH != g.OH || full.OW != g.OW {
		return false
	}
	cols := g.N * g.C * g.KH * g.KW * g.OH * g.OW
	swappedCols := g.N * cout * g.KH * g.KW * g.H * g.W
	return 2*swappedCols <= cols && swappedCols <= maxColumns
}

// swappedGeom is the geometry of the convolution whose input gradient the stride-1 convolution
// g is in the swapped form: its image is g's output (cout channels, OH×OW), its padding
// d·(K−1) − p, and its output g's input size H×W. It computes the same pass, so it is forward-only
// when g is.
func swappedGeom(g ConvGeom, cout int) ConvGeom {
	s := NewConvGeom(g.N, cout, g.OH, g.OW, g.KH, g.KW, 1, 1,
		g.DilH*(g.KH-1)-g.PadH, g.DilW*(g.KW-1)-g.PadW, g.DilH, g.DilW)
	s.ForwardOnly = g.ForwardOnly
	if s.OH != g.H || s.OW != g.W {
		panic(fmt.Sprintf("tensor: swapped geometry %+v of %+v has the wrong output size", s, g))
	}
	return s
}

// flippedWeight returns w' [C, Cout, KH, KW] of the weight w [cout, C, KH, KW] (see
// prefersSwapped).
func flippedWeight(w Storage, g ConvGeom, cout int) *Tensor {
	wt := Empty(w.Backend(), w.DType(), g.C, cout, g.KH, g.KW)
	flipWeight(wt.storage, w, cout, g.C, g.KH, g.KW)
	return wt
}

// flipWeight writes dst[b, a, i, j] = src[a, b, KH−1−i, KW−1−j] for src [A, B, KH, KW]: one
// strided copy that exchanges the two channel dimensions and reads the taps backwards (tap
// t = i·KW + j of dst is tap KH·KW−1−t of src). Applied twice it is the identity, so the same
// function turns a swapped weight gradient back. One copy rather than one per tap: on a GPU each
// is a kernel launch, and a 7×7 kernel has 49 taps.
func flipWeight(dst, src Storage, a, b, kh, kw int) {
	taps := kh * kw
	dst.Backend().Copy(dst, 0, []int{a * taps, taps, 1},
		src, taps-1, []int{taps, b * taps, -1}, []int{b, a, taps})
}
