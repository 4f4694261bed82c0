package gemm

import "github.com/klauspost/cpuid/v2"

// tuning is one path's blocking and the switches of the driver's strategies: a value that each
// impl carries, so that a test or a tuning experiment copies it, changes a field and runs a
// product on the copy (impl.tuned) while every other product keeps the path's own.
type tuning struct {
	// Block sizes: an mc×kc block of A lives in L2, a kc×nr sliver of B in L1, a kc×nc panel
	// of B in L3. kcDirect is the k-block depth when A is read in place (there is no A block
	// to fit in L2). panelBytes caps the narrow B panel of a product with a single block of A
	// rows (see panelWidth). All come from the caches (blocksFor).
	mc, kc, nc int
	kcDirect   int
	panelBytes int

	// Packing A costs one pass over it, which pays off only when the packed block serves many
	// B slivers. Up to directATiles slivers of C columns, the kernels read a row-major A in
	// place (measured with the tune tests on the im2col shapes: 10-25% faster for n <= 256).
	// Row strides that are a multiple of 4 KiB map the MR rows onto one L1 set and halve the
	// kernel's speed, so such A is always packed. A transposed A is packed by a cheap
	// contiguous copy, so it is read in place only for tiny n (directATransTiles). B is read in
	// place only when A is so short that few tiles share it (directBTiles tiles of rows).
	directATiles, directATransTiles, directBTiles int

	// alongRows lets tiles flip its loop order (see tiles), padC lets padsC choose the padded
	// copy of C, prefetchNextSliver lets tiles prefetch the next B sliver, keepPackedA lets
	// keepsA keep a packed A across B panels, edgeTiles lets edgeTile compute a ragged tile
	// with the path's smaller kernels. Each is on; the tests and the tuning experiments turn
	// one off to compare.
	alongRows, padC, prefetchNextSliver, keepPackedA, edgeTiles bool
}

// blockSizes are the cache blocks of one path's kernels as tuned on the reference machine
// (referenceCaches).
type blockSizes struct{ mc, kc, nc, kcDirect int }

// caches are the data cache sizes of one core, in bytes: L1d and L2 per core, L3 as cpuid
// reports it (the cache a core shares with its neighbours).
type caches struct{ l1d, l2, l3 int }

// referenceCaches are those of the machine the block sizes were tuned on, an AMD Zen 3 core:
// 32 KiB L1d, 512 KiB L2, 32 MiB L3. The narrow B panel's budget (panelWidth) was half of that
// L2, 256 KiB.
var referenceCaches = caches{l1d: 32 << 10, l2: 512 << 10, l3: 32 << 20}

// machineCaches are this machine's, read once at start-up; a size cpuid cannot tell (a
// non-x86 CPU, a hypervisor that hides it) is taken to be the reference's.
var machineCaches = func() caches {
	c := referenceCaches
	if l1 := cpuid.CPU.Cache.L1D; l1 > 0 {
		c.l1d = l1
	}
	if l2 := cpuid.CPU.Cache.L2; l2 > 0 {
		c.l2 = l2
	}
	if l3 := cpuid.CPU.Cache.L3; l3 > 0 {
		c.l3 = l3
	}
	return c
}()

// blocksFor returns the tuning of a path with mr×nr tiles whose blocks b were tuned on the
// reference machine, for a machine with caches c, with every strategy switch on.
//
// The rule keeps each block's share of its cache level what it was on the reference machine:
//
//	kc       scales with L1d: the kc×nr B sliver stays the same share of L1 (kcDirect follows kc)
//	mc       scales with L2 / (kc's factor): the mc×kc A block stays the same share of L2
//	nc       scales with L3 / (kc's factor): the kc×nc B panel stays the same share of L3
//	panel    half of L2
//
// rounded down to whole units (kc to 8, mc to mr, nc to nr rows or columns). On the reference
// caches every factor is 1 and the tuned values come back unchanged. Each factor is held
// within [1/4, 4], so that a misreported cache cannot make a block absurd; machines much
// farther from the reference need tuning of their own (internal/gemm/tune*_test.go).
func blocksFor(b blockSizes, mr, nr int, c caches) tuning {
	ref := referenceCaches
	l1 := factor(c.l1d, ref.l1d)
	kc := roundDown(float64(b.kc)*l1, 8)
	kcFactor := float64(kc) / float64(b.kc)
	return tuning{
		kc:         kc,
		kcDirect:   roundDown(float64(b.kcDirect)*l1, 8),
		mc:         roundDown(float64(b.mc)*factor(c.l2, ref.l2)/kcFactor, mr),
		nc:         roundDown(float64(b.nc)*factor(c.l3, ref.l3)/kcFactor, nr),
		panelBytes: c.l2 / 2,

		directATiles: 16, directATransTiles: 4, directBTiles: 4,
		alongRows: true, padC: true, prefetchNextSliver: true, keepPackedA: true, edgeTiles: true,
	}
}

// factor is have/want, held within [1/4, 4].
func factor(have, want int) float64 {
	return min(max(float64(have)/float64(want), 0.25), 4)
}

// roundDown rounds x down to a multiple of unit, and to at least one unit.
func roundDown(x float64, unit int) int {
	return max(unit, int(x)/unit*unit)
}

// tuned returns a copy of im, the same kernels with tuning t, and a workspace pool of its own.
func (im *impl[T]) tuned(t tuning) *impl[T] {
	return &impl[T]{mr: im.mr, nr: im.nr, strip: im.strip, rows: im.rows, column: im.column,
		transpose: im.transpose, deal: im.deal, prefetch: im.prefetch, edge: im.edge, tuning: t}
}
