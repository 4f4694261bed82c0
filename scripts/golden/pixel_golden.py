#!/usr/bin/python3
"""Golden values for internal/imageio's pixel conversions, from the libraries the official
CycleGAN code runs on.

- totensor.f32: the 256 byte values through torchvision's ToTensor + Normalize(0.5, 0.5)
  (emulated with torch, since Debian ships no torchvision: float32 div(255), then sub_(0.5).div_(0.5)),
  little-endian float32.
- tensor2im_in.f32 / tensor2im_out.u8: network outputs in [-1, 1] (the 256 values above, random
  ones, and values next to the rounding boundaries) and the bytes the official util.tensor2im
  makes of them: (x + 1) / 2.0 * 255.0 in float32 numpy, then astype(np.uint8).
- colour/*.png and their *.rgb.png: small PNGs in the modes PIL writes (L, LA, RGBA, P with a
  transparency table) and what Image.convert("RGB") makes of them.
- colour/cmyk.raw and cmyk.rgb.png: raw CMYK bytes and PIL's CMYK-to-RGB conversion.
- jpeg/*.jpg and their *.rgb.png: JPEGs written by PIL with 4:4:4, 4:2:2 and 4:2:0 chroma
  subsampling and PIL's (libjpeg's) decoding of them. "blocks" is made of flat 16x16 squares, so
  that the inverse DCT is exact and only chroma upsampling and colour conversion show; "photo" is
  a 40x36 crop of testA/n02381460_1000.jpg from the horse2zebra set.

Run from the repository root with Debian's python3-torch, python3-numpy and python3-pil:

    /usr/bin/python3 scripts/golden/pixel_golden.py
"""
import os

import numpy as np
import torch
from PIL import Image

OUT = os.path.join("internal", "imageio", "testdata")


def to_tensor_normalize(arr_hwc):
    """torchvision.transforms.ToTensor() then Normalize((0.5,)*3, (0.5,)*3), spelled out."""
    img = torch.from_numpy(arr_hwc.copy()).permute((2, 0, 1)).contiguous()
    img = img.to(dtype=torch.float32).div(255)
    mean = torch.as_tensor([0.5, 0.5, 0.5], dtype=torch.float32).view(-1, 1, 1)
    std = torch.as_tensor([0.5, 0.5, 0.5], dtype=torch.float32).view(-1, 1, 1)
    return img.sub_(mean).div_(std)


def tensor2im(chw):
    """The official util.tensor2im on one image (its input is a batch; [0] is taken there)."""
    image_numpy = chw.cpu().float().numpy()
    image_numpy = (np.transpose(image_numpy, (1, 2, 0)) + 1) / 2.0 * 255.0
    return image_numpy.astype(np.uint8)


def write_tensor_goldens():
    # One 3 x 1 x 256 "image" whose pixels are every byte value.
    ramp = np.arange(256, dtype=np.uint8).reshape(1, 256, 1).repeat(3, axis=2)
    unit = to_tensor_normalize(ramp)[0, 0].numpy().astype("<f4")
    unit.tofile(os.path.join(OUT, "totensor.f32"))

    rng = np.random.RandomState(7)
    values = [unit, rng.uniform(-1, 1, 4000).astype(np.float32), np.array([-1, 1, 0], np.float32)]
    # Values a hair below and above the points where (x + 1) / 2 * 255 crosses an integer.
    edges = (np.arange(256, dtype=np.float64) / 255 * 2 - 1).astype(np.float32)
    values += [np.nextafter(edges, np.float32(-2)), np.nextafter(edges, np.float32(2))]
    x = np.clip(np.concatenate(values), -1, 1).astype(np.float32)
    x.astype("<f4").tofile(os.path.join(OUT, "tensor2im_in.f32"))
    chw = torch.from_numpy(x.reshape(1, 1, -1).repeat(3, axis=0))
    tensor2im(chw)[0, :, 0].astype(np.uint8).tofile(os.path.join(OUT, "tensor2im_out.u8"))


def write_colour_goldens():
    d = os.path.join(OUT, "colour")
    os.makedirs(d, exist_ok=True)
    rng = np.random.RandomState(11)
    h, w = 9, 14
    images = {
        "gray": Image.fromarray(rng.randint(0, 256, (h, w), dtype=np.uint8), "L"),
        "gray_alpha": Image.fromarray(rng.randint(0, 256, (h, w, 2), dtype=np.uint8), "LA"),
        "rgba": Image.fromarray(rng.randint(0, 256, (h, w, 4), dtype=np.uint8), "RGBA"),
    }
    pal = Image.fromarray(rng.randint(0, 16, (h, w), dtype=np.uint8), "P")
    pal.putpalette(list(rng.randint(0, 256, 16 * 3, dtype=np.uint8)))
    pal.info["transparency"] = bytes(rng.randint(0, 256, 16, dtype=np.uint8))
    images["palette"] = pal
    for name, im in images.items():
        path = os.path.join(d, name + ".png")
        im.save(path)
        # Convert what PIL reads back, as the official loader does.
        Image.open(path).convert("RGB").save(os.path.join(d, name + ".rgb.png"))

    cmyk = rng.randint(0, 256, (h, w, 4), dtype=np.uint8)
    cmyk[0, :4] = [[0, 0, 0, 0], [255, 255, 255, 255], [255, 0, 0, 0], [0, 0, 0, 255]]
    cmyk.tofile(os.path.join(d, "cmyk.raw"))
    Image.frombytes("CMYK", (w, h), cmyk.tobytes()).convert("RGB").save(os.path.join(d, "cmyk.rgb.png"))


def write_jpeg_goldens(data_root):
    d = os.path.join(OUT, "jpeg")
    os.makedirs(d, exist_ok=True)
    rng = np.random.RandomState(13)
    # 45x29: partial MCUs on the right and bottom edges.
    squares = rng.randint(0, 256, (2, 3, 3), dtype=np.uint8)
    blocks = Image.fromarray(squares.repeat(16, axis=0).repeat(16, axis=1)[:29, :45], "RGB")
    images = {"blocks": blocks}
    photo_src = os.path.join(data_root, "testA", "n02381460_1000.jpg")
    if os.path.exists(photo_src):
        images["photo"] = Image.open(photo_src).convert("RGB").crop((60, 90, 100, 126))
    else:
        print(f"{photo_src} not found; the photo JPEG goldens are kept from the last run")
    for name, im in images.items():
        for label, subsampling in (("444", 0), ("422", 1), ("420", 2)):
            path = os.path.join(d, f"{name}_{label}.jpg")
            im.save(path, quality=95, subsampling=subsampling)
            Image.open(path).convert("RGB").save(os.path.join(d, f"{name}_{label}.rgb.png"))


def main():
    data_root = os.path.join("..", "shared", "data", "horse2zebra")
    os.makedirs(OUT, exist_ok=True)
    write_tensor_goldens()
    write_colour_goldens()
    write_jpeg_goldens(data_root)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
