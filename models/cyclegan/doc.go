// Package cyclegan is zebra's reference model: CycleGAN (Zhu, Park, Isola and Efros, "Unpaired
// Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ICCV 2017), built to
// match the authors' official PyTorch implementation step for step.
//
// It holds the networks (ResnetGenerator and the PatchGAN NLayerDiscriminator, whose parameter
// names are the official state_dict keys, so PyTorch weights load one to one), the image pool
// of generated images the discriminators learn from, the unaligned two-folder data pipeline
// (decode, RGB, bicubic resize, random crop and flip, [-1, 1]; loading runs in background
// goroutines yet is deterministic for a seed), the Trainer that runs the official training step
// with one Adam per pair of networks and the linear learning-rate decay, and checkpoints that
// hold the whole training state in one safetensors file so that a resumed run continues bit for
// bit. Command cyclegan is its user interface.
package cyclegan
