#!/usr/bin/python3
"""Golden translations of the .pth generator fixtures, for models/cyclegan's TestTranslatePth.

internal/torchfile/testdata/generator_zip.pth and generator_legacy.pth (written by
torchfile_fixtures.py) hold one official ResnetGenerator state dict (ngf 4, 2 blocks, PyTorch's
default initialization, so biases are not zero). This script loads each as the official test
code does (torch.load, __patch_instance_norm_state_dict, load_state_dict(strict=True) into the
official class), translates a fixed image and writes, under models/cyclegan/testdata/pth/:

  input.png                  the 20x12 image (random pixels, RandomState(14))
  generator_buffers_legacy.pth  the same state dict plus the InstanceNorm buffers old checkpoints
                             carry (running_mean and running_var with values that would change
                             the output if they were used, num_batches_tracked), legacy format
  generator_expected.png     tensor2im(G(x)) for x = Normalize(ToTensor(input)): the bytes the
                             official test.py saves, truncated to uint8; all three files must
                             give it (asserted)
  generator_expected.f32     G(x) itself, float32 little-endian, [1, 3, 12, 20]: the test allows
                             a pixel to differ by one only where this lies within a hair of a
                             truncation boundary
  discriminator_legacy.pth   an official NLayerDiscriminator state dict (ndf 2, 3 layers) with
                             InstanceNorm buffers, legacy format
  discriminator_input.png, discriminator_expected.f32
                             a 32x32 image and D's patch scores for it, [1, 1, 2, 2]

Run from the repository root with Debian's python3-torch, python3-numpy and python3-pil (CI never
needs them; the outputs are committed):

    /usr/bin/python3 scripts/golden/pth_translate.py

The legacy files name storages by memory addresses, so they differ byte for byte at each run;
commit them only when the fixtures change.
"""
import collections
import functools
import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

FIXTURES = os.path.join("internal", "torchfile", "testdata")
OUT = os.path.join("models", "cyclegan", "testdata", "pth")
norm_layer = functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)


# The official networks (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py) as
# define_G('resnet_9blocks'-like, n_blocks given) and define_D('basic') build them with
# norm='instance': InstanceNorm2d without affine or running statistics, so use_bias is True; no
# dropout; reflection padding.
class ResnetBlock(nn.Module):
    def __init__(self, dim, padding_type, norm_layer, use_dropout, use_bias):
        super().__init__()
        assert padding_type == "reflect" and not use_dropout
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=use_bias),
            norm_layer(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0, bias=use_bias),
            norm_layer(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=64, norm_layer=norm_layer, use_dropout=False, n_blocks=6,
                 padding_type="reflect"):
        super().__init__()
        use_bias = norm_layer.func == nn.InstanceNorm2d
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0, bias=use_bias),
                 norm_layer(ngf), nn.ReLU(True)]
        n_downsampling = 2
        for i in range(n_downsampling):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=use_bias),
                      norm_layer(ngf * mult * 2), nn.ReLU(True)]
        mult = 2 ** n_downsampling
        for i in range(n_blocks):
            model += [ResnetBlock(ngf * mult, padding_type=padding_type, norm_layer=norm_layer,
                                  use_dropout=use_dropout, use_bias=use_bias)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            model += [nn.ConvTranspose2d(ngf * mult, int(ngf * mult / 2), kernel_size=3, stride=2, padding=1,
                                         output_padding=1, bias=use_bias),
                      norm_layer(int(ngf * mult / 2)), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, input):
        return self.model(input)


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=3, norm_layer=norm_layer):
        super().__init__()
        use_bias = norm_layer.func == nn.InstanceNorm2d
        kw, padw = 4, 1
        sequence = [nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers):
            nf_mult_prev, nf_mult = nf_mult, min(2 ** n, 8)
            sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=2, padding=padw,
                                   bias=use_bias),
                         norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        nf_mult_prev, nf_mult = nf_mult, min(2 ** n_layers, 8)
        sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=1, padding=padw,
                               bias=use_bias),
                     norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        sequence += [nn.Conv2d(ndf * nf_mult, 1, kernel_size=kw, stride=1, padding=padw)]
        self.model = nn.Sequential(*sequence)

    def forward(self, input):
        return self.model(input)


def patch_instance_norm_state_dict(state_dict, module, keys, i=0):
    """The official BaseModel.__patch_instance_norm_state_dict (models/base_model.py)."""
    key = keys[i]
    if i + 1 == len(keys):
        if module.__class__.__name__.startswith("InstanceNorm") and key in ("running_mean", "running_var"):
            if getattr(module, key) is None:
                state_dict.pop(".".join(keys))
        if module.__class__.__name__.startswith("InstanceNorm") and key == "num_batches_tracked":
            state_dict.pop(".".join(keys))
    else:
        patch_instance_norm_state_dict(state_dict, getattr(module, key), keys, i + 1)


def load_official(net, path):
    """BaseModel.load_networks: torch.load, drop _metadata, patch, load_state_dict (strict)."""
    state_dict = torch.load(path, map_location="cpu")
    if hasattr(state_dict, "_metadata"):
        del state_dict._metadata
    for key in list(state_dict.keys()):
        patch_instance_norm_state_dict(state_dict, net, key.split("."))
    net.load_state_dict(state_dict)
    net.eval()
    return net


def to_tensor_normalize(arr_hwc):
    """torchvision's ToTensor() then Normalize((0.5,)*3, (0.5,)*3), spelled out (as in pixel_golden.py)."""
    img = torch.from_numpy(arr_hwc.copy()).permute((2, 0, 1)).contiguous()
    img = img.to(dtype=torch.float32).div(255)
    return img.sub_(0.5).div_(0.5).unsqueeze(0)


def tensor2im(input_image):
    """The official util.tensor2im: the first image of the batch, (x + 1) / 2 * 255, astype(uint8)."""
    image_numpy = input_image[0].cpu().float().numpy()
    image_numpy = (np.transpose(image_numpy, (1, 2, 0)) + 1) / 2.0 * 255.0
    return image_numpy.astype(np.uint8)


def with_buffers(state_dict, norm_prefixes, rng):
    """state_dict with the running statistics an old checkpoint has for each InstanceNorm."""
    out = collections.OrderedDict(state_dict)
    for p in norm_prefixes:
        layer, index = p.rsplit(".", 1)  # the norm follows its convolution: model.5 after model.4
        c = state_dict[f"{layer}.{int(index) - 1}.bias"].shape[0]
        out[p + ".running_mean"] = torch.from_numpy(rng.uniform(-1, 1, c).astype(np.float32))
        out[p + ".running_var"] = torch.from_numpy(rng.uniform(0.5, 2, c).astype(np.float32))
        out[p + ".num_batches_tracked"] = torch.tensor(1234, dtype=torch.int64)
    return out


def norm_prefixes(net):
    return [name for name, m in net.named_modules() if isinstance(m, nn.InstanceNorm2d)]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(14)
    pixels = rng.randint(0, 256, (12, 20, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(os.path.join(OUT, "input.png"))
    x = to_tensor_normalize(np.asarray(Image.open(os.path.join(OUT, "input.png")).convert("RGB")))

    plain = torch.load(os.path.join(FIXTURES, "generator_legacy.pth"), map_location="cpu")
    net = ResnetGenerator(3, 3, ngf=4, n_blocks=2)
    buffers = with_buffers(plain, norm_prefixes(net), rng)
    torch.save(buffers, os.path.join(OUT, "generator_buffers_legacy.pth"), _use_new_zipfile_serialization=False)

    outputs = []
    for path in [os.path.join(FIXTURES, "generator_zip.pth"), os.path.join(FIXTURES, "generator_legacy.pth"),
                 os.path.join(OUT, "generator_buffers_legacy.pth")]:
        g = load_official(ResnetGenerator(3, 3, ngf=4, n_blocks=2), path)
        with torch.no_grad():
            outputs.append(g(x))
    assert all(torch.equal(outputs[0], y) for y in outputs[1:])
    y = outputs[0]
    assert y.shape == (1, 3, 12, 20)
    y.numpy().astype("<f4").tofile(os.path.join(OUT, "generator_expected.f32"))
    Image.fromarray(tensor2im(y), "RGB").save(os.path.join(OUT, "generator_expected.png"))

    torch.manual_seed(14)
    d = NLayerDiscriminator(3, ndf=2, n_layers=3)
    for p in d.parameters():  # biases too, so that a bias mix-up cannot hide
        nn.init.normal_(p, 0, 0.2)
    d_state = with_buffers(d.state_dict(), norm_prefixes(d), rng)
    d_path = os.path.join(OUT, "discriminator_legacy.pth")
    torch.save(d_state, d_path, _use_new_zipfile_serialization=False)
    d_pixels = rng.randint(0, 256, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(d_pixels, "RGB").save(os.path.join(OUT, "discriminator_input.png"))
    d = load_official(NLayerDiscriminator(3, ndf=2, n_layers=3), d_path)
    with torch.no_grad():
        scores = d(to_tensor_normalize(d_pixels))
    assert scores.shape == (1, 1, 2, 2), scores.shape
    scores.numpy().astype("<f4").tofile(os.path.join(OUT, "discriminator_expected.f32"))

    for name in sorted(os.listdir(OUT)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
