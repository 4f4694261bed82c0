// Command mkdemo builds the small demo dataset bundled with the repository,
// data/demo/horse2zebra/{trainA,trainB,testA,testB}: 24 horses and 24 zebras for training and 4
// of each for testing, hand-picked from the horse2zebra set for a large, clearly visible animal,
// resized to 64x64 with imageio.ResizeBicubic (PIL's bicubic) and saved as JPEG quality 90.
//
// Run it from anywhere inside the repository:
//
//	go run ./internal/tools/mkdemo [-data datasets/horse2zebra] [-out data/demo/horse2zebra]
//
// -data defaults to the first copy of the full set that repo.Horse2Zebra finds ($ZEBRA_HORSE2ZEBRA,
// then datasets/horse2zebra). The output is deterministic: the same inputs give byte-identical files. Grayscale sources (two
// of the zebras) go through the loader's grayscale-to-RGB path and are saved as single-channel
// JPEGs again, so that training on the demo set exercises that path too.
package main
