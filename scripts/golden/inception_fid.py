#!/usr/bin/python3
"""Golden features of the FID Inception network for models/inception's tests.

The network is pytorch-fid's FID Inception-v3, rebuilt here from torchvision's Inception3 and
its blocks: 1008 classes, no auxiliary classifier, the A, C and first E blocks' pool branch
averaging without the padding (count_include_pad=False), the second E block max-pooling. The
real weights (pt_inception-2015-12-05-6726825d.pth, 95 MB) cannot be committed or fetched here,
so every tensor of the state dict is filled from a rule that the Go test computes too
(deterministicState): value i of key k is u = splitmix64(fnv1a64(k) + i) >> 11 scaled by 2^-53,
a uniform number in [0, 1) that numpy and Go compute bit for bit, mapped to
    conv weights   (2u − 1)·sqrt(6 / fan_in)   (He-uniform: activations keep their scale),
    bn.weight      0.8 + 0.4u,    bn.bias, bn.running_mean  0.2·(2u − 1),
    bn.running_var 0.5 + u,       fc.weight (2u − 1)/sqrt(2048),  fc.bias 0.1·(2u − 1),
in float64 and then rounded to float32. The input images are u of the key "input/<case>".

It writes models/inception/testdata/state_dict_keys.txt (every key and shape of the state dict,
for the test of the Go network's names) and features.pth (torch.save of a dict of float32
tensors: for each case its expected features [N, 2048]):
  - features_64x80: two 3x64x80 images through pytorch-fid's full path (bilinear resize to
    299x299, 2x − 1, the network);
  - forward_75: two 3x75x75 inputs already in [−1, 1] (2u − 1) through the network alone, at the
    smallest size it accepts.

Run from the repository root with Debian's python3-torch and python3-torchvision:

    /usr/bin/python3 scripts/golden/inception_fid.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.inception import Inception3, InceptionA, InceptionC, InceptionE

OUT_DIR = os.path.join("models", "inception", "testdata")
MASK = (1 << 64) - 1


def fnv1a64(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform(key, n):
    """splitmix64(fnv1a64(key) + i) >> 11, scaled to [0, 1), for i < n; uint64 arithmetic wraps."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(key)) + np.arange(n, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / 2.0 ** 53


def deterministic_value(key, shape):
    n = int(np.prod(shape))
    u = uniform(key, n)
    if key.endswith("conv.weight"):
        fan_in = n // shape[0]
        v = (2 * u - 1) * np.sqrt(6.0 / fan_in)
    elif key.endswith("bn.weight"):
        v = 0.8 + 0.4 * u
    elif key.endswith("bn.bias") or key.endswith("running_mean"):
        v = 0.2 * (2 * u - 1)
    elif key.endswith("running_var"):
        v = 0.5 + u
    elif key == "fc.weight":
        v = (2 * u - 1) / np.sqrt(2048.0)
    elif key == "fc.bias":
        v = 0.1 * (2 * u - 1)
    else:
        raise KeyError(key)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


# The FID blocks: torchvision's, with the TensorFlow graph's pooling in the pool branch.
class FIDInceptionA(InceptionA):
    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b5, b3, bp], 1)


class FIDInceptionC(InceptionC):
    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for m in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = m(bd)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False))
        return torch.cat([b1, b7, bd, bp], 1)


class FIDInceptionE(InceptionE):
    def __init__(self, in_channels, use_max_pool):
        super().__init__(in_channels)
        self.use_max_pool = use_max_pool

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.use_max_pool:
            p = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        else:
            p = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        return torch.cat([b1, b3, bd, self.branch_pool(p)], 1)


def fid_inception():
    net = Inception3(num_classes=1008, aux_logits=False, init_weights=False)
    net.Mixed_5b = FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = FIDInceptionE(1280, use_max_pool=False)
    net.Mixed_7c = FIDInceptionE(2048, use_max_pool=True)
    for m in net.modules():  # BasicConv2d's BatchNorm: TensorFlow's eps
        if isinstance(m, torch.nn.BatchNorm2d):
            assert m.eps == 0.001
    return net.eval()


def pool3(net, x):
    """pytorch-fid's blocks up to pool3, on x already in [−1, 1]."""
    for name in ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
                 "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
                 "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"]:
        x = getattr(net, name)(x)
    return F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def main():
    net = fid_inception()
    state = net.state_dict()
    with torch.no_grad():
        for k, v in state.items():
            if not k.endswith("num_batches_tracked"):
                v.copy_(deterministic_value(k, tuple(v.shape)))
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "state_dict_keys.txt"), "w") as f:
        f.write(f"# {len(state)} keys of the FID Inception state dict (torchvision {torchvision.__version__})\n")
        for k, v in state.items():
            f.write(f"{k} {list(v.shape)}\n".replace(", ", ","))

    def images(case, shape):
        return torch.from_numpy(uniform("input/" + case, int(np.prod(shape))).astype(np.float32).reshape(shape))

    out = {}
    with torch.no_grad():
        x = images("features_64x80", (2, 3, 64, 80))
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        out["features_64x80"] = pool3(net, 2 * x - 1)
        out["forward_75"] = pool3(net, 2 * images("forward_75", (2, 3, 75, 75)) - 1)
    for k, v in out.items():
        print(k, tuple(v.shape), "mean %.4f std %.4f" % (v.mean().item(), v.std().item()))
    torch.save(out, os.path.join(OUT_DIR, "features.pth"))


if __name__ == "__main__":
    main()
