package gemm

import (
	"testing"
)

// TestBlocksFor checks the cache rule: on the reference Zen 3 it returns the tuned blocks of
// each path unchanged, and elsewhere each block keeps its share of its cache level.
func TestBlocksFor(t *testing.T) {
	zen3 := caches{l1d: 32 << 10, l2: 512 << 10, l3: 32 << 20}
	if referenceCaches != zen3 {
		t.Fatalf("referenceCaches = %+v, want the Zen 3 the blocks were tuned on, %+v", referenceCaches, zen3)
	}
	// The blocks tuned on the reference machine, as the paths declare them.
	tuned := []struct {
		name   string
		mr, nr int
		b      blockSizes
	}{
		{"avx512 float32", 14, 32, blockSizes{mc: 336, kc: 256, nc: 3072, kcDirect: 384}},
		{"avx512 float64", 14, 16, blockSizes{mc: 168, kc: 256, nc: 2048, kcDirect: 256}},
		{"avx2 float32", 6, 16, blockSizes{mc: 192, kc: 256, nc: 3072, kcDirect: 768}},
		{"avx2 float64", 6, 8, blockSizes{mc: 96, kc: 256, nc: 2048, kcDirect: 384}},
		{"generic float32", 4, 4, blockSizes{mc: 128, kc: 256, nc: 1024, kcDirect: 256}},
		{"generic float64", 4, 4, blockSizes{mc: 64, kc: 256, nc: 1024, kcDirect: 256}},
	}
	for _, c := range tuned {
		got := blocksFor(c.b, c.mr, c.nr, zen3)
		if (blockSizes{got.mc, got.kc, got.nc, got.kcDirect}) != c.b || got.panelBytes != 256<<10 {
			t.Errorf("%s on the reference: %+v, want %+v and a 256 KiB panel", c.name, got, c.b)
		}
	}

	avx512 := tuned[0]
	for _, c := range []struct {
		what   string
		caches caches
		want   blockSizes
		panel  int
	}{
		// A Zen 4: L2 twice as large, so the A block takes twice as many rows.
		{"zen 4", caches{32 << 10, 1 << 20, 32 << 20}, blockSizes{mc: 672, kc: 256, nc: 3072, kcDirect: 384}, 512 << 10},
		// A 48 KiB L1d: deeper k blocks, and fewer rows and columns to keep A's and B's
		// blocks the same size in L2 and L3.
		{"48 KiB L1d", caches{48 << 10, 512 << 10, 32 << 20}, blockSizes{mc: 224, kc: 384, nc: 2048, kcDirect: 576}, 256 << 10},
		// A smaller L3 shrinks the B panel.
		{"8 MiB L3", caches{32 << 10, 512 << 10, 8 << 20}, blockSizes{mc: 336, kc: 256, nc: 768, kcDirect: 384}, 256 << 10},
		// An absurd L2 is held to four times the reference.
		{"1 GiB L2", caches{32 << 10, 1 << 30, 32 << 20}, blockSizes{mc: 1344, kc: 256, nc: 3072, kcDirect: 384}, 512 << 20},
	} {
		got := blocksFor(avx512.b, avx512.mr, avx512.nr, c.caches)
		if (blockSizes{got.mc, got.kc, got.nc, got.kcDirect}) != c.want || got.panelBytes != c.panel {
			t.Errorf("%s: %+v, want %+v with a %d-byte panel", c.what, got, c.want, c.panel)
		}
		if got.mc%avx512.mr != 0 || got.nc%avx512.nr != 0 || got.kc%8 != 0 {
			t.Errorf("%s: %+v: blocks are not whole tiles", c.what, got)
		}
	}
}

// TestMachineBlocks logs the caches read at start-up and the blocks every runnable path uses
// on this machine.
func TestMachineBlocks(t *testing.T) {
	c := machineCaches
	t.Logf("caches: L1d %d KiB, L2 %d KiB, L3 %d MiB", c.l1d>>10, c.l2>>10, c.l3>>20)
	for _, name := range Paths() {
		p := findPath(name)
		for _, im := range []struct {
			dt string
			t  tuning
		}{{"float32", p.s.tuning}, {"float64", p.d.tuning}} {
			tu := im.t
			if tu.mc <= 0 || tu.kc <= 0 || tu.nc <= 0 || tu.kcDirect <= 0 || tu.panelBytes <= 0 {
				t.Errorf("%s %s: %+v", name, im.dt, tu)
			}
			t.Logf("%s %s: mc %d, kc %d, nc %d, kcDirect %d, narrow panel %d KiB", name, im.dt, tu.mc, tu.kc, tu.nc, tu.kcDirect, tu.panelBytes>>10)
		}
	}
}
