#!/usr/bin/env python3
"""Writes autograd/testdata/edge_grads.json: PyTorch's gradients at the points where an op has no
derivative (ReLU and |x| at 0, ties in maximum/minimum and in amax/amin) or an infinite one (sqrt
and log at 0), which autograd/edge_test.go compares with ours.

Each case applies one op to float64 inputs and back-propagates a fixed weight w (the gradient of
sum(out * w)), so a wrongly routed or wrongly scaled gradient shows. Non-finite numbers are written
as the strings "inf", "-inf" and "nan" (JSON has no literal for them).

Run with Debian's python3-torch: /usr/bin/python3 scripts/golden/autograd_edge_grads.py (from anywhere).
"""
import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)


def enc(values):
    out = []
    for v in values:
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def case(name, op, args, inputs, fn):
    xs = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = fn(*xs)
    # A weight that differs per output element: 1, 2, 3, ...
    w = torch.arange(1, out.numel() + 1, dtype=torch.float64).reshape(out.shape)
    (out * w).sum().backward()
    return {
        "name": name,
        "op": op,
        "args": args,
        "inputs": [{"shape": list(x.shape), "data": enc(x.detach().flatten().tolist())} for x in xs],
        "out": {"shape": list(out.shape), "data": enc(out.detach().flatten().tolist())},
        "grads": [enc(x.grad.flatten().tolist()) for x in xs],
    }


F = torch.nn.functional
cases = [
    case("relu_at_zero", "relu", {}, [[-1.0, 0.0, 2.0]], torch.relu),
    case("leaky_relu_at_zero", "leaky_relu", {"slope": 0.2}, [[-1.0, 0.0, 2.0]],
         lambda x: F.leaky_relu(x, 0.2)),
    case("abs_at_zero", "abs", {}, [[-1.5, 0.0, 2.0]], torch.abs),
    case("sqrt_at_zero", "sqrt", {}, [[0.0, 4.0]], torch.sqrt),
    case("log_at_zero_and_below", "log", {}, [[0.0, -2.0, 0.5]], torch.log),
    case("pow_0_at_zero", "pow_scalar", {"p": 0.0}, [[0.0, 1.5, -2.0]], lambda x: torch.pow(x, 0.0)),
    case("pow_2_at_zero", "pow_scalar", {"p": 2.0}, [[0.0, 1.5, -2.0]], lambda x: torch.pow(x, 2.0)),
    case("pow_half_at_zero", "pow_scalar", {"p": 0.5}, [[0.0, 4.0]], lambda x: torch.pow(x, 0.5)),
    case("div_by_zero", "div", {}, [[1.0, -1.0, 0.0], [0.0, 0.0, 2.0]], torch.div),
    case("maximum_ties", "maximum", {}, [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], torch.maximum),
    case("minimum_ties", "minimum", {}, [[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], torch.minimum),
    case("maximum_ties_broadcast", "maximum", {}, [[[1.0, 2.0], [2.0, 2.0]], [2.0, 1.0]], torch.maximum),
    case("minimum_ties_broadcast", "minimum", {}, [[[1.0, 2.0], [2.0, 2.0]], [2.0]], torch.minimum),
    case("amax_ties_last", "max", {"axes": [1], "keepdim": False},
         [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]], lambda x: torch.amax(x, dim=1)),
    case("amax_ties_all", "max", {"axes": [], "keepdim": False},
         [[[1.0, 3.0, 3.0], [3.0, 2.0, 0.0]]], lambda x: torch.amax(x, dim=(0, 1))),
    case("amax_ties_first_keepdim", "max", {"axes": [0], "keepdim": True},
         [[[1.0, 3.0, 2.0], [1.0, 3.0, 0.0]]], lambda x: torch.amax(x, dim=0, keepdim=True)),
    case("amax_ties_two_axes", "max", {"axes": [0, 2], "keepdim": False},
         [[[[1.0, 5.0], [2.0, 2.0]], [[5.0, 0.0], [2.0, 1.0]]]], lambda x: torch.amax(x, dim=(0, 2))),
    case("amin_ties", "min", {"axes": [-1], "keepdim": True},
         [[[1.0, 1.0, 3.0], [0.0, 2.0, 0.0]]], lambda x: torch.amin(x, dim=-1, keepdim=True)),
    case("max_no_dim_ties", "max", {"axes": [], "keepdim": False},
         [[[4.0, 1.0], [4.0, 4.0]]], lambda x: torch.max(x)),
]

root = os.path.dirname(os.path.abspath(__file__))
while not os.path.exists(os.path.join(root, "go.mod")):
    parent = os.path.dirname(root)
    if parent == root:
        raise SystemExit("autograd_edge_grads.py: no go.mod above " + __file__)
    root = parent
path = os.path.join(root, "autograd", "testdata", "edge_grads.json")
tmp = path + ".tmp"
with open(tmp, "w") as f:
    # One case per line, so that a regenerated file diffs case by case.
    f.write('{"generator": "scripts/golden/autograd_edge_grads.py", "torch": %s, "cases": [\n' % json.dumps(torch.__version__))
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
    f.flush()
    os.fsync(f.fileno())
os.replace(tmp, path)
print("wrote", path, len(cases), "cases")
