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


# ---------------------------------------------------------------------------------------------
# Two official training steps (cycle_gan_model.py, optimize_parameters) on tiny networks (ngf 2
# with 1 block, ndf 2 with 3 layers, 32x32 images):
# models/cyclegan/testdata/train_step_golden.safetensors holds the initial weights
# (init.G_A.<key>, ...), the images of each step (step<k>.real_A, step<k>.real_B), the eight
# losses after each step (step<k>.losses, in the order D_A G_A cycle_A idt_A D_B G_B cycle_B
# idt_B) and the weights after the last step (final.G_A.<key>, ...). Everything in float64; the
# pool is in its filling phase (it returns the new image), as in the first 50 steps of a run.
import itertools  # noqa: E402

OUT_STEP = os.path.join("models", "cyclegan", "testdata", "train_step_golden.safetensors")
torch.manual_seed(1128)
nets = {"G_A": ResnetGenerator(2, 1), "G_B": ResnetGenerator(2, 1), "D_A": NLayerDiscriminator(2, 3), "D_B": NLayerDiscriminator(2, 3)}
step_tensors = {}
for name, net in nets.items():
    with torch.no_grad():
        for key, p in net.state_dict().items():
            std = 0.02 if p.dim() > 1 else 0.1
            p.copy_((torch.randn(p.shape, dtype=torch.float32) * std).double())
    net.double()
    for key, p in net.state_dict().items():
        step_tensors[f"init.{name}.{key}"] = p.detach().clone()
G_A, G_B, D_A, D_B = nets["G_A"], nets["G_B"], nets["D_A"], nets["D_B"]
opt_G = torch.optim.Adam(itertools.chain(G_A.parameters(), G_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
mse, l1 = nn.MSELoss(), nn.L1Loss()
lambda_A = lambda_B = 10.0
lambda_idt = 0.5


def gan(pred, real):
    return mse(pred, torch.tensor(1.0 if real else 0.0, dtype=pred.dtype).expand_as(pred))


def set_requires_grad(ns, flag):
    for n in ns:
        for p in n.parameters():
            p.requires_grad = flag


for k in range(2):
    real_A = (torch.rand(1, 3, 32, 32, dtype=torch.float32) * 2 - 1).double()
    real_B = (torch.rand(1, 3, 32, 32, dtype=torch.float32) * 2 - 1).double()
    step_tensors[f"step{k}.real_A"], step_tensors[f"step{k}.real_B"] = real_A, real_B
    fake_B = G_A(real_A)
    rec_A = G_B(fake_B)
    fake_A = G_B(real_B)
    rec_B = G_A(fake_A)
    set_requires_grad([D_A, D_B], False)
    opt_G.zero_grad()
    idt_A = G_A(real_B)
    loss_idt_A = l1(idt_A, real_B) * lambda_B * lambda_idt
    idt_B = G_B(real_A)
    loss_idt_B = l1(idt_B, real_A) * lambda_A * lambda_idt
    loss_G_A = gan(D_A(fake_B), True)
    loss_G_B = gan(D_B(fake_A), True)
    loss_cycle_A = l1(rec_A, real_A) * lambda_A
    loss_cycle_B = l1(rec_B, real_B) * lambda_B
    loss_G = loss_G_A + loss_G_B + loss_cycle_A + loss_cycle_B + loss_idt_A + loss_idt_B
    loss_G.backward()
    opt_G.step()
    set_requires_grad([D_A, D_B], True)
    opt_D.zero_grad()
    losses_D = []
    for D, real, fake in ((D_A, real_B, fake_B), (D_B, real_A, fake_A)):  # the pool returns the new image
        loss_D = (gan(D(real), True) + gan(D(fake.detach()), False)) * 0.5
        loss_D.backward()
        losses_D.append(loss_D)
    opt_D.step()
    step_tensors[f"step{k}.losses"] = torch.tensor([losses_D[0].item(), loss_G_A.item(), loss_cycle_A.item(), loss_idt_A.item(),
                                                     losses_D[1].item(), loss_G_B.item(), loss_cycle_B.item(), loss_idt_B.item()],
                                                    dtype=torch.float64)
for name, net in nets.items():
    for key, p in net.state_dict().items():
        step_tensors[f"final.{name}.{key}"] = p.detach().clone()

header = {"__metadata__": {"format": "pt", "torch": torch.__version__}}
blobs, offset = [], 0
for name in sorted(step_tensors):
    data = step_tensors[name].contiguous().numpy().astype("<f8").tobytes()
    header[name] = {"dtype": "F64", "shape": list(step_tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open(OUT_STEP, "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)
print("wrote", OUT_STEP, offset + len(h) + 8, "bytes")
