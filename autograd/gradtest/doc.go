// Package gradtest draws float64 inputs for gradient checks (autograd.GradCheck): random values
// placed where the function under test is smooth.
//
// A central difference with step eps that straddles a kink (ReLU or |x| at 0, a tie in a max)
// measures the average of the two one-sided slopes, not the derivative that the backward returns,
// and a check fails for no fault of the op. These helpers keep inputs away from such points, so
// that a failing check always means a wrong backward. The autograd tests and cmd/gradcheck use
// them; layer checks can too.
package gradtest
