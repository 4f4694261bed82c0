#!/usr/bin/python3
"""Developer check: a generator exported with `cyclegan export -format safetensors` loads into the
official PyTorch ResnetGenerator with load_state_dict(strict=True) and computes what zebra computes.

It runs cmd/cyclegan's TestExportSafetensorsStateDict with $ZEBRA_EXPORT_CHECK_DIR set, which
leaves there the exported state_dict of a tiny generator (ngf 8, 2 blocks, biases drawn), an input
[2, 3, 64, 96] and zebra's output for it (raw little-endian float32). Then it rebuilds the official
ResnetGenerator (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py, with InstanceNorm2d,
affine=False, no dropout, reflection padding: scripts/golden/cyclegan.py's definition, which
bench_pytorch_train.py reads without running the rest of that script), loads the file strictly
and runs the input in float32 and in float64.

The safetensors file is parsed by hand (an 8-byte little-endian header length, the JSON header,
the raw data), so the `safetensors` package is not needed. Needs Debian's python3-torch and Go.
CI does not run it (CI has no torch). Run from the repository root:

    /usr/bin/python3 scripts/check_safetensors_export.py [--dir DIR]

Pass rule, as in the ONNX Runtime test: zebra's float32 output must be within 8 times PyTorch's
own float32 error (from PyTorch's float64) of PyTorch's float64 output, plus 1e-6.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pytorch_train import ResnetGenerator  # noqa: E402  (scripts/golden/cyclegan.py's)


def read_safetensors(path):
    """Returns (tensors by name, metadata) of a safetensors file of F32 tensors."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    buf = data[8 + n:]
    tensors = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {e['dtype']}, want F32")
        begin, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(buf[begin:end]), dtype=torch.float32)
        tensors[name] = t.reshape(e["shape"]) if e["shape"] else t.reshape(())
    return tensors, metadata


def read_f32(path, shape):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", help="use the files already in DIR instead of running the Go test")
    args = ap.parse_args()
    d = args.dir
    if d is None:
        d = tempfile.mkdtemp(prefix="zebra-export-check-")
        env = dict(os.environ, ZEBRA_EXPORT_CHECK_DIR=d)
        cmd = ["go", "test", "-count=1", "-run", "^TestExportSafetensorsStateDict$", "./cmd/cyclegan"]
        print("$ ZEBRA_EXPORT_CHECK_DIR=" + d, " ".join(cmd))
        subprocess.run(cmd, env=env, check=True)

    sd, metadata = read_safetensors(os.path.join(d, "generator.safetensors"))
    ngf = sd["model.1.weight"].shape[0]
    blocks = len({k.split(".conv_block.")[0] for k in sd if ".conv_block." in k})
    print(f"state_dict: {len(sd)} tensors, ngf {ngf}, {blocks} blocks, metadata {sorted(metadata)}")
    g = ResnetGenerator(ngf, blocks)
    result = g.load_state_dict(sd, strict=True)  # raises on a missing, unexpected or misshapen key
    print(f"load_state_dict(strict=True): {result}")

    with open(os.path.join(d, "shape.json")) as f:
        shape = json.load(f)["shape"]
    x = read_f32(os.path.join(d, "input.f32"), shape)
    zebra = read_f32(os.path.join(d, "output.f32"), shape).double()
    g.eval()
    with torch.no_grad():
        y32 = g(x).double()
        y64 = g.double()(x.double())
    torch_err = (y32 - y64).abs().max().item()
    zebra_err = (zebra - y64).abs().max().item()
    tol = 8 * torch_err + 1e-6
    print(f"{shape}: max |zebra - PyTorch float32| {(zebra - y32).abs().max().item():.3g}; from PyTorch float64: "
          f"PyTorch float32 {torch_err:.3g}, zebra {zebra_err:.3g} (tolerance {tol:.3g})")
    if zebra_err > tol:
        print("FAIL: zebra's output differs from PyTorch's beyond float32 rounding")
        return 1
    print("ok: the exported state_dict loads strictly and gives zebra's output")
    return 0


if __name__ == "__main__":
    sys.exit(main())
