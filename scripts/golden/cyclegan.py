#!/usr/bin/python3
"""Golden values for models/cyclegan's network test, from PyTorch (Debian's python3-torch 1.13).

Rebuilds the official CycleGAN networks (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py:
ResnetGenerator with InstanceNorm2d, no dropout, reflection padding; NLayerDiscriminator with
InstanceNorm2d) at a small size, and writes models/cyclegan/testdata/networks_golden.safetensors
(by hand: an 8-byte little-endian header length, the JSON header, the raw little-endian data):

- G.<key>, D.<key>: the parameters of a generator (ngf 4, 2 blocks) and a discriminator (ndf 4,
  3 layers) under their state_dict keys, drawn in float32 with init_weights' N(0, 0.02), biases
  drawn too (N(0, 0.1)) so that a bias mix-up cannot hide;
- G.x [1,3,16,16], G.grad_y, G.y, G.grad.<key>; D.x [1,3,32,32], D.grad_y, D.y, D.grad.<key>:
  input, output-gradient seed, output and every parameter's gradient of sum(y * grad_y).

Inputs and parameters are float32 values stored as F64 (exactly); the references are computed in
float64 from them. The metadata holds the parameter counts of the full-size networks (ngf 64 with
9 blocks, ndf 64 with 3 layers) as PyTorch counts them.

Run from the repository root (CI never needs torch; the output is committed):

    /usr/bin/python3 scripts/golden/cyclegan.py
"""
import json
import os
import struct

import torch
import torch.nn as nn

OUT = os.path.join("models", "cyclegan", "testdata", "networks_golden.safetensors")
torch.manual_seed(20261128)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, ngf, n_blocks, input_nc=3, output_nc=3):
        super().__init__()
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, padding=0, bias=True), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                      nn.InstanceNorm2d(ngf * mult * 2), nn.ReLU(True)]
        mult = 4
        for i in range(n_blocks):
            model += [ResnetBlock(ngf * mult)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, int(ngf * mult / 2), 3, stride=2, padding=1, output_padding=1, bias=True),
                      nn.InstanceNorm2d(int(ngf * mult / 2)), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, ndf, n_layers=3, input_nc=3):
        super().__init__()
        kw, padw = 4, 1
        seq = [nn.Conv2d(input_nc, ndf, kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers):
            prev, nf_mult = nf_mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * nf_mult, kw, stride=2, padding=padw, bias=True),
                    nn.InstanceNorm2d(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        prev, nf_mult = nf_mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * nf_mult, kw, stride=1, padding=padw, bias=True),
                nn.InstanceNorm2d(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * nf_mult, 1, kw, stride=1, padding=padw)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def count(m):
    return sum(p.numel() for p in m.parameters())


tensors = {}


def golden(prefix, net, x_shape):
    with torch.no_grad():
        for key, p in net.state_dict().items():
            std = 0.02 if p.dim() > 1 else 0.1
            p.copy_((torch.randn(p.shape, dtype=torch.float32) * std).double())
    net = net.double()
    x = torch.randn(x_shape, dtype=torch.float32).double()
    y = net(x)
    grad_y = torch.randn(y.shape, dtype=torch.float32).double()
    y.backward(grad_y)
    tensors[prefix + ".x"] = x
    tensors[prefix + ".y"] = y.detach()
    tensors[prefix + ".grad_y"] = grad_y
    for key, p in net.named_parameters():
        tensors[prefix + "." + key] = p.detach()
        tensors[prefix + ".grad." + key] = p.grad.detach()


golden("G", ResnetGenerator(4, 2), (1, 3, 16, 16))
golden("D", NLayerDiscriminator(4, 3), (1, 3, 32, 32))

meta = {
    "format": "pt",
    "generator_parameters_ngf64_blocks9": str(count(ResnetGenerator(64, 9))),
    "generator_parameters_ngf64_blocks6": str(count(ResnetGenerator(64, 6))),
    "discriminator_parameters_ndf64_layers3": str(count(NLayerDiscriminator(64, 3))),
    "torch": torch.__version__,
}

header = {"__metadata__": meta}
blobs = []
offset = 0
for name in sorted(tensors):
    data = tensors[name].contiguous().numpy().astype("<f8").tobytes()
    header[name] = {"dtype": "F64", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)
print("wrote", OUT, offset + len(h) + 8, "bytes;", meta)
