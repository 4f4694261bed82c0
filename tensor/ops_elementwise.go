package tensor

// Cast returns t converted to dtype dt (t itself when it already has that dtype).
func Cast(t *Tensor, dt DType) *Tensor {
	if t.dtype == dt {
		return t
	}
	out := Empty(t.Backend(), dt, t.shape...) // Cast writes every element
	t.Backend().Cast(out.storage, t.storage)
	return out
}

func unaryOp(op UnaryOp, t *Tensor, param float64) *Tensor {
	out := Empty(t.Backend(), t.dtype, t.shape...) // Unary writes every element
	t.Backend().Unary(op, out.storage, t.storage, param)
	return out
}

// Neg returns -t.
func Neg(t *Tensor) *Tensor { return unaryOp(OpNeg, t, 0) }

// Abs returns |t|.
func Abs(t *Tensor) *Tensor { return unaryOp(OpAbs, t, 0) }

// Sign returns -1, 0 or 1 elementwise.
func Sign(t *Tensor) *Tensor { return unaryOp(OpSign, t, 0) }

// Exp returns e^t.
func Exp(t *Tensor) *Tensor { return unaryOp(OpExp, t, 0) }

// Log returns the natural logarithm of t.
func Log(t *Tensor) *Tensor { return unaryOp(OpLog, t, 0) }

// Sqrt returns √t.
func Sqrt(t *Tensor) *Tensor { return unaryOp(OpSqrt, t, 0) }

// Square returns t².
func Square(t *Tensor) *Tensor { return unaryOp(OpSquare, t, 0) }

// Tanh returns tanh(t).
func Tanh(t *Tensor) *Tensor { return unaryOp(OpTanh, t, 0) }

// Sigmoid returns 1/(1+e^-t).
func Sigmoid(t *Tensor) *Tensor { return unaryOp(OpSigmoid, t, 0) }

// Relu returns max(t, 0).
func Relu(t *Tensor) *Tensor { return unaryOp(OpRelu, t, 0) }

// LeakyRelu returns t where t > 0, else slope*t.
func LeakyRelu(t *Tensor, slope float64) *Tensor { return unaryOp(OpLeakyRelu, t, slope) }

// PowScalar returns t^p.
func PowScalar(t *Tensor, p float64) *Tensor { return unaryOp(OpPow, t, p) }

// Scale returns s*t.
func Scale(t *Tensor, s float64) *Tensor { return unaryOp(OpScale, t, s) }

// AddScalar returns t+s.
func AddScalar(t *Tensor, s float64) *Tensor { return unaryOp(OpAddScalar, t, s) }

func binaryOp(name string, op BinaryOp, a, b *Tensor, param float64) *Tensor {
	sameDevice(name, a, b)
	sameDType(name, a, b)
	shape := BroadcastShapes(name, a.shape, b.shape)
	out := Empty(a.Backend(), a.dtype, shape...) // Binary writes every element
	a.Backend().Binary(op, out.storage, a.storage, b.storage, shape,
		broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape), param)
	return out
}

// Add returns a+b with NumPy broadcasting.
func Add(a, b *Tensor) *Tensor { return binaryOp("tensor.Add", OpAdd, a, b, 0) }

// Sub returns a-b with NumPy broadcasting.
func Sub(a, b *Tensor) *Tensor { return binaryOp("tensor.Sub", OpSub, a, b, 0) }

// Mul returns a*b with NumPy broadcasting.
func Mul(a, b *Tensor) *Tensor { return binaryOp("tensor.Mul", OpMul, a, b, 0) }

// Div returns a/b with NumPy broadcasting.
func Div(a, b *Tensor) *Tensor { return binaryOp("tensor.Div", OpDiv, a, b, 0) }

// Maximum returns the elementwise maximum (NaN if either is NaN), with broadcasting.
func Maximum(a, b *Tensor) *Tensor { return binaryOp("tensor.Maximum", OpMaximum, a, b, 0) }

// Minimum returns the elementwise minimum (NaN if either is NaN), with broadcasting.
func Minimum(a, b *Tensor) *Tensor { return binaryOp("tensor.Minimum", OpMinimum, a, b, 0) }

// Greater returns 1 where a > b and 0 elsewhere, with broadcasting.
func Greater(a, b *Tensor) *Tensor { return binaryOp("tensor.Greater", OpGreater, a, b, 0) }

// Equal returns 1 where a == b and 0 elsewhere, with broadcasting.
func Equal(a, b *Tensor) *Tensor { return binaryOp("tensor.Equal", OpEqual, a, b, 0) }

// LeakyReluBackward returns the gradient of LeakyRelu(x, slope) given the output gradient g:
// g where x > 0, slope*g elsewhere (slope 0 is ReLU's gradient).
func LeakyReluBackward(g, x *Tensor, slope float64) *Tensor {
	sameShapes("tensor.LeakyReluBackward", g, x)
	return binaryOp("tensor.LeakyReluBackward", OpLeakyReluBackward, g, x, slope)
}

// AddInPlace adds src into dst (dst += src); src must broadcast to dst's shape. Gradient
// accumulation uses it to avoid a new buffer per contribution.
func AddInPlace(dst, src *Tensor) {
	const name = "tensor.AddInPlace"
	sameDevice(name, dst, src)
	sameDType(name, dst, src)
	if shape := BroadcastShapes(name, dst.shape, src.shape); !sameShape(shape, dst.shape) {
		panic(name + ": " + shapeString(src.shape) + " does not broadcast to " + shapeString(dst.shape))
	}
	dst.Backend().Binary(OpAdd, dst.storage, dst.storage, src.storage, dst.shape,
		ContiguousStrides(dst.shape), broadcastStrides(src.shape, dst.shape), 0)
}
