// Command cyclegan trains CycleGAN on two folders of unpaired images and translates images with a
// trained model, in pure Go.
//
// Usage:
//
//	cyclegan train [flags]                        train (or -resume) a model; see cyclegan train -h
//	cyclegan translate -checkpoint F [flags] IN…  translate images or folders of images
//	cyclegan download [-dir datasets] NAME        fetch a CycleGAN dataset (horse2zebra, …)
//	cyclegan download-model [-dir pretrained] NAME  fetch one of the authors' pretrained generators
//	cyclegan export -checkpoint F -out G [flags]  write the networks alone (zebra, ONNX or safetensors)
//	cyclegan serve -checkpoint F [-addr A]        serve the generators over HTTP, with a web page
//	cyclegan eval -inception W -real D -fake D    FID and KID of two folders (or -checkpoint F -dataroot D)
//	cyclegan version                              module version, VCS revision, Go version, SIMD path
//
// A quick start on the small bundled dataset (a few minutes on two cores):
//
//	make demo        # or: go run ./cmd/cyclegan train -name demo (with the demo's flags)
//
// Training on the full horse2zebra dataset with the paper's settings:
//
//	cyclegan download horse2zebra                 # into datasets/horse2zebra
//	cyclegan train -dataroot datasets/horse2zebra -name horse2zebra
//	# Ctrl-C saves and prints how to continue; later:
//	cyclegan train -name horse2zebra -resume
//	cyclegan translate -checkpoint runs/horse2zebra/checkpoints/latest.safetensors -out zebras testA/
//
// Serving a trained model on http://127.0.0.1:8080/ (a page to try it; SIGINT or SIGTERM stops it
// once the requests in flight are answered):
//
//	cyclegan serve -checkpoint runs/horse2zebra/checkpoints/latest.safetensors
//	curl --data-binary @horse.jpg 'http://127.0.0.1:8080/v1/translate?direction=AtoB' -o zebra.png
//
// Each run writes into runs/<name>/: options.json, loss.csv, loss.png, checkpoints/ and an
// index.html with a row of samples per epoch; with -eval-every N -inception W also metrics.csv,
// metrics.png and checkpoints/best.safetensors, the generators of the best FID A→B on the test
// set (cyclegan download-model fid-inception fetches W, pytorch-fid's Inception weights).
package main
