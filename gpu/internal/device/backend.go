package device

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/zebra-go/zebra/tensor"
)

// Backend implements tensor.Backend on a Driver. A GPU package embeds it in its own exported type
// and passes that type as owner, so that storage reports the type a user holds (tensors compare
// backends with ==).
type Backend struct {
	drv   Driver
	owner tensor.Backend
	pool  *pool

	launches, libraryGemms, uploads, downloads atomic.Uint64 // see Counters

	kernelsMu sync.Mutex
	kernels   map[string]uint64 // launches by kernel name, see LaunchesByKernel
}

// Counters counts what a backend has asked of its device since it was opened: the host-side
// costs of a workload (each launch costs the host microseconds, each download waits for the
// device), for profiles and benchmarks.
type Counters struct {
	Launches     uint64 // kernels launched, the own GEMM kernel's included
	LibraryGemms uint64 // products handed to the vendor library (cuBLAS)
	Uploads      uint64 // host-to-device copies
	Downloads    uint64 // device-to-host copies, each of which waits for the queued work
}

// LaunchesByKernel returns how many times each kernel has been launched, by name.
func (b *Backend) LaunchesByKernel() map[string]uint64 {
	b.kernelsMu.Lock()
	defer b.kernelsMu.Unlock()
	return maps.Clone(b.kernels)
}

// Counters returns the counts so far.
func (b *Backend) Counters() Counters {
	return Counters{Launches: b.launches.Load(), LibraryGemms: b.libraryGemms.Load(),
		Uploads: b.uploads.Load(), Downloads: b.downloads.Load()}
}

// New returns the backend of drv; owner is the tensor.Backend value that storage reports.
func New(drv Driver, owner tensor.Backend) *Backend {
	return &Backend{drv: drv, owner: owner, pool: newPool(drv)}
}

// Name is the driver's device name, e.g. "opencl:0".
func (b *Backend) Name() string { return b.drv.Name() }

// Driver returns the driver, for the GPU package that owns this backend.
func (b *Backend) Driver() Driver { return b.drv }

// MemStats reports the allocator's accounts.
func (b *Backend) MemStats() MemStats { return b.pool.stats() }

// Compile implements tensor.Compiler: it builds the kernels for dt now rather than on first use,
// returning the compiler's log if that fails (a missing float64 capability is an error too).
func (b *Backend) Compile(dt tensor.DType) error {
	if dt == tensor.Float64 && !b.drv.FP64() {
		return fmt.Errorf("%s: the device has no float64 support", b.Name())
	}
	return b.drv.Compile(dt)
}

// storage is a device buffer of n elements. Its allocation returns to the pool when the storage
// becomes garbage.
type storage struct {
	b       *Backend
	dtype   tensor.DType
	n       int
	mem     Mem
	class   int             // the allocation's size class in the pool
	cleanup runtime.Cleanup // returns mem to the pool when the storage becomes garbage
	freed   bool            // Release returned mem early
}

func (s *storage) Backend() tensor.Backend { return s.b.owner }
func (s *storage) DType() tensor.DType     { return s.dtype }
func (s *storage) Len() int                { return s.n }

// maxElements keeps every index the kernels compute inside a 32-bit int.
const maxElements = math.MaxInt32

func (b *Backend) Alloc(dt tensor.DType, n int) tensor.Storage {
	s := b.alloc("Alloc", dt, n)
	b.Fill(s, 0)
	return s
}

// AllocEmpty implements tensor.EmptyAllocator: Alloc without clearing, which saves a fill kernel
// for every output that its kernel overwrites (most of them: see tensor.Empty).
func (b *Backend) AllocEmpty(dt tensor.DType, n int) tensor.Storage {
	return b.alloc("AllocEmpty", dt, n)
}

// alloc takes storage for n elements of dt from the pool, its contents whatever they were.
func (b *Backend) alloc(op string, dt tensor.DType, n int) *storage {
	if n < 0 || n > maxElements {
		panic(fmt.Sprintf("%s.%s: %d elements (at most %d)", b.Name(), op, n, maxElements))
	}
	b.checkDType(op, dt)
	mem, class := b.pool.get(n * dt.Size())
	s := &storage{b: b, dtype: dt, n: n, mem: mem, class: class}
	p := b.pool
	s.cleanup = runtime.AddCleanup(s, func(mem Mem) { p.put(mem, class) }, mem)
	return s
}

// Release returns s's device memory to the allocator at once instead of when the garbage
// collector finds s unreachable: for large temporaries whose lifetime the caller knows (a
// convolution's columns), which would otherwise hold device memory until the next collection.
// Kernels already queued that use s still run correctly: every later use of the memory is queued
// after them. Using s afterwards panics.
func (b *Backend) Release(s tensor.Storage) {
	d := b.data("Release", s)
	d.cleanup.Stop()
	d.freed = true
	b.pool.put(d.mem, d.class)
}

// checkDType panics for dtypes the device cannot compute in.
func (b *Backend) checkDType(op string, dt tensor.DType) {
	switch dt {
	case tensor.Float32:
	case tensor.Float64:
		if !b.drv.FP64() {
			panic(fmt.Sprintf("%s.%s: dtype float64 is not supported by this device (no double precision); use float32 or the cpu backend", b.Name(), op))
		}
	default:
		panic(fmt.Sprintf("%s.%s: unsupported dtype %v", b.Name(), op, dt))
	}
}

// data returns the device storage behind s, panicking when it belongs to another backend.
func (b *Backend) data(op string, s tensor.Storage) *storage {
	ds, ok := s.(*storage)
	if !ok || ds.b != b {
		panic(fmt.Sprintf("%s.%s: given storage of backend %s", b.Name(), op, s.Backend().Name()))
	}
	if ds.freed {
		panic(fmt.Sprintf("%s.%s: given storage of %d %s elements after its Release", b.Name(), op, ds.n, ds.dtype))
	}
	return ds
}

func (b *Backend) Upload(dst tensor.Storage, src any) {
	d := b.data("Upload", dst)
	b.uploads.Add(1)
	switch src := src.(type) {
	case []float32:
		b.checkTransfer("Upload", d, tensor.Float32, len(src))
		if len(src) > 0 {
			b.drv.Write(d.mem, unsafe.Pointer(&src[0]), len(src)*4)
		}
	case []float64:
		b.checkTransfer("Upload", d, tensor.Float64, len(src))
		if len(src) > 0 {
			b.drv.Write(d.mem, unsafe.Pointer(&src[0]), len(src)*8)
		}
	default:
		panic(fmt.Sprintf("%s.Upload of %T", b.Name(), src))
	}
	runtime.KeepAlive(d)
}

func (b *Backend) Download(dst any, src tensor.Storage) {
	s := b.data("Download", src)
	b.downloads.Add(1)
	switch dst := dst.(type) {
	case []float32:
		b.checkTransfer("Download", s, tensor.Float32, len(dst))
		if len(dst) > 0 {
			b.drv.Read(unsafe.Pointer(&dst[0]), s.mem, len(dst)*4)
		}
	case []float64:
		b.checkTransfer("Download", s, tensor.Float64, len(dst))
		if len(dst) > 0 {
			b.drv.Read(unsafe.Pointer(&dst[0]), s.mem, len(dst)*8)
		}
	default:
		panic(fmt.Sprintf("%s.Download into %T", b.Name(), dst))
	}
	runtime.KeepAlive(s)
}

func (b *Backend) checkTransfer(op string, s *storage, dt tensor.DType, n int) {
	if s.dtype != dt || s.n != n {
		panic(fmt.Sprintf("%s.%s: %d %s host elements for %s[%d] storage", b.Name(), op, n, dt, s.dtype, s.n))
	}
}

// launch1D runs kernel name with one work-item per element of n, in work-groups of group.
func (b *Backend) launch1D(dt tensor.DType, name string, n int, args ...any) {
	if n == 0 {
		return
	}
	groups := (n + group - 1) / group
	b.launch(dt, name, [3]int{groups, 1, 1}, [3]int{group, 1, 1}, args...)
}

// group is the work-group size of the 1-D kernels (GROUP in kernels/common.cl).
const group = 256

// launch marshals args into kernel parameters and hands them to the driver. Storage becomes its
// allocation, an int an int32, a real (a float64 wrapped in real) the dtype's float, and a
// fixed-size struct of int32s its bytes. Storage is kept alive until the launch is queued, and
// the queue keeps the allocation from being reused while the kernel runs (see pool.put).
func (b *Backend) launch(dt tensor.DType, name string, groups, local [3]int, args ...any) {
	params := make([][]byte, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case *storage:
			params[i] = binary.LittleEndian.AppendUint64(nil, uint64(a.mem))
		case int:
			if a != int(int32(a)) {
				panic(fmt.Sprintf("%s: kernel %s: argument %d = %d overflows int32", b.Name(), name, i, a))
			}
			params[i] = binary.LittleEndian.AppendUint32(nil, uint32(int32(a)))
		case real:
			if dt == tensor.Float64 {
				params[i] = binary.LittleEndian.AppendUint64(nil, math.Float64bits(float64(a)))
			} else {
				params[i] = binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(a)))
			}
		case *stridesArg:
			params[i] = unsafe.Slice((*byte)(unsafe.Pointer(a)), unsafe.Sizeof(*a))
		case *convGeomArg:
			params[i] = unsafe.Slice((*byte)(unsafe.Pointer(a)), unsafe.Sizeof(*a))
		default:
			panic(fmt.Sprintf("device: kernel %s: argument %d of type %T", name, i, a))
		}
	}
	b.launches.Add(1)
	b.kernelsMu.Lock()
	if b.kernels == nil {
		b.kernels = map[string]uint64{}
	}
	b.kernels[name]++
	b.kernelsMu.Unlock()
	b.drv.Launch(dt, name, groups, local, params)
	runtime.KeepAlive(args)
}

// real is a kernel parameter of the program's real type.
type real float64

func (b *Backend) Fill(dst tensor.Storage, v float64) {
	d := b.data("Fill", dst)
	b.launch1D(d.dtype, "fill", d.n, d.n, real(v), d)
}

func (b *Backend) Cast(dst, src tensor.Storage) {
	d, s := b.data("Cast", dst), b.data("Cast", src)
	if d.n != s.n {
		panic(fmt.Sprintf("%s.Cast of %d elements into %d", b.Name(), s.n, d.n))
	}
	switch {
	case d.dtype == s.dtype:
		b.Copy(dst, 0, []int{1}, src, 0, []int{1}, []int{d.n})
	case d.dtype == tensor.Float64:
		b.launch1D(tensor.Float64, "cast_float_to_double", d.n, d.n, d, s)
	default:
		b.launch1D(tensor.Float64, "cast_double_to_float", d.n, d.n, d, s)
	}
}

// maxDims is MAX_DIMS in kernels/common.cl.
const maxDims = 8

// stridesArg is strides_t in kernels/common.cl.
type stridesArg struct {
	NDim             int32
	Shape            [maxDims]int32
	Stride0, Stride1 [maxDims]int32
}

func newStridesArg(op string, shape, s0, s1 []int) *stridesArg {
	if len(shape) > maxDims {
		panic(fmt.Sprintf("device: %s: %d dimensions that cannot be merged (at most %d)", op, len(shape), maxDims))
	}
	a := &stridesArg{NDim: int32(len(shape))}
	for d := range shape {
		a.Shape[d], a.Stride0[d], a.Stride1[d] = int32(shape[d]), int32(s0[d]), int32(s1[d])
	}
	return a
}

func (b *Backend) Copy(dst tensor.Storage, dstOff int, dstStrides []int, src tensor.Storage, srcOff int, srcStrides []int, shape []int) {
	d, s := b.data("Copy", dst), b.data("Copy", src)
	if d.dtype != s.dtype {
		panic(fmt.Sprintf("%s.Copy between dtypes %s and %s; use Cast", b.Name(), s.dtype, d.dtype))
	}
	n := tensor.Numel(shape)
	if n == 0 {
		return
	}
	shape, st := tensor.CollapseDims(shape, dstStrides, srcStrides)
	if len(shape) <= 3 {
		for len(shape) < 3 { // pad to three dimensions for copy_grid
			shape, st[0], st[1] = append([]int{1}, shape...), append([]int{0}, st[0]...), append([]int{0}, st[1]...)
		}
		if shape[0] <= maxGridDim && shape[1] <= maxGridDim {
			b.launch(d.dtype, "copy_grid", [3]int{(shape[2] + group - 1) / group, shape[1], shape[0]}, [3]int{group, 1, 1},
				newStridesArg("Copy", shape, st[0], st[1]), d, dstOff, s, srcOff)
			return
		}
	}
	b.launch1D(d.dtype, "copy_strided", n, n, newStridesArg("Copy", shape, st[0], st[1]), d, dstOff, s, srcOff)
}

// FlagNonFinite implements tensor.NonFiniteFlagger.
func (b *Backend) FlagNonFinite(flag, s tensor.Storage) {
	f, x := b.data("FlagNonFinite", flag), b.data("FlagNonFinite", s)
	if f.n != 1 || f.dtype != x.dtype {
		panic(fmt.Sprintf("%s.FlagNonFinite: flag %s[%d] for %s data", b.Name(), f.dtype, f.n, x.dtype))
	}
	b.launch1D(x.dtype, "flag_nonfinite", x.n, x.n, f, x)
}

func (b *Backend) Unary(op tensor.UnaryOp, dst, src tensor.Storage, param float64) {
	d, s := b.data("Unary", dst), b.data("Unary", src)
	if d.n != s.n || d.dtype != s.dtype {
		panic(fmt.Sprintf("%s.Unary %s: %s[%d] into %s[%d]", b.Name(), op, s.dtype, s.n, d.dtype, d.n))
	}
	b.launch1D(d.dtype, "unary", d.n, d.n, int(op), real(param), d, s)
}

func (b *Backend) Binary(op tensor.BinaryOp, dst, a, c tensor.Storage, shape, aStrides, bStrides []int, param float64) {
	d, x, y := b.data("Binary", dst), b.data("Binary", a), b.data("Binary", c)
	n := tensor.Numel(shape)
	if d.n != n || x.dtype != d.dtype || y.dtype != d.dtype {
		panic(fmt.Sprintf("%s.Binary %s: dst %s[%d] for shape %v, operands %s and %s", b.Name(), op, d.dtype, d.n, shape, x.dtype, y.dtype))
	}
	if n == 0 {
		return
	}
	cshape, st := tensor.CollapseDims(shape, tensor.ContiguousStrides(shape), aStrides, bStrides)
	if len(cshape) == 1 && st[0][0] == 1 && st[1][0] == 1 && st[2][0] == 1 {
		b.launch1D(d.dtype, "binary_contig", n, n, int(op), real(param), d, x, y)
		return
	}
	b.launch1D(d.dtype, "binary_strided", n, n, int(op), real(param), newStridesArg("Binary", cshape, st[1], st[2]), d, x, y)
}

func (b *Backend) Reduce(op tensor.ReduceOp, dst, src tensor.Storage, outer, mid, inner int) {
	d, s := b.data("Reduce", dst), b.data("Reduce", src)
	if s.n != outer*mid*inner || d.n != outer*inner || d.dtype != s.dtype {
		panic(fmt.Sprintf("%s.Reduce %s: [%d %d %d] from %d into %d elements", b.Name(), op, outer, mid, inner, s.n, d.n))
	}
	outputs := outer * inner
	switch {
	case outputs == 0:
	case mid == 0: // the identity of the reduction
		v := 0.0
		switch op {
		case tensor.ReduceMax:
			v = math.Inf(-1)
		case tensor.ReduceMin:
			v = math.Inf(1)
		}
		b.Fill(dst, v)
	case mid > 64 && outputs < 4096:
		// Few, long reductions: work-groups per output, and a second pass over their partial
		// results where a row took more than one.
		chunks := reduceChunks(outputs, mid)
		chunk := (mid + chunks - 1) / chunks
		chunks = (mid + chunk - 1) / chunk // no empty chunk at the end
		if chunks == 1 {
			b.launch(d.dtype, "reduce_groups", [3]int{outputs, 1, 1}, [3]int{group, 1, 1}, outer, mid, inner, int(op), 1, mid, d, s)
			return
		}
		part := b.alloc("Reduce", d.dtype, outputs*chunks)
		b.launch(d.dtype, "reduce_groups", [3]int{outputs * chunks, 1, 1}, [3]int{group, 1, 1}, outer, mid, inner, int(op), chunks, chunk, part, s)
		b.Reduce(op, dst, part, outputs, chunks, 1)
		b.Release(part)
	default:
		b.launch1D(d.dtype, "reduce_rows", outputs, outer, mid, inner, int(op), d, s)
	}
}

// reduceChunks is how many work-groups reduce each of outputs rows of mid elements: enough for
// about reduceGroups in all, which keeps every multiprocessor of a large GPU busy, but no chunk
// shorter than reduceMinChunk (eight elements per work-item), below which a second pass costs
// more than it spreads.
func reduceChunks(outputs, mid int) int {
	return max(1, min((reduceGroups+outputs-1)/outputs, mid/reduceMinChunk))
}

const (
	reduceGroups   = 1024
	reduceMinChunk = 8 * group
)

// GEMM tile geometry (GEMM_TILE and GEMM_THREADS in kernels/gemm.cl).
const (
	gemmTile    = 64
	gemmThreads = 16
	maxGridDim  = 65535 // CUDA's limit on the second and third grid dimensions
)

func (b *Backend) Gemm(g tensor.GemmArgs) {
	a, bb, c := b.data("Gemm", g.A), b.data("Gemm", g.B), b.data("Gemm", g.C)
	if a.dtype != c.dtype || bb.dtype != c.dtype {
		panic(fmt.Sprintf("%s.Gemm: dtypes %s, %s into %s", b.Name(), a.dtype, bb.dtype, c.dtype))
	}
	checkGemm(b.Name(), g)
	if g.M == 0 || g.N == 0 || g.Batch == 0 {
		return
	}
	if b.drv.Gemm(g, a.mem, bb.mem, c.mem) {
		b.libraryGemms.Add(1)
		runtime.KeepAlive(a)
		runtime.KeepAlive(bb)
		runtime.KeepAlive(c)
		return
	}
	// A batch that writes the same C every time is a sequence, not a parallel batch.
	batches := [][2]int{{0, g.Batch}}
	if g.StrideC == 0 && g.Batch > 1 {
		batches = batches[:0]
		for i := range g.Batch {
			batches = append(batches, [2]int{i, 1})
		}
	}
	trans := func(t bool) int {
		if t {
			return 1
		}
		return 0
	}
	for _, bt := range batches {
		for start := bt[0]; start < bt[0]+bt[1]; start += maxGridDim {
			count := min(maxGridDim, bt[0]+bt[1]-start)
			groups := [3]int{(g.N + gemmTile - 1) / gemmTile, (g.M + gemmTile - 1) / gemmTile, count}
			if groups[1] > maxGridDim {
				panic(fmt.Sprintf("%s.Gemm: M = %d is too large for one launch", b.Name(), g.M))
			}
			b.launch(c.dtype, "gemm", groups, [3]int{gemmThreads, gemmThreads, 1},
				g.M, g.N, g.K, trans(g.TransA), trans(g.TransB), real(g.Alpha), real(g.Beta),
				a, g.OffA+start*g.StrideA, g.LDA, g.StrideA,
				bb, g.OffB+start*g.StrideB, g.LDB, g.StrideB,
				c, g.OffC+start*g.StrideC, g.LDC, g.StrideC)
		}
	}
}

// checkGemm panics when a GEMM would read or write outside its buffers: the device would not.
func checkGemm(name string, g tensor.GemmArgs) {
	rowsA, colsA := g.M, g.K
	if g.TransA {
		rowsA, colsA = g.K, g.M
	}
	rowsB, colsB := g.K, g.N
	if g.TransB {
		rowsB, colsB = g.N, g.K
	}
	if g.M < 0 || g.N < 0 || g.K < 0 || g.Batch < 0 {
		panic(fmt.Sprintf("%s.Gemm: negative sizes in %+v", name, gemmShape(g)))
	}
	if g.M == 0 || g.N == 0 || g.Batch == 0 {
		return
	}
	// Leading dimensions matter only for matrices that have elements (K may be 0).
	if (g.K > 0 && (g.LDA < colsA || g.LDB < colsB)) || g.LDC < g.N {
		panic(fmt.Sprintf("%s.Gemm: leading dimensions too small in %+v", name, gemmShape(g)))
	}
	last := func(off, stride, rows, cols, ld int) int {
		if rows == 0 || cols == 0 {
			return off
		}
		return off + (g.Batch-1)*stride + (rows-1)*ld + cols
	}
	if g.OffA < 0 || g.OffB < 0 || g.OffC < 0 || g.StrideA < 0 || g.StrideB < 0 || g.StrideC < 0 ||
		last(g.OffA, g.StrideA, rowsA, colsA, g.LDA) > g.A.Len() ||
		last(g.OffB, g.StrideB, rowsB, colsB, g.LDB) > g.B.Len() ||
		last(g.OffC, g.StrideC, g.M, g.N, g.LDC) > g.C.Len() {
		panic(fmt.Sprintf("%s.Gemm: %+v reaches outside buffers of %d, %d and %d elements", name, gemmShape(g), g.A.Len(), g.B.Len(), g.C.Len()))
	}
}

// gemmShape is GemmArgs without its storage, for messages.
func gemmShape(g tensor.GemmArgs) tensor.GemmArgs {
	g.A, g.B, g.C = nil, nil, nil
	return g
}

// convGeomArg is conv_geom_t in kernels/conv.cl.
type convGeomArg struct {
	N, C, H, W, KH, KW, StrideH, StrideW, PadH, PadW, DilH, DilW, OH, OW int32
}

func newConvGeomArg(g tensor.ConvGeom) *convGeomArg {
	return &convGeomArg{int32(g.N), int32(g.C), int32(g.H), int32(g.W), int32(g.KH), int32(g.KW),
		int32(g.StrideH), int32(g.StrideW), int32(g.PadH), int32(g.PadW), int32(g.DilH), int32(g.DilW),
		int32(g.OH), int32(g.OW)}
}

func (b *Backend) checkConv(op string, cols, x *storage, g tensor.ConvGeom) {
	if x.n != g.N*g.C*g.H*g.W || cols.n != g.N*g.C*g.KH*g.KW*g.OH*g.OW || x.dtype != cols.dtype {
		panic(fmt.Sprintf("%s.%s: geometry %+v does not match %d image and %d column elements", b.Name(), op, g, x.n, cols.n))
	}
}

func (b *Backend) Im2col(cols, x tensor.Storage, g tensor.ConvGeom) {
	c, xs := b.data("Im2col", cols), b.data("Im2col", x)
	b.checkConv("Im2col", c, xs, g)
	positions, taps := g.OH*g.OW, g.KH*g.KW
	if c.n == 0 {
		return
	}
	arg := newConvGeomArg(g)
	forPlanes(g.N*g.C, func(plane0, planes int) {
		b.launch(c.dtype, "im2col", [3]int{(positions + group*im2colRun - 1) / (group * im2colRun), taps, planes}, [3]int{group, 1, 1},
			positions, plane0, arg, c, xs)
	})
}

// im2colRun is IM2COL_RUN in kernels/conv.cl: the positions each work-item of im2col writes.
const im2colRun = 4

// forPlanes calls launch for the planes [0, n) in runs of at most maxGridDim, the most a CUDA
// grid's y or z dimension holds.
func forPlanes(n int, launch func(plane0, planes int)) {
	for plane0 := 0; plane0 < n; plane0 += maxGridDim {
		launch(plane0, min(maxGridDim, n-plane0))
	}
}

func (b *Backend) Col2im(x, cols tensor.Storage, g tensor.ConvGeom) {
	xs, c := b.data("Col2im", x), b.data("Col2im", cols)
	b.checkConv("Col2im", c, xs, g)
	pixels := g.H * g.W
	if xs.n == 0 {
		return
	}
	arg := newConvGeomArg(g)
	forPlanes(g.N*g.C, func(plane0, planes int) {
		b.launch(xs.dtype, "col2im", [3]int{(pixels + group - 1) / group, planes, 1}, [3]int{group, 1, 1},
			pixels, plane0, arg, xs, c)
	})
}

func (b *Backend) checkPad(op string, padded, plain *storage, planes, h, w int, p tensor.Pad2d) {
	if p.Left >= w || p.Right >= w || p.Top >= h || p.Bottom >= h || min(p.Left, p.Right, p.Top, p.Bottom) < 0 {
		panic(fmt.Sprintf("%s.%s: pads %+v invalid for a %dx%d image", b.Name(), op, p, h, w))
	}
	oh, ow := h+p.Top+p.Bottom, w+p.Left+p.Right
	if plain.n != planes*h*w || padded.n != planes*oh*ow || plain.dtype != padded.dtype {
		panic(fmt.Sprintf("%s.%s: %d planes of %dx%d padded by %+v do not match %d and %d elements", b.Name(), op, planes, h, w, p, plain.n, padded.n))
	}
}

func (b *Backend) ReflectPad(dst, src tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	d, s := b.data("ReflectPad", dst), b.data("ReflectPad", src)
	b.checkPad("ReflectPad", d, s, planes, h, w, p)
	oh, ow := h+p.Top+p.Bottom, w+p.Left+p.Right
	b.launch1D(d.dtype, "reflect_pad", d.n, d.n, h, w, p.Top, p.Left, oh, ow, d, s)
}

func (b *Backend) ReflectPadBackward(dx, dy tensor.Storage, planes, h, w int, p tensor.Pad2d) {
	x, y := b.data("ReflectPadBackward", dx), b.data("ReflectPadBackward", dy)
	b.checkPad("ReflectPadBackward", y, x, planes, h, w, p)
	b.launch1D(x.dtype, "reflect_pad_backward", x.n, x.n, h, w, p.Top, p.Bottom, p.Left, p.Right, x, y)
}

func (b *Backend) InstanceNormForward(y, mean, rstd, x tensor.Storage, planes, size int, eps float64) {
	ys, ms, rs, xs := b.data("InstanceNormForward", y), b.data("InstanceNormForward", mean), b.data("InstanceNormForward", rstd), b.data("InstanceNormForward", x)
	if xs.n != planes*size || ys.n != xs.n || ms.n != planes || rs.n != planes || !sameDType(xs, ys, ms, rs) {
		panic(fmt.Sprintf("%s.InstanceNormForward: %d planes of %d do not match buffers", b.Name(), planes, size))
	}
	if planes == 0 {
		return
	}
	b.launch(xs.dtype, "instance_norm_forward", [3]int{planes, 1, 1}, [3]int{group, 1, 1}, size, real(eps), ys, ms, rs, xs)
}

func (b *Backend) InstanceNormBackward(dx, dy, x, mean, rstd tensor.Storage, planes, size int) {
	op := "InstanceNormBackward"
	dxs, dys, xs, ms, rs := b.data(op, dx), b.data(op, dy), b.data(op, x), b.data(op, mean), b.data(op, rstd)
	if xs.n != planes*size || dxs.n != xs.n || dys.n != xs.n || ms.n != planes || rs.n != planes || !sameDType(xs, dxs, dys, ms, rs) {
		panic(fmt.Sprintf("%s.InstanceNormBackward: %d planes of %d do not match buffers", b.Name(), planes, size))
	}
	if planes == 0 {
		return
	}
	b.launch(xs.dtype, "instance_norm_backward", [3]int{planes, 1, 1}, [3]int{group, 1, 1}, size, dxs, dys, xs, ms, rs)
}

func (b *Backend) AdamStep(param, grad, m, v tensor.Storage, h tensor.AdamHyper) {
	p, g, ms, vs := b.data("AdamStep", param), b.data("AdamStep", grad), b.data("AdamStep", m), b.data("AdamStep", v)
	if g.n != p.n || ms.n != p.n || vs.n != p.n || !sameDType(p, g, ms, vs) {
		panic(fmt.Sprintf("%s.AdamStep: lengths %d, %d, %d, %d differ", b.Name(), p.n, g.n, ms.n, vs.n))
	}
	b.launch1D(p.dtype, "adam_step", p.n, p.n, real(h.Beta1), real(h.Beta2), real(1-h.Beta1), real(1-h.Beta2), real(h.Eps), real(h.WeightDecay),
		real(h.LR/h.BiasCorrection1), real(math.Sqrt(h.BiasCorrection2)), p, g, ms, vs)
}

func sameDType(ss ...*storage) bool {
	for _, s := range ss[1:] {
		if s.dtype != ss[0].dtype {
			return false
		}
	}
	return true
}
