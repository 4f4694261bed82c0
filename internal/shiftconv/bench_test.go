package shiftconv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchGeoms are CycleGAN's first and last generator layers (7×7 after a reflection pad of 3,
// so pad 0 here) at make demo's size (64x64, 16 channels) and the paper's (256x256, 64).
var benchGeoms = []Geom{
	{N: 1, C: 3, H: 70, W: 70, Cout: 16, KH: 7, KW: 7},
	{N: 1, C: 16, H: 70, W: 70, Cout: 3, KH: 7, KW: 7},
	{N: 1, C: 3, H: 262, W: 262, Cout: 64, KH: 7, KW: 7},
	{N: 1, C: 64, H: 262, W: 262, Cout: 3, KH: 7, KW: 7},
}

// BenchmarkPasses times Forward and Weight on every path for benchGeoms, and reports GFLOP/s
// counted as the convolution's 2·Cout·C·KH·KW·OH·OW (the garbage columns are not counted).
func BenchmarkPasses(b *testing.B) {
	for _, name := range Paths() {
		prev := SetPath(name)
		for _, g := range benchGeoms {
			rng := rand.New(rand.NewPCG(1, 2))
			x := normals(rng, g.N*g.C*g.H*g.W)
			w := normals(rng, g.Cout*g.C*g.KH*g.KW)
			y := normals(rng, g.N*g.Cout*g.OutH()*g.OutW())
			flops := 2 * float64(g.N*g.Cout*g.C*g.KH*g.KW*g.OutH()*g.OutW())
			label := fmt.Sprintf("%s/%d->%d_%dx%d_%dx%d", name, g.C, g.Cout, g.KH, g.KW, g.OutH(), g.OutW())
			fws, wws := make([]float32, ForwardWorkspace(g)), make([]float32, WeightWorkspace(g))
			b.Run("Forward/"+label, func(b *testing.B) {
				for b.Loop() {
					Forward(y, x, w, nil, g, fws)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			b.Run("Weight/"+label, func(b *testing.B) {
				for b.Loop() {
					Weight(w, y, x, g, wws)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		SetPath(prev)
	}
}
