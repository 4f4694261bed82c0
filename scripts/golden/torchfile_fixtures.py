#!/usr/bin/env python3
"""Fixtures for zebra's internal/torchfile package (a Go reader of torch.save files).

Run with Debian's python3-torch (1.13): `/usr/bin/python3 scripts/golden/torchfile_fixtures.py`
(a pyenv python3 on PATH may lack torch). CI never runs this script; the Go tests read the files
it commits under internal/torchfile/testdata/:

  generator_zip.pth      a CycleGAN ResnetGenerator state dict (ngf 4, 2 blocks, the official
                         module layout and so the official key names, "model.1.weight" ...,
                         "model.10.conv_block.5.bias", "model.19.bias"), torch.save's zip format
  generator_legacy.pth   the same state dict in the legacy format
                         (_use_new_zipfile_serialization=False), the format of the official
                         pretrained generators of 2017-2018
  instancenorm_legacy.pth  a conv and an InstanceNorm2d(track_running_stats=True), legacy
                         format: running_mean, running_var and num_batches_tracked keys, as old
                         checkpoints carry them
  views_zip.pth, views_legacy.pth, views_legacy_protocol4.pth
                         one storage shared by a matrix, its transpose (non-contiguous), a row
                         (a storage offset), a column (offset and stride) and a 0-d element; the last file is pickled with
                         protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL)
  dtypes_zip.pth, dtypes_legacy.pth
                         float16 (with infinities, NaN, a subnormal), bfloat16, float64,
                         int64, int32, int16, int8, uint8 and bool tensors
  nested_zip.pth         {"epoch": 3, "G_A": state dict, "G_B": state dict, "lists": [...],
                         "param": nn.Parameter}: nested dicts, non-tensor values, a list of
                         tensors, and _rebuild_parameter
  cuda_legacy.pth, cuda_zip.pth
                         storages that claim location "cuda:0" (and, in the legacy file, the
                         class torch.cuda.FloatStorage, as a checkpoint saved from a GPU
                         without .cpu() has). torch cannot write these without a GPU, so the
                         script saves on the CPU and patches the pickle: in the legacy file it
                         replaces the opcodes in place (nothing there refers to byte offsets);
                         in the zip file it rewrites archive/data.pkl and copies the other
                         records as they are. torch.load(map_location="cpu") must read both.
  torchscript.pt         torch.jit.save of a tiny module, which the reader must refuse

and expected.safetensors, the values every tensor of those files must read as, contiguous and
little-endian, named "<group>/<name>", with the tensors of each group in file order. Debian has
no python3-safetensors, so the format (8-byte little-endian header length, JSON header, bytes)
is written by hand below, as in safetensors_interop.py. Every fixture is also loaded back with
torch.load and compared with what was saved, so the files are known to be what torch reads.
The legacy files name their storages by memory addresses, so they differ byte for byte at each
run (the values and names do not); commit them only when the fixtures change.
"""

import collections
import io
import json
import pathlib
import struct
import zipfile

import torch
import torch.nn as nn

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "internal" / "torchfile" / "testdata"

SAFETENSORS_DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


# The official ResnetGenerator (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py) with
# norm_layer=InstanceNorm2d, use_dropout=False, padding_type='reflect', reduced to what decides
# the state dict's keys and shapes.
class ResnetBlock(nn.Module):
    def __init__(self, dim, norm):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), norm(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=True), norm(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, ngf, n_blocks, norm=nn.InstanceNorm2d):
        super().__init__()
        model = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=True), norm(ngf), nn.ReLU(True)]
        for i in range(2):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=True),
                      norm(ngf * mult * 2), nn.ReLU(True)]
        for _ in range(n_blocks):
            model += [ResnetBlock(ngf * 4, norm)]
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1,
                                         output_padding=1, bias=True),
                      norm(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*model)


def save_zip(obj, name):
    torch.save(obj, TESTDATA / name)


def save_legacy(obj, name):
    torch.save(obj, TESTDATA / name, _use_new_zipfile_serialization=False)


def flat_tensors(obj, prefix=""):
    """The tensors of obj under the names torchfile gives them: dicts and lists nest by dots."""
    out = collections.OrderedDict()
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flat_tensors(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out.update(flat_tensors(v, f"{prefix}.{i}" if prefix else str(i)))
    return out


def check_loads(name, obj):
    """torch.load must give back exactly the tensors that were saved."""
    got = flat_tensors(torch.load(TESTDATA / name, map_location="cpu"))
    want = flat_tensors(obj)
    assert list(got) == list(want), (name, list(got), list(want))
    for k in want:
        a, b = got[k], want[k]
        assert a.dtype == b.dtype and a.shape == b.shape and a.stride() == b.stride(), (name, k)
        assert torch.equal(a.view(torch.int16) if a.dtype == torch.bfloat16 else a,
                           b.view(torch.int16) if b.dtype == torch.bfloat16 else b) or \
            (a.is_floating_point() and torch.equal(a.isnan(), b.isnan()) and
             torch.equal(a.nan_to_num(), b.nan_to_num())), (name, k)


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)  # numpy has no bfloat16; the bits are what we want
    return t.numpy().tobytes()


def write_expected(groups, path):
    header, buffer = {}, bytearray()
    for group, obj in groups.items():
        for name, t in flat_tensors(obj).items():
            data = raw_bytes(t)
            header[f"{group}/{name}"] = {"dtype": SAFETENSORS_DTYPE[t.dtype], "shape": list(t.shape),
                                         "data_offsets": [len(buffer), len(buffer) + len(data)]}
            buffer += data
    header["__metadata__"] = {"producer": "scripts/golden/torchfile_fixtures.py"}
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    path.write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + bytes(buffer))


def patch_cuda_legacy(src, dst):
    """Makes every storage of a legacy file claim location cuda:0 and class torch.cuda.*Storage.

    The object pickle (protocol 2) names the storage class with GLOBAL 'torch\\nFloatStorage\\n'
    and the location with BINUNICODE 'cpu'; the byte strings below occur nowhere else in these
    small files (asserted), and no opcode of protocol 2 refers to byte offsets, so the pickle
    stays valid when they grow.
    """
    data = (TESTDATA / src).read_bytes()
    cpu = b"X\x03\x00\x00\x00cpu"
    assert data.count(cpu) >= 1 and data.count(b"ctorch\nFloatStorage\n") == 1
    data = data.replace(cpu, b"X\x06\x00\x00\x00cuda:0")
    data = data.replace(b"ctorch\nFloatStorage\n", b"ctorch.cuda\nFloatStorage\n")
    (TESTDATA / dst).write_bytes(data)


def patch_cuda_zip(src, dst):
    """Rewrites archive/data.pkl of a zip file so its storages claim location cuda:0."""
    with zipfile.ZipFile(TESTDATA / src) as zin:
        infos = zin.infolist()
        records = {i.filename: zin.read(i.filename) for i in infos}
    pkl = [n for n in records if n.endswith("/data.pkl")]
    assert len(pkl) == 1
    cpu = b"X\x03\x00\x00\x00cpu"
    assert records[pkl[0]].count(cpu) >= 1
    records[pkl[0]] = records[pkl[0]].replace(cpu, b"X\x06\x00\x00\x00cuda:0")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zout:
        for i in infos:
            zout.writestr(i.filename, records[i.filename])
    (TESTDATA / dst).write_bytes(buf.getvalue())


def main():
    TESTDATA.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    generator = ResnetGenerator(ngf=4, n_blocks=2).state_dict()
    assert list(generator)[:2] == ["model.1.weight", "model.1.bias"]
    assert "model.10.conv_block.5.weight" in generator and "model.19.bias" in generator
    save_zip(generator, "generator_zip.pth")
    save_legacy(generator, "generator_legacy.pth")

    norm = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(3, 4, 3),
                         nn.InstanceNorm2d(4, track_running_stats=True))
    norm[2].running_mean.uniform_(-1, 1)
    norm[2].running_var.uniform_(0.5, 2)
    norm[2].num_batches_tracked.fill_(1234)
    instancenorm = norm.state_dict()
    assert "2.num_batches_tracked" in instancenorm
    instancenorm = collections.OrderedDict(("model." + k, v) for k, v in instancenorm.items())
    save_legacy(instancenorm, "instancenorm_legacy.pth")

    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5 - 1
    views = collections.OrderedDict([
        ("base", base), ("transposed", base.t()), ("row", base[1]), ("column", base[:, 2]),
        ("element", base[2, 3]), ("strided", base[::2, 1::2]),
    ])
    assert not views["transposed"].is_contiguous() and views["element"].dim() == 0
    save_zip(views, "views_zip.pth")
    save_legacy(views, "views_legacy.pth")
    torch.save(views, TESTDATA / "views_legacy_protocol4.pth", pickle_protocol=4,
               _use_new_zipfile_serialization=False)

    half = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, float("inf"), float("-inf"), float("nan"),
                         2.0 ** -24, 6.1e-5], dtype=torch.float16)
    dtypes = collections.OrderedDict([
        ("half", half),
        ("bfloat16", torch.tensor([1.0, -3.140625, 1e30, float("inf"), 2.0 ** -130], dtype=torch.bfloat16)),
        ("double", torch.tensor([[1.0 / 3, -1e300], [5e-324, 2.5]], dtype=torch.float64)),
        ("long", torch.tensor([0, -1, 2 ** 62, -(2 ** 63)], dtype=torch.int64)),
        ("int", torch.tensor([-(2 ** 31), 2 ** 31 - 1], dtype=torch.int32)),
        ("short", torch.tensor([-32768, 7], dtype=torch.int16)),
        ("char", torch.tensor([-128, 127, 0], dtype=torch.int8)),
        ("byte", torch.tensor([0, 255, 17], dtype=torch.uint8)),
        ("bool", torch.tensor([[True, False], [False, True]])),
        ("empty", torch.zeros(0, 3)),
    ])
    save_zip(dtypes, "dtypes_zip.pth")
    save_legacy(dtypes, "dtypes_legacy.pth")

    small = ResnetGenerator(ngf=1, n_blocks=1).state_dict()
    nested = {
        "epoch": 3,
        "G_A": collections.OrderedDict(list(small.items())[:3]),
        "G_B": {"model.1.weight": torch.full((2, 2), 7.0)},
        "lists": [torch.tensor([1.0, 2.0]), "text", None, 1.5, (torch.tensor([3], dtype=torch.int64),)],
        "param": nn.Parameter(torch.tensor([0.25, 0.75])),
    }
    save_zip(nested, "nested_zip.pth")

    cuda = collections.OrderedDict([("model.1.weight", torch.tensor([[1.0, 2.0], [3.0, 4.0]])),
                                    ("model.1.bias", torch.tensor([-1.0, 1.0]))])
    save_legacy(cuda, "cuda_cpu_legacy.pth")
    patch_cuda_legacy("cuda_cpu_legacy.pth", "cuda_legacy.pth")
    (TESTDATA / "cuda_cpu_legacy.pth").unlink()
    save_zip(cuda, "cuda_cpu_zip.pth")
    patch_cuda_zip("cuda_cpu_zip.pth", "cuda_zip.pth")
    (TESTDATA / "cuda_cpu_zip.pth").unlink()

    torch.jit.save(torch.jit.script(nn.Linear(2, 1)), TESTDATA / "torchscript.pt")

    fixtures = {
        "generator_zip.pth": generator, "generator_legacy.pth": generator,
        "instancenorm_legacy.pth": instancenorm, "views_zip.pth": views,
        "views_legacy.pth": views, "views_legacy_protocol4.pth": views,
        "dtypes_zip.pth": dtypes, "dtypes_legacy.pth": dtypes,
        "nested_zip.pth": nested, "cuda_legacy.pth": cuda, "cuda_zip.pth": cuda,
    }
    for name, obj in fixtures.items():
        check_loads(name, obj)
    write_expected({"generator": generator, "instancenorm": instancenorm, "views": views,
                    "dtypes": dtypes, "nested": nested, "cuda": cuda},
                   TESTDATA / "expected.safetensors")
    for p in sorted(TESTDATA.iterdir()):
        print(f"{p.name}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
