package device

import "sync"

// Registry memoizes a GPU package's backends by device index: opening a device twice returns the
// same backend, so that tensors made through either compare as on one device and the kernels are
// compiled once per process.
type Registry[B any] struct {
	mu     sync.Mutex
	opened map[int]B
}

// Open returns the backend of device index, calling open the first time (and again after a
// failure).
func (r *Registry[B]) Open(index int, open func() (B, error)) (B, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.opened[index]; ok {
		return b, nil
	}
	b, err := open()
	if err != nil {
		return b, err
	}
	if r.opened == nil {
		r.opened = map[int]B{}
	}
	r.opened[index] = b
	return b, nil
}
