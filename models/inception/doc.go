// Package inception is the Inception-v3 network that the Fréchet Inception Distance (FID) and
// the Kernel Inception Distance (KID) measure images with, exactly as the pytorch-fid package
// defines it, so that zebra's FID of a set of images is pytorch-fid's.
//
// That network is torchvision's Inception3 with the TensorFlow graph's differences: 1008
// classes (the fc layer, which the features do not use), no auxiliary classifier, and the
// TensorFlow pooling in the Inception blocks: the average pool of the pool branch in the A and
// C blocks (Mixed_5b to Mixed_5d, Mixed_6b to Mixed_6e) and in the first E block (Mixed_7b)
// leaves the padding out of its divisor (count_include_pad=False), and the second E block
// (Mixed_7c) max-pools instead. Every convolution is a BasicConv2d: a convolution without bias,
// a BatchNorm2d with eps 0.001 in evaluation mode, and a ReLU.
//
// Features computes what pytorch-fid's InceptionV3([3]) returns: the images as RGB in [0, 1],
// resized to 299×299 by bilinear interpolation (align_corners=False), mapped to [−1, 1] by
// 2x − 1, run through the network to the final average pool, 2048 numbers per image.
//
// The weights are pytorch-fid's pt_inception-2015-12-05-6726825d.pth, a state dict under
// torchvision's names (Conv2d_1a_3x3.conv.weight, Mixed_5b.branch1x1.bn.running_var, ...,
// fc.weight). LoadFile reads it with internal/torchfile; zebra does not download it.
//
// A CLI computes FID and KID in a few lines:
//
//	net, err := inception.LoadFile("pt_inception-2015-12-05-6726825d.pth")
//	real, err := inception.Features(net, realImages, inception.Options{})
//	fake, err := inception.Features(net, fakeImages, inception.Options{})
//	fid, err := metrics.FID(real, fake)
//	kid, err := metrics.KID(real, fake, metrics.KIDOptions{Subsets: 100, SubsetSize: 100, Seed: 1})
package inception
