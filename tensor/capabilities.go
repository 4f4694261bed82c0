package tensor

// The optional capabilities of a Backend. Each is a small interface that a backend implements
// when it can do more than the contract asks (see Backend); the code that uses one asserts the
// declared interface, so that a reader finds every such behaviour here, and the conformance suite
// (tensor/backendtest) checks each one a backend implements. Convolver, the largest, and
// ReflectConvolver sit with the convolution planning in conv.go.

// Releaser is implemented by backends that can reuse a buffer as soon as its owner says it is
// dead, instead of when the garbage collector finds it (the CPU's buffer pool; the GPU backends'
// device allocators). Release is how to call it.
type Releaser interface {
	// Release tells the backend that s will not be read or written again. A later Alloc may
	// return its memory, zeroed as Alloc promises; an AllocEmpty may return it as it is.
	Release(s Storage)
}

// EmptyAllocator is implemented by backends that can hand out storage without clearing it (the
// CPU backend, which reuses released buffers). Empty is how to call it; elsewhere Empty is New.
type EmptyAllocator interface {
	// AllocEmpty returns storage for n elements of dt whose contents are unspecified: the
	// caller overwrites every element before reading any.
	AllocEmpty(dt DType, n int) Storage
}

// Synchronizer is implemented by backends whose kernel calls return as soon as the kernel is
// queued (the GPU backends): a timing must wait for the queue to drain. gpu.Synchronize calls it.
type Synchronizer interface {
	// Synchronize returns when every kernel queued so far has run.
	Synchronize()
}

// Compiler is implemented by backends that compile their kernels at run time, on first use (the
// GPU backends): a tool can compile them ahead of time and report a broken driver early.
type Compiler interface {
	// Compile builds the kernels for dt now, returning the compiler's log, or an error saying
	// the device has no dt, if that fails.
	Compile(dt DType) error
}

// Im2colGemmer is implemented by backends whose GEMM can read B as the im2col matrix of an image
// without building it (the CPU backend). A convolution then skips writing its column matrix,
// KH·KW times the input's size, and reading it back. Backends without it get Im2col + Gemm.
type Im2colGemmer interface {
	// GemmIm2col is Gemm(g) where batch item i's B, as stored, is the im2col matrix
	// [C·KH·KW, OH·OW] of image i of x, the images being C×H×W from element offX on; g.TransB
	// reads it transposed, as Gemm would. g's B, OffB, LDB and StrideB are ignored.
	GemmIm2col(g GemmArgs, x Storage, offX int, geom ConvGeom)
}

// FiniteChecker is implemented by backends that can tell whether a buffer holds a NaN or an
// infinity by reading it once, in place (the CPU backend). A trainer checks every weight and
// optimizer moment after each step; without it, AllFinite computes Sum(Scale(x, 0)), which
// writes a temporary as large as x and reads it back.
type FiniteChecker interface {
	// AllFinite reports whether no element of s is NaN, +Inf or -Inf (true when s is empty).
	AllFinite(s Storage) bool
}

// NonFiniteFlagger is implemented by backends that can check a buffer for NaNs and infinities on
// the device without reading anything back (the GPU backends). AllFinite then checks any number
// of tensors with one kernel each and one read at the end, where FiniteChecker's answer per
// tensor would wait for the device once per tensor, and Σ x·0 would cost a temporary as large as
// each tensor and three kernels.
type NonFiniteFlagger interface {
	// FlagNonFinite sets flag, one element of s's dtype, to 1 if an element of s is NaN, +Inf or
	// -Inf, and leaves it as it was otherwise.
	FlagNonFinite(flag, s Storage)
}

// The CPU backend's capabilities, checked at compile time.
var (
	_ Releaser         = cpuBackend{}
	_ EmptyAllocator   = cpuBackend{}
	_ Im2colGemmer     = cpuBackend{}
	_ Convolver        = cpuBackend{}
	_ ReflectConvolver = cpuBackend{}
	_ FiniteChecker    = cpuBackend{}
)
