package cyclegan

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// image returns a [1, 1, 1, 1] tensor holding v, so that a returned image says which it is.
func poolImage(v float64) *tensor.Tensor { return tensor.Full(tensor.Float32, v, 1, 1, 1, 1) }

// TestImagePool checks the official semantics: the first Size queries store and return the new
// image; afterwards about half the queries return a stored image (which the new one replaces)
// and the rest the new image; every returned image is the new one or one stored before.
func TestImagePool(t *testing.T) {
	const size = 5
	p := NewImagePool(size, 1)
	for i := range size {
		if got := p.Query(poolImage(float64(i))).Item(); got != float64(i) {
			t.Fatalf("query %d while filling returned %g", i, got)
		}
	}
	stored := map[float64]bool{0: true, 1: true, 2: true, 3: true, 4: true}
	fromHistory := 0
	const queries = 2000
	for i := size; i < size+queries; i++ {
		got := p.Query(poolImage(float64(i))).Item()
		switch {
		case got == float64(i):
		case stored[got]:
			fromHistory++
			delete(stored, got)
			stored[float64(i)] = true
		default:
			t.Fatalf("query %d returned %g, neither the new image nor a stored one", i, got)
		}
		if p.Len() != size {
			t.Fatalf("pool holds %d images, want %d", p.Len(), size)
		}
	}
	if fromHistory < queries*45/100 || fromHistory > queries*55/100 {
		t.Errorf("%d of %d queries returned a stored image, want about half", fromHistory, queries)
	}
	// Size 0 passes images through.
	if got := NewImagePool(0, 1).Query(poolImage(7)).Item(); got != 7 {
		t.Errorf("a pool of size 0 returned %g for 7", got)
	}
}

// TestImagePoolState: a pool restored from State answers every later query as the original does.
func TestImagePoolState(t *testing.T) {
	p := NewImagePool(4, 9)
	for i := range 10 {
		p.Query(poolImage(float64(i)))
	}
	tensors, meta := p.State()
	q := NewImagePool(4, 12345)
	if err := q.LoadState(tensors, meta); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 100; i++ {
		a, b := p.Query(poolImage(float64(i))).Item(), q.Query(poolImage(float64(i))).Item()
		if a != b {
			t.Fatalf("query %d: original returned %g, restored %g", i, a, b)
		}
	}
	if err := NewImagePool(3, 1).LoadState(tensors, meta); err == nil {
		t.Error("a pool of size 3 accepted the state of a pool of size 4")
	}
}
