package tensor

import "math"

// AllFinite reports whether every element of every tensor in ts is finite: no NaN, no +Inf, no
// -Inf (torch.isfinite(x).all() over all of them). It is true for no tensors and for empty ones.
// The tensors may live on different backends.
//
// A backend that implements FiniteChecker (the CPU) reads each tensor once, in place. One that
// implements NonFiniteFlagger (the GPUs) runs one kernel per tensor that raises a flag on the
// device, and AllFinite reads the flag once. On the others AllFinite is composed from the kernel
// contract: x·0 is 0 for a finite x and NaN for a
// NaN or an infinity, so the sum of x·0 over every element of every tensor of one backend is NaN
// exactly when one element is not finite. That costs a temporary as large as each tensor, but
// runs on the device and reads one number back per backend, however many tensors there are.
func AllFinite(ts ...*Tensor) bool {
	var totals map[Backend]*Tensor // per backend without FiniteChecker: the sum of x·0 so far
	type flagKey struct {
		b  Backend
		dt DType
	}
	var flags map[flagKey]*Tensor // per NonFiniteFlagger and dtype: 1 once a tensor had a NaN or infinity
	for _, t := range ts {
		b := t.Backend()
		if fc, ok := b.(FiniteChecker); ok {
			if !fc.AllFinite(t.storage) {
				return false
			}
			continue
		}
		if ff, ok := b.(NonFiniteFlagger); ok {
			if flags == nil {
				flags = map[flagKey]*Tensor{}
			}
			k := flagKey{b, t.dtype}
			if flags[k] == nil {
				flags[k] = New(b, t.dtype, 1)
			}
			ff.FlagNonFinite(flags[k].storage, t.storage)
			continue
		}
		if totals == nil {
			totals = map[Backend]*Tensor{}
		}
		s := sumTimesZero(t)
		if total, ok := totals[b]; ok {
			s = Add(total, s)
		}
		totals[b] = s
	}
	for _, flag := range flags {
		if flag.Item() != 0 {
			return false
		}
	}
	for _, total := range totals {
		if math.IsNaN(total.Item()) {
			return false
		}
	}
	return true
}

// sumTimesZero is Σ x·0 over every element of t as a one-element tensor on t's backend: 0 when
// every element is finite, NaN when one is not (a sum of zeros cannot overflow). The temporary
// x·0 is released as soon as the sum is queued.
func sumTimesZero(t *Tensor) *Tensor {
	zeros := Scale(t, 0)
	s := Sum(zeros, nil, false)
	Release(zeros)
	return s
}
