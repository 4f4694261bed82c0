//go:build !amd64 || purego

package vec

// This build has no assembly: the Go twins do all the work.

var useAVX2 = false

func leakyReluBulk(dst, x []float32, slope float32) int            { return 0 }
func leakyReluBackwardBulk(dx, dy, x []float32, slope float32) int { return 0 }
func reluBulk(dst, x []float32) int                                { return 0 }
func tanhBulk(dst, x []float32) int                                { return 0 }
func binaryBulk(op binaryOp, dst, a, b []float32) int              { return 0 }
func axpyBulk(y, x []float32, alpha float32) int                   { return 0 }
func adamBulk(p, g, m, v []float32, c adamScalars) int             { return 0 }

func sum64Bulk(x []float32) (int, float64)                  { return 0, 0 }
func sumSqDev64Bulk(x []float32, mu float64) (int, float64) { return 0, 0 }
func normalize64Bulk(y, x []float32, mu, r float64) int     { return 0 }
func normGradSums64Bulk(dy, x []float32, mu, r float64) (int, float64, float64) {
	return 0, 0, 0
}
func normGradApply64Bulk(dx, dy, x []float32, mu, r, mg, mgx float64) int { return 0 }
func gatherEvenBulk(dst, src []float32) int                               { return 0 }
func scatterAddEvenBulk(dst, src []float32) int                           { return 0 }
