//go:build !amd64 || purego

package vec

// This build has no assembly: the Go twins do all the work.

var useAVX2 = false

func leakyReluBulk(dst, x []float32, slope float32) int            { return 0 }
func leakyReluBackwardBulk(dx, dy, x []float32, slope float32) int { return 0 }
func reluBulk(dst, x []float32) int                                { return 0 }
func binaryBulk(op binaryOp, dst, a, b []float32) int              { return 0 }
func axpyBulk(y, x []float32, alpha float32) int                   { return 0 }
func adamBulk(p, g, m, v []float32, c adamScalars) int             { return 0 }
