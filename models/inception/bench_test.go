package inception

import (
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// BenchmarkFeatures299 times FeaturesOf on a batch of 8 images already at 299×299 (weights of
// zeros run at the speed of real ones: nothing in the forward depends on their values) and
// reports images per second:
//
//	go test ./models/inception -run '^$' -bench Features299 -benchtime 2x
func BenchmarkFeatures299(b *testing.B) {
	net := New()
	x := tensor.Uniform(tensor.NewRNG(1), tensor.Float32, 0, 1, 8, 3, InputSize, InputSize)
	FeaturesOf(net, x) // warm the buffer pools
	b.ResetTimer()
	for b.Loop() {
		FeaturesOf(net, x)
	}
	b.ReportMetric(float64(8*b.N)/b.Elapsed().Seconds(), "images/s")
}
