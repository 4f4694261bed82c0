#!/usr/bin/python3
"""Golden values for package nn's tests, from torch.nn (Debian's python3-torch 1.13).

Writes two safetensors files (written by hand below: an 8-byte little-endian header length, the
JSON header, the raw little-endian data) into nn/testdata:

- layers_golden.safetensors: one case per layer configuration, activation and loss. The
  "__metadata__" entry "cases" is a JSON list describing every case (its name, kind and
  settings). For a case NAME the file holds NAME.x (input), the parameters NAME.weight and
  NAME.bias where the layer has them, NAME.grad_y (a random output gradient, the seed of the
  backward pass), NAME.y (the output) and NAME.grad_x, NAME.grad_weight, NAME.grad_bias; for a
  loss, NAME.input, NAME.target, NAME.loss, NAME.grad_input, NAME.grad_target (and NAME.grad_y
  for reduction "none").
  Inputs and parameters are float32 values (drawn in float32, stored as F64 without loss); the
  reference results are computed by torch in float64 from them and stored as F64. The Go test
  runs each case in float32, compared with the tolerance stated there, and in float64, which
  must agree to about 1e-10.
  Linear and Flatten cases come last, so that adding them left every earlier value as it was.
- torch_sequential.safetensors: the state_dict (F32) of a small torch model whose Sequential
  sits in an attribute called "model" (keys "model.1.weight", ...); the case "sequential" in
  layers_golden.safetensors holds its input, output and gradients, so the test checks that a
  zebra model of the same structure has the same keys, loads the file in strict mode and computes
  the same values.

It also reads nn/testdata/zebra_tiny.safetensors, the state dict that zebra's nn.SaveFile writes
for its twin of that model (committed; `go test ./nn -run SaveFileLoadsInPyTorch -update`
rewrites it), loads it into Tiny with load_state_dict(strict=True) and checks every value, so
zebra's checkpoints are shown to load in PyTorch.

Run from the repository root (CI never needs torch; the outputs are committed):

    /usr/bin/python3 scripts/golden/nn_layers.py
"""
import json
import os
import struct

import numpy
import torch
import torch.nn.functional as F

OUT_DIR = os.path.join("nn", "testdata")
torch.manual_seed(20261128)

tensors = {}  # name -> float64 tensor, all written as F64
cases = []


def randn(*shape, scale=1.0):
    """float32 standard normal values, returned as float64 (exactly representable)."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).double()


def leaf(t):
    return t.clone().requires_grad_(True)


def record(name, kind, settings, inputs, out, grad_y):
    """Stores inputs, output, seed and every input's gradient of out seeded with grad_y."""
    out.backward(grad_y)
    for key, t in inputs.items():
        tensors[f"{name}.{key}"] = t.detach()
        tensors[f"{name}.grad_{key}"] = t.grad.detach()
    tensors[f"{name}.y"] = out.detach()
    tensors[f"{name}.grad_y"] = grad_y
    cases.append({"name": name, "kind": kind, **settings})


def conv2d_case(name, n, cin, h, w, cout, k, stride=1, padding=0, dilation=1, bias=True):
    x, wt = leaf(randn(n, cin, h, w)), leaf(randn(cout, cin, k, k, scale=0.3))
    inputs = {"x": x, "weight": wt}
    b = None
    if bias:
        b = inputs["bias"] = leaf(randn(cout))
    y = F.conv2d(x, wt, b, stride=stride, padding=padding, dilation=dilation)
    record(name, "conv2d", {"kernel": k, "stride": stride, "padding": padding, "dilation": dilation,
                            "bias": bias, "in": cin, "out": cout}, inputs, y, randn(*y.shape))


def conv_transpose2d_case(name, n, cin, h, w, cout, k, stride=1, padding=0, output_padding=0,
                          dilation=1, bias=True):
    x, wt = leaf(randn(n, cin, h, w)), leaf(randn(cin, cout, k, k, scale=0.3))
    inputs = {"x": x, "weight": wt}
    b = None
    if bias:
        b = inputs["bias"] = leaf(randn(cout))
    y = F.conv_transpose2d(x, wt, b, stride=stride, padding=padding, output_padding=output_padding,
                           dilation=dilation)
    record(name, "conv_transpose2d", {"kernel": k, "stride": stride, "padding": padding,
                                      "output_padding": output_padding, "dilation": dilation,
                                      "bias": bias, "in": cin, "out": cout}, inputs, y, randn(*y.shape))


def reflection_pad2d_case(name, shape, pad):
    x = leaf(randn(*shape))
    y = torch.nn.ReflectionPad2d(pad)(x)
    record(name, "reflection_pad2d", {"pad": list(pad)}, {"x": x}, y, randn(*y.shape))


def instance_norm2d_case(name, shape, affine, eps=1e-5):
    # A mean and spread far from 0 and 1, as after a convolution with a bias.
    x = leaf(randn(*shape, scale=3.0) + 2.0)
    c = shape[-3]
    inputs = {"x": x}
    weight = bias = None
    if affine:
        weight = inputs["weight"] = leaf(randn(c) * 0.5 + 1.0)
        bias = inputs["bias"] = leaf(randn(c))
    x4 = x if x.dim() == 4 else x.unsqueeze(0)
    y = F.instance_norm(x4, weight=weight, bias=bias, eps=eps)
    if x.dim() == 3:
        y = y.squeeze(0)
    record(name, "instance_norm2d", {"affine": affine, "eps": eps, "features": c}, inputs, y,
           randn(*y.shape))


def activation_case(name, kind, fn, settings=None):
    # Exact zeros exercise the gradient conventions at the kinks of ReLU and LeakyReLU.
    v = randn(2, 3, 4, 5, scale=2.0)
    v.view(-1)[::7] = 0.0
    x = leaf(v)
    y = fn(x)
    record(name, kind, settings or {}, {"x": x}, y, randn(*y.shape))


def loss_case(name, kind, fn, reduction, input_shape, target_shape, logits=False):
    inp = randn(*input_shape, scale=2.0)
    if logits:
        # Large logits of both signs, where an unstable formula overflows, and an exact zero.
        flat = inp.view(-1)
        flat[:6] = torch.tensor([0.0, 30.0, -30.0, 100.0, -100.0, 1e-3], dtype=torch.float64)
        tgt = torch.rand(*target_shape, dtype=torch.float32).double()
    else:
        tgt = randn(*target_shape)
        inp.view(-1)[0] = tgt.view(-1)[0]  # input equal to target: L1's kink
    x, t = leaf(inp), leaf(tgt)
    loss = fn(x, t, reduction=reduction)
    grad_y = randn(*loss.shape) if reduction == "none" else torch.ones((), dtype=torch.float64)
    loss.backward(grad_y)
    tensors[f"{name}.input"] = x.detach()
    tensors[f"{name}.target"] = t.detach()
    tensors[f"{name}.loss"] = loss.detach()
    tensors[f"{name}.grad_input"] = x.grad.detach()
    tensors[f"{name}.grad_target"] = t.grad.detach()
    tensors[f"{name}.grad_y"] = grad_y
    cases.append({"name": name, "kind": kind, "reduction": reduction})


# Convolutions: stride 1 and 2, padding, dilation 2, odd and even sizes, batch 1 and 3, with and
# without bias, and the kernels CycleGAN uses (7x7 after a reflection pad, 3x3 stride 2, 4x4
# stride 2 in the PatchGAN discriminator).
conv2d_case("conv2d_3x3_pad1", 1, 3, 7, 7, 4, 3, padding=1)
conv2d_case("conv2d_3x3_stride2_batch3_nobias", 3, 2, 8, 6, 3, 3, stride=2, padding=1, bias=False)
conv2d_case("conv2d_3x3_dilation2", 2, 2, 9, 8, 2, 3, padding=2, dilation=2)
conv2d_case("conv2d_7x7", 1, 3, 10, 11, 2, 7)
conv2d_case("conv2d_4x4_stride2", 1, 3, 8, 8, 4, 4, stride=2, padding=1)
conv2d_case("conv2d_1x1", 3, 4, 5, 6, 3, 1)

conv_transpose2d_case("conv_transpose2d_cyclegan", 1, 4, 4, 5, 3, 3, stride=2, padding=1, output_padding=1)
conv_transpose2d_case("conv_transpose2d_stride1_batch3_nobias", 3, 2, 5, 4, 3, 3, bias=False)
conv_transpose2d_case("conv_transpose2d_dilation2", 2, 3, 4, 4, 2, 3, stride=2, padding=1,
                      output_padding=1, dilation=2)
conv_transpose2d_case("conv_transpose2d_4x4_stride2", 1, 2, 3, 3, 2, 4, stride=2, padding=1)
conv_transpose2d_case("conv_transpose2d_outpad_over_stride", 1, 2, 3, 4, 2, 3, padding=1,
                      output_padding=1, dilation=2)

reflection_pad2d_case("reflection_pad2d_3", (1, 3, 5, 6), (3, 3, 3, 3))
reflection_pad2d_case("reflection_pad2d_asymmetric_batch3", (3, 2, 4, 5), (1, 2, 3, 0))

instance_norm2d_case("instance_norm2d", (2, 3, 5, 4), affine=False)
instance_norm2d_case("instance_norm2d_affine_batch3", (3, 2, 4, 4), affine=True)
instance_norm2d_case("instance_norm2d_affine_3d", (3, 3, 5), affine=True)

activation_case("relu", "relu", torch.relu)
activation_case("leaky_relu_default", "leaky_relu", F.leaky_relu, {"slope": 0.01})
activation_case("leaky_relu_0.2", "leaky_relu", lambda x: F.leaky_relu(x, 0.2), {"slope": 0.2})
activation_case("tanh", "tanh", torch.tanh)
activation_case("sigmoid", "sigmoid", torch.sigmoid)

for reduction in ("mean", "sum", "none"):
    loss_case(f"mse_{reduction}", "mse", F.mse_loss, reduction, (2, 3, 4), (2, 3, 4))
    loss_case(f"l1_{reduction}", "l1", F.l1_loss, reduction, (2, 3, 4), (2, 3, 4))
    loss_case(f"bce_{reduction}", "bce_with_logits", F.binary_cross_entropy_with_logits, reduction,
              (2, 3, 4), (2, 3, 4), logits=True)


class Tiny(torch.nn.Module):
    """A model whose Sequential sits in the attribute "model", as in CycleGAN's generator."""

    def __init__(self):
        super().__init__()
        self.model = torch.nn.Sequential(
            torch.nn.ReflectionPad2d(1),
            torch.nn.Conv2d(3, 4, 3),
            torch.nn.InstanceNorm2d(4, affine=True),
            torch.nn.ReLU(),
            torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
            torch.nn.Tanh(),
        )

    def forward(self, x):
        return self.model(x)


tiny = Tiny()
with torch.no_grad():
    for p in tiny.parameters():  # non-trivial affine parameters too
        p.copy_(torch.randn(p.shape) * 0.5)
state = {k: v.detach().float() for k, v in tiny.state_dict().items()}
tiny = tiny.double()
x = leaf(randn(1, 3, 6, 5))
y = tiny(x)
grad_y = randn(*y.shape)
y.backward(grad_y)
tensors["sequential.x"] = x.detach()
tensors["sequential.y"] = y.detach()
tensors["sequential.grad_y"] = grad_y
tensors["sequential.grad_x"] = x.grad.detach()
for k, p in tiny.named_parameters():
    tensors[f"sequential.grad.{k}"] = p.grad.detach()
cases.append({"name": "sequential", "kind": "sequential", "keys": list(state.keys())})


def write_safetensors(path, named, metadata):
    """The safetensors layout: 8-byte LE header length, JSON header (padded with spaces to a
    multiple of 8), then each tensor's raw little-endian bytes, in name order."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name in sorted(named):
        t = named[name].contiguous()
        dtype = {torch.float64: "F64", torch.float32: "F32"}[t.dtype]
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# Linear and Flatten come last, so that the draws of every case above stay what they were.
def linear_case(name, x_shape, cin, cout, bias=True):
    x, wt = leaf(randn(*x_shape, cin)), leaf(randn(cout, cin, scale=0.5))
    inputs = {"x": x, "weight": wt}
    b = None
    if bias:
        b = inputs["bias"] = leaf(randn(cout))
    y = F.linear(x, wt, b)
    record(name, "linear", {"in": cin, "out": cout, "bias": bias}, inputs, y, randn(*y.shape))


def flatten_case(name, shape, start_dim=1, end_dim=-1):
    x = leaf(randn(*shape))
    y = torch.flatten(x, start_dim, end_dim)
    record(name, "flatten", {"start_dim": start_dim, "end_dim": end_dim}, {"x": x}, y, randn(*y.shape))


linear_case("linear", (4,), 5, 3)
linear_case("linear_leading_dims_nobias", (2, 3), 4, 2, bias=False)
flatten_case("flatten", (2, 3, 2, 2))
flatten_case("flatten_middle", (2, 3, 2, 2), start_dim=1, end_dim=2)


os.makedirs(OUT_DIR, exist_ok=True)
write_safetensors(os.path.join(OUT_DIR, "layers_golden.safetensors"), tensors,
                  {"cases": json.dumps(cases), "torch": torch.__version__})
write_safetensors(os.path.join(OUT_DIR, "torch_sequential.safetensors"), state, {"format": "pt"})


def read_safetensors(path):
    """Reads F32/F64 tensors from a safetensors file without the safetensors package."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    out = {}
    for name, entry in header.items():
        dtype = {"F32": "<f4", "F64": "<f8"}[entry["dtype"]]
        begin, end = entry["data_offsets"]
        array = numpy.frombuffer(body[begin:end], dtype=dtype).reshape(entry["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


zebra_path = os.path.join(OUT_DIR, "zebra_tiny.safetensors")
if os.path.exists(zebra_path):
    from_zebra = read_safetensors(zebra_path)
    check = Tiny()
    check.load_state_dict(from_zebra, strict=True)  # raises on a missing, unexpected or misshaped key
    for k, v in from_zebra.items():
        assert v.dtype == torch.float32 and torch.equal(v, state[k]), f"{k} differs in zebra's checkpoint"
        assert torch.equal(check.state_dict()[k], v), f"{k} did not load"
    print(f"{zebra_path}: loads into torch in strict mode with every value intact")
else:
    print(f"{zebra_path} is missing: run go test ./nn -run SaveFileLoadsInPyTorch -update, then this script")
print(f"wrote {len(cases)} cases, {len(tensors)} tensors to {OUT_DIR}")
