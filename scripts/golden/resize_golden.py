#!/usr/bin/python3
"""Golden outputs of PIL's bicubic resize for internal/imageio's tests.

The official CycleGAN pipeline resizes with torchvision's transforms.Resize(..., BICUBIC) on PIL
images, which calls PIL's Image.resize(size, Image.BICUBIC). This script writes a few tiny RGB
input images, resizes each of them to several sizes with PIL, and saves inputs, outputs and a
manifest (cases.json) under internal/imageio/testdata/resize. The Go tests read only those files.

Run from the repository root with Debian's python3-pil (CI never needs it):

    /usr/bin/python3 scripts/golden/resize_golden.py [path/to/horse2zebra]

The "photo" input is a 48x48 crop of testA/n02381460_1000.jpg from the horse2zebra set
(default ../shared/data/horse2zebra); without the data set that case is kept from the last run.
"""
import json
import os
import sys

import numpy as np
import PIL
from PIL import Image

OUT = os.path.join("internal", "imageio", "testdata", "resize")

# (input name, [(width, height), ...]): enlarging, shrinking by integer and non-integer factors,
# one side unchanged (PIL skips that pass), extreme shrinking to one pixel, mixed directions.
CASES = [
    ("noise", [(31, 29), (7, 5), (23, 40), (46, 8), (1, 1)]),
    ("gradient", [(64, 64), (10, 90), (13, 30)]),
    ("photo", [(54, 54), (12, 12), (17, 61), (48, 20)]),
]


def make_inputs(data_root):
    rng = np.random.RandomState(5)
    inputs = {}
    # Uniform noise: every neighbour differs, so the cubic's overshoot hits the 0 and 255 clips.
    inputs["noise"] = Image.fromarray(rng.randint(0, 256, size=(17, 23, 3), dtype=np.uint8), "RGB")
    # Smooth ramps with a sharp edge in the middle.
    yy, xx = np.mgrid[0:30, 0:40]
    grad = np.stack([xx * 6, yy * 8, np.where(xx < 20, 30, 220)], axis=-1).clip(0, 255).astype(np.uint8)
    inputs["gradient"] = Image.fromarray(grad, "RGB")
    photo_src = os.path.join(data_root, "testA", "n02381460_1000.jpg")
    if os.path.exists(photo_src):
        inputs["photo"] = Image.open(photo_src).convert("RGB").crop((100, 100, 148, 148))
    else:
        path = os.path.join(OUT, "photo.png")
        print(f"{photo_src} not found; reusing {path}", file=sys.stderr)
        inputs["photo"] = Image.open(path).convert("RGB")
    return inputs


def main():
    data_root = sys.argv[1] if len(sys.argv) > 1 else os.path.join("..", "shared", "data", "horse2zebra")
    os.makedirs(OUT, exist_ok=True)
    inputs = make_inputs(data_root)
    manifest = {"generator": "scripts/golden/resize_golden.py", "pillow": PIL.__version__, "cases": []}
    for name, sizes in CASES:
        src = inputs[name]
        src.save(os.path.join(OUT, f"{name}.png"))
        for w, h in sizes:
            out_name = f"{name}_{w}x{h}.png"
            src.resize((w, h), Image.BICUBIC).save(os.path.join(OUT, out_name))
            manifest["cases"].append({"input": f"{name}.png", "width": w, "height": h, "output": out_name})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(manifest['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
