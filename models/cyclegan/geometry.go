package cyclegan

// The networks' geometry: which image sizes they take. The generator halves an image twice and
// doubles it back, so it wants multiples of 4 of at least MinTranslateSize (translate.go); the
// discriminator's stride-2 and stride-1 convolutions shrink it to its grid of patch scores, which
// must keep at least one score. The data pipeline (DataOptions.MinSize) and the trainer's options
// check sizes against MinImageSize.

// MinImageSize is the smallest image side the networks take with a discriminator of dLayers
// stride-2 layers: a multiple of 4 (the generator halves the size twice), at least
// MinTranslateSize (the residual blocks' padding), and large enough for the discriminator's last
// output to be at least 1x1. It returns 0 when no size up to MaxImageSize is enough.
func MinImageSize(dLayers int) int {
	for s := MinTranslateSize; s <= MaxImageSize; s += 4 {
		if discriminatorOutputSize(s, dLayers) >= 1 {
			return s
		}
	}
	return 0
}

// discriminatorOutputSize is the output side of NLayerDiscriminator for an input side s, or 0
// when a convolution would get less than its kernel: a 4x4 convolution with padding 1 maps s to
// ⌊(s + 2 − 4)/stride⌋ + 1, which is ⌊s/2⌋ for the stride-2 layers and s − 1 for the two
// stride-1 layers, and needs s ≥ 2.
func discriminatorOutputSize(s, dLayers int) int {
	for range dLayers {
		if s < 2 {
			return 0
		}
		s /= 2
	}
	for range 2 {
		if s < 2 {
			return 0
		}
		s--
	}
	return s
}
