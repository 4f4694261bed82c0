package tensor

import "testing"

// A released CPU buffer comes back from Empty of the same dtype and size, and the tensor that
// released it can no longer reach it.
func TestReleaseReusesBuffer(t *testing.T) {
	n := cpuPoolMinLen + 3
	a := New(CPU, Float32, n)
	buf := CPUFloat32s(a)
	buf[0] = 42
	Release(a)
	if a.storage.Len() != 0 {
		t.Fatalf("released storage still has %d elements", a.storage.Len())
	}
	if other := Empty(CPU, Float64, n); other.DType() != Float64 || other.Numel() != n {
		t.Fatalf("Empty float64: %s %v", other.DType(), other.Shape())
	}
	b := Empty(CPU, Float32, 1, n)
	if &CPUFloat32s(b)[0] != &buf[0] {
		t.Fatal("Empty did not reuse the released buffer")
	}
	if got := b.Shape(); len(got) != 2 || got[0] != 1 || got[1] != n {
		t.Fatalf("shape %v", got)
	}
	if c := Empty(CPU, Float32, n); &CPUFloat32s(c)[0] == &buf[0] {
		t.Fatal("one released buffer handed out twice")
	}
	// A stray use of the released tensor panics instead of reading b's data.
	defer func() {
		if recover() == nil {
			t.Fatal("use after Release did not panic")
		}
	}()
	Add(a, a)
}

// The pool keeps small buffers out, and of one size at most cpuPoolPerSize: several of the
// smallest it takes, one of a size larger than its per-size budget.
func TestReleaseLimits(t *testing.T) {
	small := New(CPU, Float32, 10)
	Release(small)
	if cpuPool.get(Float32, 10) != nil {
		t.Error("a small buffer was pooled")
	}
	for _, n := range []int{cpuPoolMinLen + 5, cpuPoolSizeBytes/4 + 1} {
		want := cpuPoolPerSize(4 * n)
		if n == cpuPoolMinLen+5 && want < 2 || n > cpuPoolMinLen+5 && want != 1 {
			t.Fatalf("%d float32s: the pool keeps %d of them; the test expects several of the smallest size and one above the budget", n, want)
		}
		for range want + 2 {
			Release(New(CPU, Float32, n))
		}
		got := 0
		for cpuPool.get(Float32, n) != nil {
			got++
		}
		if got != want {
			t.Errorf("pool kept %d buffers of %d float32s, want %d", got, n, want)
		}
	}
}

// DropPooled empties the pool: a buffer released before it is not handed out after it.
func TestDropPooled(t *testing.T) {
	n := cpuPoolMinLen + 5
	a := New(CPU, Float32, n)
	buf := CPUFloat32s(a)
	Release(a)
	DropPooled()
	if b := Empty(CPU, Float32, n); &CPUFloat32s(b)[0] == &buf[0] {
		t.Fatal("Empty handed out a buffer released before DropPooled")
	}
	cpuPool.mu.Lock()
	defer cpuPool.mu.Unlock()
	if cpuPool.bytes != 0 || len(cpuPool.free) != 0 {
		t.Fatalf("pool after DropPooled: %d bytes in %d sizes", cpuPool.bytes, len(cpuPool.free))
	}
}
