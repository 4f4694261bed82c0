#!/usr/bin/env python3
"""Interop golden files for zebra's internal/safetensors package.

Run with Debian's python3-torch (1.13), e.g. `/usr/bin/python3 scripts/golden/safetensors_interop.py`
(a pyenv python3 on PATH may lack torch); CI never runs this script, it runs the Go
tests against the files committed under internal/safetensors/testdata/.

  (a) Writes testdata/from_python.safetensors: F32, F64, F16, BF16, I64, I32 and U8 tensors whose
      values the Go test recomputes on its own (arange-based, plus the F16/BF16 special values),
      and two metadata strings. The header lists the tensors in a different order from their
      data, and "__metadata__" comes last, so the Go reader is tested on more than its own
      writer's layout.
  (b) Reads testdata/from_zebra.safetensors (written by `go test ./internal/safetensors -update`)
      with an independent reader and checks every value against tensors built here with torch.

Debian has no python3-safetensors, so the format (8-byte little-endian header length, JSON
header, byte buffer) is implemented by hand below; it is a few lines.
"""

import json
import math
import pathlib
import struct
import sys

import torch

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "internal" / "safetensors" / "testdata"

# dtype name -> (torch dtype, bytes per element). The order is the reference implementation's
# Dtype enum order, which its writer (and zebra's) sorts by, widest first.
DTYPES = {
    "BOOL": (torch.bool, 1),
    "U8": (torch.uint8, 1),
    "I8": (torch.int8, 1),
    "I16": (torch.int16, 2),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I32": (torch.int32, 4),
    "F32": (torch.float32, 4),
    "F64": (torch.float64, 8),
    "I64": (torch.int64, 8),
}
RANK = {name: i for i, name in enumerate(DTYPES)}
NAME_OF = {torch_dtype: name for name, (torch_dtype, _) in DTYPES.items()}


def tensor_bytes(t):
    """Raw little-endian bytes of a tensor, row-major."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what we want
    return t.numpy().tobytes()


def from_bytes(data, dtype_name, shape):
    torch_dtype, _ = DTYPES[dtype_name]
    if not data:
        return torch.zeros(shape, dtype=torch_dtype)
    raw_dtype = torch.int16 if torch_dtype == torch.bfloat16 else torch_dtype
    t = torch.frombuffer(bytearray(data), dtype=raw_dtype).reshape(shape)
    return t.view(torch.bfloat16) if torch_dtype == torch.bfloat16 else t


def python_tensors():
    """The tensors of from_python.safetensors. Keep in sync with TestFromPython in Go."""
    inf, nan = math.inf, math.nan
    i = torch.arange
    return {
        "f32.arange": (i(24, dtype=torch.float32) / 8 - 1).reshape(2, 3, 4),
        "f64.thirds": (i(6, dtype=torch.float64) / 3).reshape(3, 2),
        "f16.halves": (i(-8, 8, dtype=torch.float32) / 2).to(torch.float16),
        # inf, -inf, nan, largest finite, smallest normal, smallest subnormal, a subnormal,
        # negative zero, and 1/3 rounded to the nearest F16 (0x3555).
        "f16.special": torch.tensor(
            [inf, -inf, nan, 65504.0, 2.0**-14, 2.0**-24, 3 * 2.0**-24, -0.0, 1 / 3], dtype=torch.float16
        ),
        "bf16.wide": ((i(8, dtype=torch.float32) - 4) * 2.0**100).to(torch.bfloat16).reshape(2, 4),
        # inf, -inf, nan, smallest subnormal, negative zero, 1/3 rounded to BF16 (0x3eab).
        "bf16.special": torch.tensor([inf, -inf, nan, 2.0**-133, -0.0, 1 / 3], dtype=torch.bfloat16),
        "i64.steps": i(5, dtype=torch.int64) * 10**12 - 3,
        "i32.small": i(-3, 3, dtype=torch.int32),
        "u8.top": i(250, 256, dtype=torch.int64).to(torch.uint8),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }


def write_python_file(path):
    tensors = python_tensors()
    # Data in the reference writer's order (dtype rank descending, then name) ...
    data_order = sorted(tensors, key=lambda n: (-RANK[NAME_OF[tensors[n].dtype]], n))
    offsets, buffer = {}, bytearray()
    for name in data_order:
        data = tensor_bytes(tensors[name])
        offsets[name] = [len(buffer), len(buffer) + len(data)]
        buffer += data
    # ... but the header in the order the tensors were defined, with the metadata last.
    header = {
        name: {"dtype": NAME_OF[t.dtype], "shape": list(t.shape), "data_offsets": offsets[name]}
        for name, t in tensors.items()
    }
    header["__metadata__"] = {"format": "pt", "producer": "scripts/golden/safetensors_interop.py"}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    path.write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + bytes(buffer))
    print(f"wrote {path} ({8 + len(header_bytes) + len(buffer)} bytes, {len(tensors)} tensors)")


def read_file(path):
    """An independent, strict reader: returns (tensors by name in header order, metadata)."""
    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    assert 8 + n <= len(blob), f"header length {n} exceeds file size {len(blob)}"
    header_bytes = blob[8 : 8 + n]
    assert n % 8 == 0, f"header length {n} is not padded to a multiple of 8"
    assert header_bytes.startswith(b"{"), "header must start with '{'"
    header = json.loads(header_bytes.decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    buffer = blob[8 + n :]
    # The tensors must tile the buffer exactly, in offset order.
    end = 0
    for name, info in sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
        begin, stop = info["data_offsets"]
        assert begin == end, f"{name}: begins at {begin}, expected {end}"
        count = math.prod(info["shape"])
        assert stop - begin == count * DTYPES[info["dtype"]][1], f"{name}: wrong byte length"
        end = stop
    assert end == len(buffer), f"tensors cover {end} bytes, buffer has {len(buffer)}"
    tensors = {
        name: from_bytes(buffer[info["data_offsets"][0] : info["data_offsets"][1]], info["dtype"], info["shape"])
        for name, info in header.items()
    }
    return tensors, metadata, list(header)


def zebra_expected():
    """What the Go test writes to from_zebra.safetensors. Keep in sync with zebraTensors in Go."""
    i = torch.arange
    return {
        "model.0.weight": ((i(24, dtype=torch.float32) - 12) * 0.25).reshape(2, 3, 4),
        "model.0.bias": (i(2, dtype=torch.float32) + 1) * -0.5,
        "adam.exp_avg": (i(6, dtype=torch.float64) / 7).reshape(3, 2),
        "adam.step": torch.tensor(2**40 + 7, dtype=torch.int64),
        "empty": torch.zeros(0, dtype=torch.float32),
    }


def check_zebra_file(path):
    tensors, metadata, header_order = read_file(path)
    expected = zebra_expected()
    assert metadata == {"format": "pt", "producer": "zebra internal/safetensors"}, metadata
    assert sorted(tensors) == sorted(expected), f"names {sorted(tensors)} != {sorted(expected)}"
    for name, want in expected.items():
        got = tensors[name]
        assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, want {want.dtype}"
        assert got.shape == want.shape, f"{name}: shape {tuple(got.shape)}, want {tuple(want.shape)}"
        assert torch.equal(got, want), f"{name}: values differ:\n{got}\n{want}"
    # zebra writes the reference implementation's order: dtype rank descending, then name.
    want_order = sorted(header_order, key=lambda n: (-RANK[NAME_OF[tensors[n].dtype]], n))
    assert header_order == want_order, f"header order {header_order}, want {want_order}"
    print(f"checked {path}: {len(tensors)} tensors and metadata match")


def main():
    assert sys.byteorder == "little", "tensor_bytes assumes a little-endian machine"
    write_python_file(TESTDATA / "from_python.safetensors")
    # Read our own file back through the independent reader: the writer and reader agree.
    tensors, _, _ = read_file(TESTDATA / "from_python.safetensors")
    for name, want in python_tensors().items():
        assert torch.equal(tensors[name], want) or (
            want.is_floating_point() and torch.equal(tensors[name].isnan(), want.isnan())
            and torch.equal(tensors[name].nan_to_num(), want.nan_to_num())
        ), name
    zebra = TESTDATA / "from_zebra.safetensors"
    if not zebra.exists():
        sys.exit(f"{zebra} is missing: run `go test ./internal/safetensors -run TestFromZebra -update`")
    check_zebra_file(zebra)


if __name__ == "__main__":
    main()
