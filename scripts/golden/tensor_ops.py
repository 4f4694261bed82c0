#!/usr/bin/env python3
"""PyTorch golden values for zebra's package tensor.

Run with Debian's python3-torch (1.13): `/usr/bin/python3 scripts/golden/tensor_ops.py`. CI never
runs this script; it runs the Go tests (tensor/golden_test.go) against the files it writes:

  tensor/testdata/golden_ops.json   every forward op of package tensor, the NN kernels included:
                                    inputs, op name, parameters and PyTorch's outputs, in float64.
  tensor/testdata/golden_repr.json  tensors and PyTorch's repr() of them, for Tensor.String; "zebra" is
                                    the same print with the dtype named without "torch.", laid out
                                    by PyTorch's own functions.

The output is deterministic (seeded), so rerunning the script reproduces the committed files
byte for byte. Non-finite numbers are written as the strings "nan", "inf" and "-inf" (JSON has
no literals for them).

Each op is computed the way a PyTorch user would write it (F.unfold for im2col, F.pad with
mode='reflect', F.instance_norm, torch.optim.Adam, autograd for the backward kernels), not by
re-deriving zebra's formulas.
"""

import json
import math
import pathlib

import torch
import torch.nn.functional as F

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "tensor" / "testdata"
torch.manual_seed(20261128)


def num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": [num(v) for v in t.reshape(-1).tolist()]}


def short(x):
    """Rounds inputs to 4 decimals: still float64 values, but with short JSON text."""
    return torch.round(x * 1e4) / 1e4


def randn(*shape):
    return short(torch.randn(tuple(shape), dtype=torch.float64))


def uniform(lo, hi, *shape):
    return short(lo + (hi - lo) * torch.rand(tuple(shape), dtype=torch.float64))


def with_ties(*shape):
    """Normal values with small integers (ties, exact zeros) mixed in every third place."""
    x = randn(*shape).reshape(-1)
    x[::3] = torch.randint(-2, 3, x[::3].shape).to(torch.float64)
    return x.reshape(shape)


def away_from_zero(*shape):
    x = uniform(0.25, 3, *shape)
    return torch.where(torch.rand(tuple(shape)) < 0.5, -x, x)


cases = []


def case(name, op, inputs, outputs, **params):
    cases.append({"name": name, "op": op, "inputs": [enc(t) for t in inputs], "params": params,
                  "outputs": [enc(t) for t in outputs]})


# Special values every unary and binary op meets: NaN, ±inf, ±0, ±1.
SPECIAL = torch.tensor([math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5], dtype=torch.float64)

# --- unary -------------------------------------------------------------------------------------
unary = {
    "neg": (torch.neg, with_ties),
    "abs": (torch.abs, with_ties),
    "sign": (torch.sign, with_ties),
    "exp": (torch.exp, with_ties),
    "log": (torch.log, lambda *s: uniform(0.05, 5, *s)),
    "sqrt": (torch.sqrt, lambda *s: uniform(0, 5, *s)),
    "square": (torch.square, with_ties),
    "tanh": (torch.tanh, lambda *s: 3 * randn(*s)),
    "sigmoid": (torch.sigmoid, lambda *s: 5 * randn(*s)),
    "relu": (torch.relu, with_ties),
}
for name, (f, gen) in unary.items():
    x = gen(3, 5)
    case(f"{name} [3 5]", name, [x], [f(x)])
    case(f"{name} special", name, [SPECIAL], [f(SPECIAL)])
for slope in [0.2, 0.0, -0.5]:
    x = with_ties(2, 7)
    case(f"leaky_relu slope {slope}", "leaky_relu", [x], [F.leaky_relu(x, slope)], slope=slope)
case("leaky_relu special", "leaky_relu", [SPECIAL], [F.leaky_relu(SPECIAL, 0.2)], slope=0.2)
for p, gen in [(2.0, with_ties), (3.0, with_ties), (-1.0, away_from_zero), (0.5, lambda *s: uniform(0, 4, *s)),
               (-1.7, lambda *s: uniform(0.1, 4, *s)), (0.0, with_ties)]:
    x = gen(11)
    case(f"pow {p}", "pow", [x], [torch.pow(x, p)], p=p)
case("pow 0.5 special", "pow", [SPECIAL], [torch.pow(SPECIAL, 0.5)], p=0.5)
for s in [-1.5, 0.1, 0.0]:
    x = randn(2, 3)
    case(f"scale {s}", "scale", [x], [x * s], s=s)
    case(f"add_scalar {s}", "add_scalar", [x], [x + s], s=s)

# --- binary, with broadcasting -----------------------------------------------------------------
binary = {
    "add": (torch.add, with_ties),
    "sub": (torch.sub, with_ties),
    "mul": (torch.mul, with_ties),
    "div": (torch.div, away_from_zero),
    "maximum": (torch.maximum, with_ties),
    "minimum": (torch.minimum, with_ties),
    "greater": (lambda a, b: torch.gt(a, b).to(torch.float64), lambda *s: torch.randint(-1, 2, s).to(torch.float64)),
    "equal": (lambda a, b: torch.eq(a, b).to(torch.float64), lambda *s: torch.randint(-1, 2, s).to(torch.float64)),
}
broadcasts = [((2, 3), (2, 3)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 3), (4, 1)), ((), (2, 2)),
              ((5,), ()), ((0, 3), (1, 3)), ((2, 3, 1, 2), (3, 4, 1))]
for name, (f, gen) in binary.items():
    for sa, sb in broadcasts:
        a, b = gen(*sa), gen(*sb)
        case(f"{name} {list(sa)} {list(sb)}", name, [a, b], [f(a, b)])
    sa = SPECIAL.reshape(-1, 1)
    sb = SPECIAL.reshape(1, -1)
    if name not in ("greater", "equal"):
        case(f"{name} special", name, [sa, sb], [f(sa, sb)])
for slope in [0.2, 0.0]:
    x, g = with_ties(3, 4), randn(3, 4)
    x.requires_grad_(True)
    F.leaky_relu(x, slope).backward(g)
    case(f"leaky_relu_backward slope {slope}", "leaky_relu_backward", [g, x], [x.grad], slope=slope)

# --- reductions --------------------------------------------------------------------------------
x = randn(2, 3, 4)
ties = torch.randint(-2, 3, (3, 4, 5)).to(torch.float64)
for axes in [None, [0], [1], [2], [-1], [0, 2], [1, 2], [0, 1, 2], [2, 0]]:
    dims = tuple(range(3)) if axes is None else tuple(axes)
    for keepdim in [False, True] if axes in (None, [1], [2, 0]) else [False]:
        p = dict(axes=axes, keepdim=keepdim)
        tag = f"{axes} keepdim={keepdim}"
        case(f"sum {tag}", "sum", [x], [x.sum(dim=dims, keepdim=keepdim)], **p)
        case(f"mean {tag}", "mean", [x], [x.mean(dim=dims, keepdim=keepdim)], **p)
        case(f"max {tag}", "max", [ties], [ties.amax(dim=dims, keepdim=keepdim)], **p)
        case(f"min {tag}", "min", [x], [x.amin(dim=dims, keepdim=keepdim)], **p)
        for correction in [0, 1]:
            case(f"var {tag} correction={correction}", "var", [x],
                 [x.var(dim=dims, unbiased=bool(correction), keepdim=keepdim)], correction=correction, **p)
case("sum of empty", "sum", [torch.zeros(2, 0, 3, dtype=torch.float64)], [torch.zeros(2, 3, dtype=torch.float64)],
     axes=[1], keepdim=False)
case("var of one element is nan", "var", [x[:, :1, :]], [x[:, :1, :].var(dim=1, unbiased=True)],
     axes=[1], keepdim=False, correction=1)
case("max with nan", "max", [SPECIAL], [SPECIAL.amax()], axes=None, keepdim=False)
case("sum with inf", "sum", [SPECIAL[1:]], [SPECIAL[1:].sum()], axes=None, keepdim=False)
y = randn(4, 1, 3, 2)
for shape in [(4, 1, 3, 2), (1, 3, 2), (3, 1), (1,), (), (4, 1, 1, 1), (2,)]:
    case(f"sum_to {list(shape)}", "sum_to", [y], [y.sum_to_size(shape) if shape else y.sum()], shape=list(shape))

# --- shapes ------------------------------------------------------------------------------------
z = randn(2, 3, 4)
for shape in [(6, 4), (-1, 2), (4, -1, 3), (24,), (2, 3, 4, 1), (-1,)]:
    case(f"reshape {list(shape)}", "reshape", [z], [z.reshape(shape)], shape=list(shape))
for perm in [(0, 1, 2), (2, 0, 1), (1, 2, 0), (2, 1, 0), (-1, 0, 1)]:
    case(f"permute {list(perm)}", "permute", [z], [z.permute(perm)], perm=list(perm))
for d0, d1 in [(0, 1), (-1, -2), (0, 2)]:
    case(f"transpose {d0} {d1}", "transpose", [z], [z.transpose(d0, d1)], d0=d0, d1=d1)
for dim, start, length in [(0, 1, 1), (1, 0, 2), (2, 1, 3), (-1, 3, 1), (1, 3, 0)]:
    case(f"narrow {dim} {start} {length}", "narrow", [z], [z.narrow(dim, start, length)],
         dim=dim, start=start, length=length)
parts = [randn(2, 1, 4), randn(2, 3, 4), randn(2, 0, 4)]
case("concat dim 1", "concat", parts, [torch.cat(parts, 1)], dim=1)
parts = [randn(1, 3), randn(2, 3)]
case("concat dim 0", "concat", parts, [torch.cat(parts, 0)], dim=0)
parts = [randn(2, 2), randn(2, 3)]
case("concat dim -1", "concat", parts, [torch.cat(parts, -1)], dim=-1)
for pads, value in [([1, 2], 0.0), ([0, 1, 2, 0], -1.5), ([1, 1, 1, 1, 1, 1], 3.0), ([], 0.0)]:
    case(f"pad {pads} value {value}", "pad", [z], [F.pad(z, pads, value=value)], pads=pads, value=value)
e = randn(3, 1)
for shape in [(3, 4), (2, 3, 4), (3, 1)]:
    case(f"expand {list(shape)}", "expand", [e], [e.expand(shape)], shape=list(shape))

# --- matmul ------------------------------------------------------------------------------------
for sa, sb, ta, tb in [((3, 4), (4, 5), False, False), ((2, 3, 4), (2, 4, 5), False, False),
                       ((2, 3, 4), (4, 5), False, False), ((4, 3), (4, 5), True, False),
                       ((3, 4), (5, 4), False, True), ((2, 4, 3), (2, 5, 4), True, True),
                       ((1, 1), (1, 1), False, False), ((3, 1), (1, 2), False, False),
                       ((2, 3, 2, 3), (2, 3, 3, 2), False, False)]:
    a, b = randn(*sa), randn(*sb)
    opa = a.transpose(-1, -2) if ta else a
    opb = b.transpose(-1, -2) if tb else b
    case(f"matmul {list(sa)} {list(sb)} transA={ta} transB={tb}", "matmul", [a, b], [torch.matmul(opa, opb)],
         transA=ta, transB=tb)

# --- casts and creation ------------------------------------------------------------------------
c = randn(13) * 1e3
c[0], c[1] = 1 + 2 ** -24, 1 + 3 * 2 ** -24  # halfway cases: round to nearest even
case("cast to float32", "cast32", [c], [c.to(torch.float32)])
for start, stop, step in [(0, 5, 1), (0.5, 2.0, 0.25), (3, -1, -0.7), (0, 1, 0.1), (2, 2, 1), (-1, 1.05, 0.35)]:
    out64 = torch.arange(start, stop, step, dtype=torch.float64)
    out32 = torch.arange(start, stop, step, dtype=torch.float32)
    case(f"arange {start} {stop} {step}", "arange", [], [out64, out32], start=start, stop=stop, step=step)

# --- NN kernels --------------------------------------------------------------------------------
# CycleGAN's convolutions at small sizes, plus dilation 2 and an asymmetric kernel.
for n, ch, h, w, k, s, p, d in [(1, 1, 8, 7, (7, 7), (1, 1), (0, 0), (1, 1)), (2, 1, 5, 4, (3, 3), (2, 2), (1, 1), (1, 1)),
                                (1, 2, 3, 4, (3, 3), (1, 1), (1, 1), (1, 1)), (1, 1, 6, 5, (4, 4), (2, 2), (1, 1), (1, 1)),
                                (1, 1, 4, 4, (4, 4), (1, 1), (1, 1), (1, 1)), (1, 1, 6, 5, (3, 3), (1, 1), (1, 1), (2, 2)),
                                (1, 1, 5, 6, (2, 3), (1, 2), (1, 0), (2, 1))]:
    x = randn(n, ch, h, w)
    cols = F.unfold(x, k, dilation=d, padding=p, stride=s)
    geom = dict(k=list(k), stride=list(s), pad=list(p), dil=list(d))
    tag = f"[{n} {ch} {h} {w}] k{k} s{s} p{p} d{d}"
    case(f"im2col {tag}", "im2col", [x], [cols], **geom)
    g = randn(*cols.shape)
    case(f"col2im {tag}", "col2im", [g], [F.fold(g, (h, w), k, dilation=d, padding=p, stride=s)], hw=[h, w], **geom)

for shape, pads in [((1, 2, 5, 5), (1, 1, 1, 1)), ((1, 1, 6, 7), (3, 3, 3, 3)), ((2, 4, 4), (3, 0, 2, 1)),
                    ((1, 1, 2, 3), (2, 1, 1, 0))]:
    x = randn(*shape).requires_grad_(True)
    y = F.pad(x, pads, mode="reflect")
    pad = dict(left=pads[0], right=pads[1], top=pads[2], bottom=pads[3])
    case(f"reflect_pad {list(shape)} {list(pads)}", "reflect_pad", [x], [y], **pad)
    dy = randn(*y.shape)
    y.backward(dy)
    case(f"reflect_pad_backward {list(shape)} {list(pads)}", "reflect_pad_backward", [dy], [x.grad],
         input_shape=list(shape), **pad)

for shape, eps in [((2, 3, 4, 5), 1e-5), ((3, 1, 2), 1e-5), ((1, 2, 3, 3), 0.1)]:
    x = (2 + 3 * randn(*shape)).requires_grad_(True)
    y = F.instance_norm(x.unsqueeze(0) if x.dim() == 3 else x, eps=eps)
    y = y.reshape(shape)
    planes = x.detach().reshape(-1, shape[-2] * shape[-1])
    mean = planes.mean(1)
    rstd = 1 / torch.sqrt(planes.var(1, unbiased=False) + eps)
    case(f"instance_norm {list(shape)} eps {eps}", "instance_norm", [x], [y, mean, rstd], eps=eps)
    dy = randn(*shape)
    y.backward(dy)
    case(f"instance_norm_backward {list(shape)} eps {eps}", "instance_norm_backward", [x, dy], [x.grad], eps=eps)

for lr, betas, eps, wd in [(2e-4, (0.5, 0.999), 1e-8, 0.0), (1e-2, (0.9, 0.99), 1e-6, 0.1)]:
    p0 = randn(7)
    grads = [randn(7) for _ in range(3)]
    param = torch.nn.Parameter(p0.clone())
    opt = torch.optim.Adam([param], lr=lr, betas=betas, eps=eps, weight_decay=wd)
    for g in grads:
        param.grad = g.clone()
        opt.step()
    st = opt.state[param]
    case(f"adam lr {lr} betas {betas} eps {eps} wd {wd}, 3 steps", "adam", [p0] + grads,
         [param.detach(), st["exp_avg"], st["exp_avg_sq"]], lr=lr, beta1=betas[0], beta2=betas[1], eps=eps,
         weight_decay=wd)

# --- repr --------------------------------------------------------------------------------------
reprs = []


def zebra_repr(t):
    """repr(t) with the dtype named as zebra names it ("float64", not "torch.float64"), laid out
    by PyTorch's own printing functions, so that a shorter suffix wraps as PyTorch would wrap it."""
    from torch._tensor_str import _add_suffixes, _tensor_str

    prefix = "tensor("
    suffixes = []
    body = "[]"
    if t.numel() == 0:
        if t.dim() != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
    else:
        body = _tensor_str(t, len(prefix))
    if t.dtype != torch.get_default_dtype():
        suffixes.append("dtype=" + str(t.dtype).replace("torch.", ""))
    out = _add_suffixes(prefix + body, suffixes, len(prefix), force_newline=False)
    if t.dtype == torch.get_default_dtype():
        assert out == repr(t), (out, repr(t))  # the emulation is exact where nothing is renamed
    return out


def rep(name, t, gen=None):
    """Records repr(t) and zebra_repr(t). gen, when given, says how the Go test regenerates the data
    instead of reading it: value i is start + i*step (computed in float64, then cast to the dtype)."""
    entry = {"name": name, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "repr": repr(t),
             "zebra": zebra_repr(t)}
    if gen is None:
        entry["data"] = [num(v) for v in t.to(torch.float64).reshape(-1).tolist()]
    else:
        entry["gen"] = gen
    reprs.append(entry)


def ramp(n, start, step, dtype, shape):
    t = (torch.arange(n, dtype=torch.float64) * step + start).to(dtype).reshape(shape)
    return t, {"start": start, "step": step}


rep("2x3", randn(2, 3).float())
rep("integers", torch.tensor([1.0, -2.0, 30.0, 0.0]))
rep("float64", randn(2, 2))
rep("scalar", torch.tensor(3.25))
rep("scalar integer", torch.tensor(-7.0, dtype=torch.float64))
rep("empty", torch.zeros(0))
rep("empty 2x0", torch.zeros(2, 0))
rep("small and large: scientific", torch.tensor([0.001, 2.0, -3.5]))
rep("integers far apart: scientific", torch.tensor([1.0, 2000.0]))
rep("tiny", torch.tensor([1e-5, 0.5]))
rep("huge", torch.tensor([1.5e9, -2.0]))
rep("special", torch.tensor([math.nan, math.inf, -math.inf, 1.5, 0.0]))
rep("special integers", torch.tensor([math.nan, 2.0, -math.inf]))
rep("3-d", randn(2, 2, 3).float())
rep("empty 3-d float64", torch.zeros(2, 0, 3, dtype=torch.float64))
rep("scalar nan", torch.tensor(math.nan))
rep("negative zero", torch.tensor([-0.0, 1.0]))
rep("float64 row of 8", randn(8) * 100)
rep("4-d", randn(2, 1, 2, 2).float())
rep("long row wraps", randn(25).float())
rep("long integer row wraps", torch.arange(40, dtype=torch.float32))
t, g = ramp(2000, -3.0, 0.01, torch.float32, (40, 50))
rep("summarized 40x50", t, g)
t, g = ramp(1320, 0.0, 1.0, torch.float32, (11, 10, 12))
rep("summarized 11x10x12", t, g)
t, g = ramp(1001, 0.5, 1.0, torch.float64, (1001,))
rep("summarized 1001", t, g)
t, g = ramp(1200, -600.0, 1.0, torch.float32, (2, 600))
rep("summarized 2x600", t, g)

# Random small tensors across magnitudes, signs, integers, zeros and non-finite values, so that
# every branch of the number format meets PyTorch's.
for i in range(40):
    rank = int(torch.randint(0, 4, ()))
    shape = tuple(int(d) for d in torch.randint(1, 5, (rank,)))
    kind = i % 5
    scale = 10.0 ** int(torch.randint(-6, 10, ()))
    if kind == 0:
        t = torch.randn(shape, dtype=torch.float64) * scale
    elif kind == 1:
        t = torch.randint(-50, 50, shape).to(torch.float64) * (1 if i % 2 else 1000)
    elif kind == 2:
        t = torch.randn(shape, dtype=torch.float64) * scale
        t.view(-1)[0] = 0.0
    elif kind == 3:
        t = torch.rand(shape, dtype=torch.float64) * scale
        flat = t.view(-1)
        flat[-1] = [math.nan, math.inf, -math.inf][i % 3]
    else:
        t = torch.randn(shape, dtype=torch.float64).abs() * scale + 1
    rep(f"random {i}", t.float() if i % 2 == 0 else t)
rep("float64 row whose dtype wraps", short(randn(5) * 1e4) + 0.5)

TESTDATA.mkdir(parents=True, exist_ok=True)
for fname, obj in [("golden_ops.json", {"torch": torch.__version__, "cases": cases}),
                   ("golden_repr.json", {"torch": torch.__version__, "reprs": reprs})]:
    path = TESTDATA / fname
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, separators=(",", ":")) + "\n")
    tmp.replace(path)
    print(f"{path}: {path.stat().st_size} bytes")
