package autograd

import "fmt"

// Transpose swaps dimensions d0 and d1 (negative values count from the end). It is a Permute and
// needs no backward of its own.
func Transpose(x *Var, d0, d1 int) *Var {
	n := len(x.Shape())
	a, b := d0, d1
	if a < 0 {
		a += n
	}
	if b < 0 {
		b += n
	}
	if a < 0 || a >= n || b < 0 || b >= n {
		panic(fmt.Sprintf("autograd.Transpose: dimensions %d and %d out of range for shape %v", d0, d1, x.Shape()))
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	perm[a], perm[b] = perm[b], perm[a]
	return Permute(x, perm...)
}
