package autograd

import (
	"slices"

	"github.com/zebra-go/zebra/tensor"
)

// pendingGradients holds the gradients on their way down during one backward pass, one per
// edge whose consumers have run but which has not run itself, and recycles the ones that are used up.
//
// Recycling hands a dead gradient back to its backend (tensor.Release) as soon as it has been summed
// into another or passed down, so that on the CPU the next gradients of the same size reuse its
// buffer instead of fresh, zeroed memory (a released CPU buffer is not cleared; a stray later use of
// a released tensor panics instead of reading someone else's data).
//
// The one rule: a tensor is released only if no gradient that can still be read shares its
// storage. An op's backward may return its incoming gradient, or a view of it, for an input, and
// the same gradient for several inputs, so a dead tensor can share storage with a pending gradient,
// with another dead tensor (each storage is released once) or with the caller's seed (which is never
// released: the caller owns it).
type pendingGradients struct {
	seed    *tensor.Tensor
	pending map[edge]*tensor.Tensor
	dead    []*tensor.Tensor // used up since the last releaseDead
}

// newPendingGradients starts a backward pass from output v with the caller's gradient seed.
func newPendingGradients(v edge, seed *tensor.Tensor) *pendingGradients {
	return &pendingGradients{seed: seed, pending: map[edge]*tensor.Tensor{v: seed}}
}

// take removes v's gradient and returns it (nil when nothing reached v). It is dead from then on:
// the caller uses it before the next releaseDead.
func (p *pendingGradients) take(v edge) *tensor.Tensor {
	g := p.pending[v]
	delete(p.pending, v)
	if g != nil {
		p.dead = append(p.dead, g)
	}
	return g
}

// add sums g into v's pending gradient. When v has one already, both summands are dead.
func (p *pendingGradients) add(v edge, g *tensor.Tensor) {
	prev, ok := p.pending[v]
	if !ok {
		p.pending[v] = g
		return
	}
	p.pending[v] = tensor.Add(prev, g)
	p.dead = append(p.dead, prev, g)
}

// releaseDead releases the dead tensors that the rule allows, each storage once.
func (p *pendingGradients) releaseDead() {
	for k, t := range p.dead {
		sameStorage := func(u *tensor.Tensor) bool { return u.Storage() == t.Storage() }
		if sameStorage(p.seed) || slices.ContainsFunc(p.dead[:k], sameStorage) || p.pendingShares(t) {
			continue
		}
		tensor.Release(t)
	}
	p.dead = p.dead[:0]
}

// pendingShares reports whether a pending gradient shares t's storage.
func (p *pendingGradients) pendingShares(t *tensor.Tensor) bool {
	for _, g := range p.pending {
		if g.Storage() == t.Storage() {
			return true
		}
	}
	return false
}
