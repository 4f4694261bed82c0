// Package imageio turns image files into the 8-bit RGB pixels that the CycleGAN data pipeline
// feeds to the network, and turns network outputs back into files.
//
// The pipeline mirrors the official PyTorch implementation step by step: Load decodes a
// .jpg/.jpeg/.png file, ToRGB does what PIL's Image.convert("RGB") does (grayscale becomes three
// equal channels, alpha is dropped), ResizeBicubic reproduces PIL's Image.resize with
// Image.BICUBIC (the antialiased filter torchvision's Resize uses on PIL images), Crop and FlipLR
// are the random crop and flip, and ToCHW scales to [-1, 1] like ToTensor followed by
// Normalize(0.5, 0.5). FromCHW is the official tensor2im, and SavePNG writes the result
// atomically. Every image this package returns is an opaque *image.RGBA whose bounds start at
// (0, 0); the functions that take an *image.RGBA read its R, G and B bytes and ignore alpha.
//
// Nothing here knows about tensors: callers copy the []float32 of ToCHW into whatever they use.
// The functions keep no state and never modify their inputs, so background goroutines may
// call them concurrently.
package imageio
