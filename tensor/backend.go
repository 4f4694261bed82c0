package tensor

import "fmt"

// Storage is a flat buffer of Len elements of one dtype, owned by a Backend. Tensors share storage
// only through Reshape; kernels never see shapes beyond the ints they are passed.
type Storage interface {
	Backend() Backend
	DType() DType
	Len() int
}

// Backend is the kernel contract: everything a device must provide to run zebra. It is deliberately
// small (DESIGN.md, principle 3). Composite operations (softmax, losses, variance, ...) are built in
// this package and in autograd from these kernels and need nothing new from a device.
//
// All buffers are contiguous. Where a kernel takes offsets and strides, they are in elements. Unless
// said otherwise a kernel overwrites its destination. dst never aliases a source unless said so.
// Kernels panic on programmer errors (unsupported dtype, wrong lengths); the tensor-level functions
// check shapes before calling them, so a user of package tensor never sees a kernel's panic.
//
// A kernel's float64 scalar parameter (a LeakyRelu slope, a Scale factor, Fill's value) is first
// rounded to the storage's dtype, as the CPU does, and float32 results are computed in float32 or
// better. A Backend value must be comparable with == (a pointer, or a struct of comparable
// fields): tensors compare their backends to detect mixed devices. The conformance suite,
// tensor/backendtest, checks a backend against this contract.
//
// What only some devices can do is not in this contract but in small optional interfaces that a
// backend implements or not, as an io.Writer may be an io.WriterTo: Releaser, EmptyAllocator,
// Synchronizer, Compiler, Im2colGemmer, FiniteChecker (capabilities.go), Convolver and
// ReflectConvolver (conv.go). Callers test for them with a type assertion on the declared
// interface; the conformance suite checks each one a backend implements.
type Backend interface {
	// Name identifies the device, e.g. "cpu", "opencl:0", "cuda:0".
	Name() string

	// Alloc returns zeroed storage for n elements.
	Alloc(dt DType, n int) Storage
	// Upload copies host data ([]float32 or []float64 matching dst's dtype) into dst.
	Upload(dst Storage, src any)
	// Download copies src into host memory ([]float32 or []float64 matching src's dtype).
	Download(dst any, src Storage)

	// Fill sets every element of dst to v.
	Fill(dst Storage, v float64)
	// Cast converts src into dst, which has the same length and possibly another dtype.
	Cast(dst, src Storage)
	// Copy copies a strided view: for every index i of shape,
	//	dst[dstOff + Σ i[d]*dstStrides[d]] = src[srcOff + Σ i[d]*srcStrides[d]].
	// Permute, Narrow, Concat, Pad and Expand are all this one kernel. Source strides may be 0
	// (broadcast) or negative (a reversed view, whose srcOff is its first element: flipping a
	// convolution kernel's taps); destination positions are distinct, and every other element of
	// dst is left alone.
	Copy(dst Storage, dstOff int, dstStrides []int, src Storage, srcOff int, srcStrides []int, shape []int)

	// Unary computes dst[i] = op(src[i]; param) elementwise. dst may alias src.
	Unary(op UnaryOp, dst, src Storage, param float64)
	// Binary computes dst[i] = op(a[ia], b[ib]; param) for every index i of the contiguous dst of the
	// given shape, reading a and b through strides (0 along broadcast dimensions). dst may alias a or b
	// when that operand is read with contiguous strides.
	Binary(op BinaryOp, dst, a, b Storage, shape, aStrides, bStrides []int, param float64)
	// Reduce reduces the middle axis of src seen as [outer, mid, inner] into dst [outer, inner].
	// A sum over mid = 0 is 0; package tensor never asks for the max or min of nothing.
	Reduce(op ReduceOp, dst, src Storage, outer, mid, inner int)

	// Gemm computes batched C = alpha*op(A)*op(B) + beta*C (see GemmArgs). The batch's C matrices
	// do not overlap; elements of C outside them (the LDC-N gap, gaps between matrices) are left
	// alone.
	Gemm(g GemmArgs)

	// Im2col unfolds x [N, C, H, W] into cols [N, C*KH*KW, OH*OW] (see ConvGeom); out-of-image taps
	// (zero padding) read as 0.
	Im2col(cols, x Storage, g ConvGeom)
	// Col2im is the adjoint of Im2col: it overwrites x [N, C, H, W] with the sum of every column
	// entry that Im2col would have read from each pixel.
	Col2im(x, cols Storage, g ConvGeom)

	// ReflectPad pads each of planes H×W images by reflection (the edge pixel is not repeated) into
	// dst [planes, H+top+bottom, W+left+right]. Each pad is smaller than its dimension.
	ReflectPad(dst, src Storage, planes, h, w int, p Pad2d)
	// ReflectPadBackward is its adjoint: dx [planes, H, W] receives the sum of the gradients dy of
	// every output pixel that was read from it.
	ReflectPadBackward(dx, dy Storage, planes, h, w int, p Pad2d)

	// InstanceNormForward normalizes each of planes rows of size elements of x:
	//	y = (x - mean) * rstd, mean and rstd = 1/sqrt(biased variance + eps) saved per plane.
	InstanceNormForward(y, mean, rstd, x Storage, planes, size int, eps float64)
	// InstanceNormBackward computes dx from dy for the same normalization, with x̂ = (x-mean)*rstd:
	//	dx = rstd * (dy - mean(dy) - x̂ * mean(dy * x̂)), means taken over each plane.
	InstanceNormBackward(dx, dy, x, mean, rstd Storage, planes, size int)

	// AdamStep updates param, m and v in place from grad (see AdamHyper).
	AdamStep(param, grad, m, v Storage, h AdamHyper)
}

// UnaryOp names an elementwise function of one tensor and an optional scalar parameter.
type UnaryOp uint8

const (
	OpNeg       UnaryOp = iota // -x
	OpAbs                      // |x|
	OpSign                     // -1, 0 or 1 (0 at ±0 and NaN, as PyTorch)
	OpExp                      // e^x
	OpLog                      // ln x
	OpSqrt                     // √x
	OpSquare                   // x²
	OpTanh                     // tanh x
	OpSigmoid                  // 1 / (1 + e^-x)
	OpRelu                     // max(x, 0), NaN at NaN
	OpLeakyRelu                // x if x > 0 else param*x
	OpPow                      // x^param
	OpScale                    // param*x
	OpAddScalar                // x + param
	numUnaryOps
)

var unaryNames = [...]string{"neg", "abs", "sign", "exp", "log", "sqrt", "square", "tanh", "sigmoid",
	"relu", "leaky_relu", "pow", "scale", "add_scalar"}

// UnaryOps returns every UnaryOp in the order of their codes: for what must handle each of them
// (the GPU kernels' op codes, tests that loop over all ops), so that a new op is not missed.
func UnaryOps() []UnaryOp {
	ops := make([]UnaryOp, numUnaryOps)
	for i := range ops {
		ops[i] = UnaryOp(i)
	}
	return ops
}

func (op UnaryOp) String() string {
	if op >= numUnaryOps {
		return fmt.Sprintf("UnaryOp(%d)", uint8(op))
	}
	return unaryNames[op]
}

// BinaryOp names an elementwise function of two tensors and an optional scalar parameter.
type BinaryOp uint8

const (
	OpAdd     BinaryOp = iota // a + b
	OpSub                     // a - b
	OpMul                     // a * b
	OpDiv                     // a / b
	OpMaximum                 // max(a, b)
	OpMinimum                 // min(a, b)
	OpGreater                 // 1 if a > b else 0
	OpEqual                   // 1 if a == b else 0
	// OpLeakyReluBackward is the gradient of LeakyRelu: a is the incoming gradient, b the input x,
	// and the result is a if x > 0 else param*a (param 0 gives ReLU's gradient, 0 at x == 0 as in
	// PyTorch).
	OpLeakyReluBackward
	numBinaryOps
)

var binaryNames = [...]string{"add", "sub", "mul", "div", "maximum", "minimum", "greater", "equal",
	"leaky_relu_backward"}

// BinaryOps returns every BinaryOp in the order of their codes (see UnaryOps).
func BinaryOps() []BinaryOp {
	ops := make([]BinaryOp, numBinaryOps)
	for i := range ops {
		ops[i] = BinaryOp(i)
	}
	return ops
}

func (op BinaryOp) String() string {
	if op >= numBinaryOps {
		return fmt.Sprintf("BinaryOp(%d)", uint8(op))
	}
	return binaryNames[op]
}

// ReduceOp names a reduction.
type ReduceOp uint8

const (
	ReduceSum ReduceOp = iota
	ReduceMax
	ReduceMin
)

func (op ReduceOp) String() string {
	if op > ReduceMin {
		return fmt.Sprintf("ReduceOp(%d)", uint8(op))
	}
	return [...]string{"sum", "max", "min"}[op]
}

// GemmArgs describes Batch independent products C_i = Alpha*op(A_i)*op(B_i) + Beta*C_i, row-major.
// op(A) is M×K: A is M×K (LDA ≥ K) or, with TransA, K×M (LDA ≥ M). op(B) is K×N: B is K×N (LDB ≥ N)
// or, with TransB, N×K (LDB ≥ K). C is M×N with LDC ≥ N. Every leading dimension is at least 1,
// as in BLAS, even when a matrix is empty. Matrix i starts at Off+i*Stride of its
// buffer; a Stride of 0 reuses one matrix for the whole batch (a conv weight, say). Beta 0 means C
// is overwritten, NaNs in it included, as in BLAS.
type GemmArgs struct {
	TransA, TransB bool
	M, N, K        int
	Alpha, Beta    float64
	Batch          int

	A                  Storage
	OffA, LDA, StrideA int
	B                  Storage
	OffB, LDB, StrideB int
	C                  Storage
	OffC, LDC, StrideC int
}

// ConvGeom is the geometry of a 2-D convolution's im2col: N images of C channels, H×W pixels, a
// KH×KW kernel with strides, zero padding and dilation, and the resulting OH×OW output size
//
//	OH = (H + 2*PadH - DilH*(KH-1) - 1)/StrideH + 1, and likewise OW.
type ConvGeom struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	OH, OW           int
	// ForwardOnly says that no gradient will be taken through this convolution (autograd.Conv2d
	// and ConvTranspose2d set it when none of their operands requires one): the planner may then
	// trade float32 accuracy, about 1e-5 relative, for speed (Winograd F(4×4, 3×3) under
	// ConvAuto; see autoTile). It never changes the shapes, nor a float64 result.
	ForwardOnly bool
}

// NewConvGeom fills in the output size of a convolution geometry and checks that it is positive.
func NewConvGeom(n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilH, dilW int) ConvGeom {
	g := ConvGeom{N: n, C: c, H: h, W: w, KH: kh, KW: kw, StrideH: strideH, StrideW: strideW,
		PadH: padH, PadW: padW, DilH: dilH, DilW: dilW}
	if strideH < 1 || strideW < 1 || dilH < 1 || dilW < 1 || padH < 0 || padW < 0 || kh < 1 || kw < 1 {
		panic("tensor.ConvGeom: kernel, stride and dilation must be ≥ 1 and padding ≥ 0")
	}
	g.OH = (h+2*padH-dilH*(kh-1)-1)/strideH + 1
	g.OW = (w+2*padW-dilW*(kw-1)-1)/strideW + 1
	if g.OH < 1 || g.OW < 1 {
		panic("tensor.ConvGeom: input " + shapeString([]int{h, w}) + " is too small for the kernel")
	}
	return g
}

// Pad2d is a padding of the last two dimensions: Left and Right pad the width, Top and Bottom the
// height (the order of PyTorch's (left, right, top, bottom) tuple).
type Pad2d struct{ Left, Right, Top, Bottom int }

// AdamHyper are the scalars of one Adam step (PyTorch's torch.optim.Adam, L2 weight decay):
//
//	g = grad + WeightDecay*param
//	m = Beta1*m + (1-Beta1)*g
//	v = Beta2*v + (1-Beta2)*g²
//	param -= LR * (m / BiasCorrection1) / (sqrt(v / BiasCorrection2) + Eps)
//
// with BiasCorrection1 = 1 - Beta1^t and BiasCorrection2 = 1 - Beta2^t at step t. As in PyTorch,
// 1-Beta1 and 1-Beta2 are computed in float64 and rounded once to the dtype.
type AdamHyper struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	BiasCorrection1, BiasCorrection2   float64
}
