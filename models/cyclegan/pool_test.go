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
		if got := p.Query(poolImage(float64(i)), 0, []int{i}).Item(); got != float64(i) {
			t.Fatalf("query %d while filling returned %g", i, got)
		}
	}
	stored := map[float64]bool{0: true, 1: true, 2: true, 3: true, 4: true}
	fromHistory := 0
	const queries = 2000
	for i := size; i < size+queries; i++ {
		got := p.Query(poolImage(float64(i)), 0, []int{i}).Item()
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
	if got := NewImagePool(0, 1).Query(poolImage(7), 0, []int{0}).Item(); got != 7 {
		t.Errorf("a pool of size 0 returned %g for 7", got)
	}
}

// TestImagePoolState: a pool restored from State answers every later query as the original does:
// a per-sample pool built with the same seed (which the trainer's options give), and a sequential
// one whatever the seed it was built with (its generator's state is saved). A state of one kind
// does not load into a pool of the other.
func TestImagePoolState(t *testing.T) {
	for _, c := range []struct {
		name       string
		make       func(size int, seed uint64) *ImagePool
		loadedSeed uint64
	}{{"per-sample", NewImagePool, 9}, {"sequential", newSequentialImagePool, 12345}} {
		p := c.make(4, 9)
		for i := range 10 {
			p.Query(poolImage(float64(i)), 0, []int{i})
		}
		tensors, meta := p.State()
		q := c.make(4, c.loadedSeed)
		if err := q.LoadState(tensors, meta); err != nil {
			t.Fatal(err)
		}
		for i := 10; i < 100; i++ {
			a, b := p.Query(poolImage(float64(i)), 1, []int{i}).Item(), q.Query(poolImage(float64(i)), 1, []int{i}).Item()
			if a != b {
				t.Fatalf("%s: query %d: original returned %g, restored %g", c.name, i, a, b)
			}
		}
		if err := c.make(3, 9).LoadState(tensors, meta); err == nil {
			t.Errorf("%s: a pool of size 3 accepted the state of a pool of size 4", c.name)
		}
	}
	perSample, _ := NewImagePool(2, 1).State()
	_, sequentialMeta := newSequentialImagePool(2, 1).State()
	_, perSampleMeta := NewImagePool(2, 1).State()
	if err := NewImagePool(2, 1).LoadState(perSample, sequentialMeta); err == nil {
		t.Error("a per-sample pool accepted a sequential pool's state")
	}
	if err := newSequentialImagePool(2, 1).LoadState(perSample, perSampleMeta); err == nil {
		t.Error("a sequential pool accepted a state without a generator")
	}
}

// TestImagePoolPerSample: a full pool's answer for an image depends on the pool's contents and the
// image's sample (epoch and index), not on how the images are batched nor on the queries before:
// one query of a batch of four equals four queries of one, and the draws of a sample can be
// replayed on a copy of the pool.
func TestImagePoolPerSample(t *testing.T) {
	fill := func() *ImagePool {
		p := NewImagePool(3, 5)
		p.Query(tensor.Concat([]*tensor.Tensor{poolImage(100), poolImage(101), poolImage(102)}, 0), 0, []int{0, 1, 2})
		return p
	}
	batched, single := fill(), fill()
	indices := []int{7, 8, 9, 10}
	var images []*tensor.Tensor
	for _, i := range indices {
		images = append(images, poolImage(float64(i)))
	}
	got := batched.Query(tensor.Concat(images, 0), 3, indices).Float32s()
	fromHistory := 0
	for k, i := range indices {
		want := single.Query(images[k], 3, []int{i}).Item()
		if float64(got[k]) != want {
			t.Fatalf("sample %d: %g in a batch of four, %g alone", i, got[k], want)
		}
		if want != float64(i) {
			fromHistory++
		}
	}
	t.Logf("%d of 4 answers came from the history", fromHistory)
	// Another epoch, same indices: other draws (with 16 draws, all equal would be a 2^-16 chance).
	same := true
	a, b := fill(), fill()
	for i := range 16 {
		x := a.Query(poolImage(float64(200+i)), 0, []int{i}).Item()
		y := b.Query(poolImage(float64(200+i)), 1, []int{i}).Item()
		same = same && x == y
	}
	if same {
		t.Error("epochs 0 and 1 gave the same pool draws for 16 samples")
	}
}
